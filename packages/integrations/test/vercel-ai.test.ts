import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateText, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';
import { PermissionRefusedError, withPermission } from '../src/vercel-ai.ts';
import { type Harness, signal, startHarness } from './helpers.ts';

interface Transfer {
  to: string;
  amount: number;
  memo: string;
}

/** A model that asks for exactly one tool call and never talks to a provider. */
function oneToolCall(toolName: string, input: unknown): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    doGenerate: {
      content: [{ type: 'tool-call', toolCallId: 'call_1', toolName, input: JSON.stringify(input) }],
      finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
      usage: {
        inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 1, text: 1, reasoning: 0 },
      },
      warnings: [],
    },
  });
}

describe('Vercel AI SDK adapter: tool() executed by the real library', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness();
  });
  after(() => harness.close());

  async function payTool(action: string) {
    const { client, spent, apiKey } = await harness.client();
    const paid: Transfer[] = [];
    const pending = signal<string>();
    const pay = withPermission(
      tool({
        description: 'Pay an invoice',
        inputSchema: z.object({ to: z.string(), amount: z.number(), memo: z.string() }),
        execute: async (transfer: Transfer) => {
          paid.push(transfer);
          return { paid: transfer.amount };
        },
      }),
      {
        client,
        action,
        resource: ({ to }) => `account:${to}`,
        onPendingApproval: (info) => pending.resolve(info.id),
      },
    );
    return { pay, paid, spent, apiKey, client, pending: pending.promise };
  }

  const options = { toolCallId: 'call_1', messages: [] };

  test('an allowed call runs once through generateText and its token cannot be spent again', async () => {
    // The test policy auto-approves mail.send: the allowed path, whatever the tool does.
    const { pay, paid, spent, apiKey } = await payTool('mail.send');
    const input = { to: 'acme', amount: 12, memo: 'x' };
    const result = await generateText({
      model: oneToolCall('pay', input),
      tools: { pay },
      prompt: 'pay acme',
    });
    assert.deepEqual(
      result.toolResults.map((r) => r.output),
      [{ paid: 12 }],
    );
    assert.equal(paid.length, 1);
    assert.equal(spent.length, 1);
    const [first] = spent;
    assert.ok(first);
    assert.deepEqual(await harness.useAgain(apiKey, first), { status: 409, code: 'TOKEN_USED' });
  });

  test('a denied call never runs; the model gets a tool-error saying why', async () => {
    const { pay, paid, spent } = await payTool('files.delete');
    const result = await generateText({
      model: oneToolCall('pay', { to: 'acme', amount: 12, memo: 'x' }),
      tools: { pay },
      prompt: 'pay acme',
    });
    const errors = result.content.filter((part) => part.type === 'tool-error');
    assert.equal(errors.length, 1);
    const [failure] = errors;
    assert.ok(failure?.error instanceof PermissionRefusedError);
    assert.equal(failure.error.refusal.code, 'PERMISSION_DENIED');
    assert.match(failure.error.message, /Never delete files.*did not run/);
    assert.deepEqual(result.toolResults, []);
    assert.deepEqual(paid, []);
    assert.deepEqual(spent, []);
  });

  test('a call that needs approval completes after a human approves', async () => {
    const { pay, paid, spent, pending } = await payTool('bank.transfer');
    const execution = pay.execute?.({ to: 'acme', amount: 40, memo: 'rent' }, options);
    const id = await pending;
    assert.deepEqual(paid, []);
    assert.equal(await harness.decide(id, 'approve', { scope: { max_amount: 50 } }), 200);
    assert.deepEqual(await execution, { paid: 40 });
    assert.equal(paid.length, 1);
    assert.equal(spent[0]?.id, id);
  });

  test('arguments outside the scope a human granted never run', async () => {
    const { pay, paid, spent, pending } = await payTool('bank.transfer');
    const execution = Promise.resolve(pay.execute?.({ to: 'acme', amount: 900, memo: 'rent' }, options));
    assert.equal(await harness.decide(await pending, 'approve', { scope: { max_amount: 50 } }), 200);
    const error = await execution.then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof PermissionRefusedError);
    assert.equal(error.refusal.code, 'SCOPE_VIOLATION');
    assert.match(error.message, /amount/);
    assert.deepEqual(paid, []);
    assert.deepEqual(spent, []);
  });

  test('a tool without execute cannot be guarded', async () => {
    const { client } = await harness.client();
    const clientSide = tool({ description: 'runs in the browser', inputSchema: z.object({}) });
    assert.throws(() => withPermission(clientSide, { client, action: 'mail.send' }), TypeError);
  });
});
