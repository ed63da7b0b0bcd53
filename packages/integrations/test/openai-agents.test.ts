import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  Agent,
  type Model,
  type ModelRequest,
  type ModelResponse,
  RunContext,
  Runner,
  tool,
  Usage,
} from '@openai/agents';
import { z } from 'zod';
import { settleApprovals, withPermission } from '../src/openai-agents.ts';
import { type Harness, signal, startHarness } from './helpers.ts';

interface Transfer {
  to: string;
  amount: number;
}

/**
 * A model that asks for one call of `toolName`, then ends the turn once it sees the tool's
 * output. No provider is called: the run, the approval interruption and the tool invocation are
 * the SDK's own.
 */
class OneToolCallModel implements Model {
  readonly callId = `call_${randomUUID()}`;
  constructor(
    private readonly toolName: string,
    private readonly input: unknown,
  ) {}
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const items = Array.isArray(request.input) ? request.input : [];
    const answered = items.some((item) => item.type === 'function_call_result');
    const output: ModelResponse['output'] = answered
      ? [
          {
            type: 'message',
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text: 'done' }],
          },
        ]
      : [
          {
            type: 'function_call',
            callId: this.callId,
            name: this.toolName,
            arguments: JSON.stringify(this.input),
            status: 'completed',
          },
        ];
    return { usage: new Usage(), output };
  }
  // biome-ignore lint/correctness/useYield: the tests never stream.
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not streamed in these tests');
  }
}

describe('OpenAI Agents adapter: needsApproval and execute through the SDK run loop', () => {
  let harness: Harness;
  const runner = new Runner({ tracingDisabled: true });
  before(async () => {
    harness = await startHarness();
  });
  after(() => harness.close());

  async function setup(action: string, input: Transfer) {
    const { client, spent, apiKey } = await harness.client();
    const paid: Transfer[] = [];
    const pending = signal<{ id: string; approvalUrl: string }>();
    const transfer = tool({
      name: 'transfer',
      description: 'Transfer money',
      parameters: z.object({ to: z.string(), amount: z.number() }),
      ...withPermission(
        async (args: Transfer) => {
          paid.push(args);
          return `transferred ${args.amount} to ${args.to}`;
        },
        { client, action, onPendingApproval: (info) => pending.resolve(info) },
      ),
    });
    const model = new OneToolCallModel('transfer', input);
    const agent = new Agent({ name: 'payer', instructions: 'pay', model, tools: [transfer] });
    return { agent, transfer, paid, spent, apiKey, client, pending: pending.promise };
  }

  function toolOutputs(result: { newItems: { type: string }[] }): unknown[] {
    return result.newItems
      .filter((item) => item.type === 'tool_call_output_item')
      .map((item) => (item as unknown as { output: unknown }).output);
  }

  test('an auto-approved call runs without interruption, once, and spends its token', async () => {
    const { agent, paid, spent, apiKey } = await setup('mail.send', { to: 'acme', amount: 5 });
    const result = await runner.run(agent, 'pay acme');
    assert.deepEqual(result.interruptions, []);
    assert.deepEqual(toolOutputs(result), ['transferred 5 to acme']);
    assert.deepEqual(paid, [{ to: 'acme', amount: 5 }]);
    assert.equal(spent.length, 1);
    const [first] = spent;
    assert.ok(first);
    assert.deepEqual(await harness.useAgain(apiKey, first), { status: 409, code: 'TOKEN_USED' });
  });

  test('a call denied by policy never runs and the model reads why', async () => {
    const { agent, paid, spent } = await setup('files.delete', { to: 'acme', amount: 5 });
    const result = await runner.run(agent, 'pay acme');
    assert.deepEqual(result.interruptions, [], 'a denial needs no human');
    const [output] = toolOutputs(result);
    assert.match(String(output), /PERMISSION_DENIED.*Never delete files.*did not run/);
    assert.deepEqual(paid, []);
    assert.deepEqual(spent, []);
  });

  test('a call needing approval interrupts the run, and runs once after a human approves', async () => {
    const { agent, paid, spent, pending } = await setup('bank.transfer', { to: 'acme', amount: 30 });
    const first = await runner.run(agent, 'pay acme');
    assert.equal(first.interruptions.length, 1);
    assert.deepEqual(paid, []);
    const { id, approvalUrl } = await pending;
    assert.match(approvalUrl, new RegExp(id));
    assert.equal(await harness.decide(id, 'approve', { scope: { max_amount: 50 } }), 200);
    const settled = await settleApprovals(first.state);
    assert.equal(settled.approved.length, 1);
    const resumed = await runner.run(agent, first.state);
    assert.deepEqual(resumed.interruptions, []);
    assert.deepEqual(toolOutputs(resumed), ['transferred 30 to acme']);
    assert.deepEqual(paid, [{ to: 'acme', amount: 30 }]);
    assert.equal(spent[0]?.id, id, 'the permission asked for in needsApproval is the one spent');
  });

  test('a human denial rejects the call in the run state; the tool never runs', async () => {
    const { agent, paid, pending } = await setup('bank.transfer', { to: 'acme', amount: 30 });
    const first = await runner.run(agent, 'pay acme');
    assert.equal(await harness.decide((await pending).id, 'deny', { reason: 'wrong account' }), 200);
    const settled = await settleApprovals(first.state);
    assert.equal(settled.rejected.length, 1);
    const resumed = await runner.run(agent, first.state);
    assert.match(String(toolOutputs(resumed)[0]), /denied.*wrong account.*did not run/);
    assert.deepEqual(paid, []);
  });

  test('approving in the run state alone is not enough: Agent OTP still decides', async () => {
    const { agent, paid, pending } = await setup('bank.transfer', { to: 'acme', amount: 30 });
    const first = await runner.run(agent, 'pay acme');
    const [item] = first.interruptions;
    assert.ok(item);
    first.state.approve(item); // the app says yes without asking Agent OTP
    assert.equal(await harness.decide((await pending).id, 'deny', { reason: 'no' }), 200);
    const resumed = await runner.run(agent, first.state);
    assert.match(String(toolOutputs(resumed)[0]), /PERMISSION_DENIED/);
    assert.deepEqual(paid, []);
  });

  test('arguments outside the granted scope never run', async () => {
    const { agent, paid, spent, pending } = await setup('bank.transfer', { to: 'acme', amount: 900 });
    const first = await runner.run(agent, 'pay acme');
    assert.equal(await harness.decide((await pending).id, 'approve', { scope: { max_amount: 50 } }), 200);
    await settleApprovals(first.state);
    const resumed = await runner.run(agent, first.state);
    assert.match(String(toolOutputs(resumed)[0]), /SCOPE_VIOLATION.*amount/);
    assert.deepEqual(paid, []);
    assert.deepEqual(spent, []);
  });

  test('invoked directly (no needsApproval before), the tool requests, waits and spends itself', async () => {
    const { transfer, paid, spent } = await setup('mail.send', { to: 'acme', amount: 5 });
    const output = await transfer.invoke(new RunContext(), JSON.stringify({ to: 'acme', amount: 7 }));
    assert.equal(output, 'transferred 7 to acme');
    assert.deepEqual(paid, [{ to: 'acme', amount: 7 }]);
    assert.equal(spent.length, 1);
  });
});
