// A LangChain.js tool behind Agent OTP, called the way an agent calls it (a tool call), with no
// model involved. Runs against a server with the default policies.yaml: email to an address at
// @mycompany.com is auto-approved (one email, recipient checked when the token is spent), any
// other recipient is denied. Run it: see examples/README.md.

import { withPermission } from '@agent-otp/integrations/langchain';
import { tool } from '@langchain/core/tools';
import { AgentOTPClient } from '@orrisai/agent-otp-sdk';
import { z } from 'zod';

const otp = new AgentOTPClient({
  apiKey: process.env.AGENT_OTP_KEY,
  baseUrl: process.env.AGENT_OTP_URL ?? 'http://localhost:8787',
});

interface Email {
  recipient: string;
  subject: string;
}

const sendEmail = tool(
  withPermission(
    async ({ recipient, subject }: Email) => {
      // A real tool would call the mail API here; it runs only after the token was spent.
      console.log(`  (mailer) sent "${subject}" to ${recipient}`);
      return `sent "${subject}" to ${recipient}`;
    },
    {
      client: otp,
      action: 'gmail.send',
      resource: ({ recipient }) => `email:${recipient}`,
      // The default policy reads context.recipient; the approver sees the reason.
      context: ({ recipient }) => ({ recipient, reason: 'Monthly invoice' }),
      onPendingApproval: (info) => console.log(`  waiting for approval: ${info.approvalUrl}`),
    },
  ),
  {
    name: 'send_email',
    description: 'Send an email',
    schema: z.object({ recipient: z.string(), subject: z.string() }),
  },
);

for (const [id, recipient] of [
  ['call_1', 'billing@mycompany.com'],
  ['call_2', 'stranger@example.com'],
]) {
  console.log(`send_email to ${recipient}:`);
  const message = await sendEmail.invoke({
    type: 'tool_call',
    id,
    name: 'send_email',
    args: { recipient, subject: 'Invoice #123' },
  });
  // What the model would read next: a ToolMessage, status "success" or "error".
  console.log(`  -> ToolMessage ${message.status}: ${message.content}`);
}
