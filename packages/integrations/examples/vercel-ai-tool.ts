// A Vercel AI SDK tool behind Agent OTP, executed directly (no model): a bank transfer that the
// default policies.yaml sends to a human. The example prints the approval link and waits;
// approve it in the dashboard or with `npx agent-otp approvals approve <id>`. The granted scope
// caps the amount, and the server checks the call's amount against it before the transfer runs.
// Run it: see examples/README.md.
import { PermissionRefusedError, withPermission } from '@agent-otp/integrations/vercel-ai';
import { AgentOTPClient } from '@orrisai/agent-otp-sdk';
import { tool } from 'ai';
import { z } from 'zod';

const otp = new AgentOTPClient({
  apiKey: process.env.AGENT_OTP_KEY,
  baseUrl: process.env.AGENT_OTP_URL ?? 'http://localhost:8787',
});

const transfer = withPermission(
  tool({
    description: 'Transfer money to a known account',
    inputSchema: z.object({ to: z.string(), amount: z.number() }),
    execute: async ({ to, amount }) => {
      // A real tool would call the bank here; it runs only after the token was spent.
      console.log(`  (bank) transferred ${amount} to ${to}`);
      return { transferred: amount, to };
    },
  }),
  {
    client: otp,
    action: 'bank.transfer',
    resource: ({ to }) => `account:${to}`,
    scope: ({ amount }) => ({ max_amount: amount }),
    context: ({ to, amount }) => ({ reason: `Pay ${to} ${amount} EUR for invoice #123` }),
    onPendingApproval: (info) => console.log(`Waiting for approval: ${info.approvalUrl}`),
  },
);

const input = { to: 'acme-gmbh', amount: Number(process.env.AMOUNT ?? 120) };
console.log(`transfer ${input.amount} to ${input.to}:`);
try {
  // generateText / streamText call exactly this when the model asks for the tool.
  const result = await transfer.execute?.(input, { toolCallId: 'call_1', messages: [] });
  console.log('  ->', JSON.stringify(result));
} catch (error) {
  // The AI SDK would hand this to the model as a tool-error; the transfer did not run.
  if (!(error instanceof PermissionRefusedError)) throw error;
  console.log(`  -> refused: ${error.message}`);
}
