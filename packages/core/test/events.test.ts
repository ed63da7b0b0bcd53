import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLocalEvents, type PermissionChange, waitForChange, watchPermission } from '../src/index.ts';

const change = (kind: string, status: PermissionChange['status']): PermissionChange => ({
  permissionId: 'perm_a',
  agentId: 'agt_a',
  status,
  kind,
});

describe('waiting for a permission to change', () => {
  it('a vote does not end the wait (nothing the agent sees changed); the decision does', async () => {
    const events = createLocalEvents();
    let ended = false;
    const waiting = waitForChange(events, 'perm_a', 5_000).then(() => {
      ended = true;
    });
    events.publish(change('vote', 'pending'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ended, false, 'a vote woke the waiter');
    const started = performance.now();
    events.publish(change('approved', 'approved'));
    await waiting;
    assert.ok(performance.now() - started < 1_000);
  });

  it('watchPermission hands the change to the listener, and nothing on a missed-changes wake-up', () => {
    let missed: () => void = () => undefined;
    const events = {
      ...createLocalEvents(),
      onMissedChanges(listener: () => void) {
        missed = listener;
        return () => undefined;
      },
    };
    const heard: (PermissionChange | undefined)[] = [];
    const stop = watchPermission(events, 'perm_a', (c) => heard.push(c));
    events.publish(change('approved', 'approved'));
    missed();
    stop();
    events.publish(change('used', 'used'));
    assert.deepEqual(heard, [change('approved', 'approved'), undefined]);
  });
});
