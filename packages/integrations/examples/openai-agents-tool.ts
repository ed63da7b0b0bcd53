// An OpenAI Agents SDK function tool behind Agent OTP, run through the SDK's own run loop and
// human-in-the-loop flow. So that it runs without an OpenAI key, a scripted stand-in model asks
// for one tool call; with a key, drop `model` and the agent uses OpenAI.
//
// With the default policies.yaml a bank transfer needs a human: `needsApproval` asks Agent OTP,
// the run stops with an interruption and prints the approval link; approve it in the dashboard
// or with `npx agent-otp approvals approve <id>`. `settleApprovals` waits for that decision and
// records it in the run state; the resumed run spends the token and transfers.
// Run it: see examples/README.md.
import { settleApprovals, withPermission } from '@agent-otp/integrations/openai-agents';
import {
  Agent,
  type Model,
  type ModelRequest,
  type ModelResponse,
  Runner,
  tool,
  Usage,
} from '@openai/agents';
import { AgentOTPClient } from '@orrisai/agent-otp-sdk';
import { z } from 'zod';

const otp = new AgentOTPClient({
  apiKey: process.env.AGENT_OTP_KEY,
  baseUrl: process.env.AGENT_OTP_URL ?? 'http://localhost:8787',
});

const transfer = tool({
  name: 'transfer',
  description: 'Transfer money to a known account',
  parameters: z.object({ to: z.string(), amount: z.number() }),
  ...withPermission(
    async ({ to, amount }: { to: string; amount: number }) => {
      // A real tool would call the bank here; it runs only after the token was spent.
      console.log(`  (bank) transferred ${amount} to ${to}`);
      return `transferred ${amount} to ${to}`;
    },
    {
      client: otp,
      action: 'bank.transfer',
      resource: ({ to }) => `account:${to}`,
      scope: ({ amount }) => ({ max_amount: amount }),
      onPendingApproval: (info) => console.log(`Waiting for approval: ${info.approvalUrl}`),
    },
  ),
});

/** Stand-in for a model: asks for one transfer, then answers with the tool's output. */
const scripted: Model = {
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const items = Array.isArray(request.input) ? request.input : [];
    const result = items.find((item) => item.type === 'function_call_result');
    if (result) {
      const output: unknown = result.output;
      const said = typeof output === 'object' && output !== null && 'text' in output ? output.text : output;
      const text = `Done: ${String(said)}`;
      return {
        usage: new Usage(),
        output: [
          {
            type: 'message',
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text }],
          },
        ],
      };
    }
    const call = { to: 'acme-gmbh', amount: Number(process.env.AMOUNT ?? 120) };
    const args = JSON.stringify(call);
    return {
      usage: new Usage(),
      output: [
        { type: 'function_call', callId: 'call_1', name: 'transfer', arguments: args, status: 'completed' },
      ],
    };
  },
  getStreamedResponse: () => {
    throw new Error('not streamed in this example');
  },
};

const agent = new Agent({
  name: 'accountant',
  instructions: 'Pay invoices.',
  model: scripted,
  tools: [transfer],
});
const runner = new Runner({ tracingDisabled: true });

let result = await runner.run(agent, 'Pay invoice #123 from ACME');
while (result.interruptions.length > 0) {
  const { approved, rejected } = await settleApprovals(result.state);
  console.log(`decided in Agent OTP: ${approved.length} approved, ${rejected.length} rejected`);
  result = await runner.run(agent, result.state);
}
console.log(`agent: ${result.finalOutput}`);
