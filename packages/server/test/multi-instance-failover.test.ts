import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Permission } from '@agent-otp/core';
import { EXPIRY_SWEEPER } from '../src/cluster/singleton-jobs.ts';
import { clusterActors, startCluster } from './cluster-harness.ts';
import { CLUSTER_SETUPS, holderPid } from './cluster-setups.ts';
import { callJson } from './http-client.ts';

/**
 * Instances die (SIGKILL) while the cluster works: nothing an instance acknowledged is lost, the
 * survivors keep serving, the audit chain still verifies, and the singleton work (the expiry
 * sweeper) moves to a survivor within about one lease TTL.
 */

const POLICY = `
- name: reads
  conditions: { action: { equals: file.read } }
  action: auto_approve
- name: sends
  conditions: { action: { equals: gmail.send } }
  action: require_approval
  approvalTimeout: 3600
- name: quick questions
  conditions: { action: { equals: quick.ask } }
  action: require_approval
  approvalTimeout: 10
- name: default deny
  conditions: {}
  action: deny
  priority: -1000
`;
type Status = Permission['status'];
type Answer = { status: number; body: { data?: Record<string, unknown>; error?: { code: string } } } | null;

for (const setup of CLUSTER_SETUPS) {
  describe(`multi-instance failover: ${setup.name}`, { skip: setup.skip ?? false, timeout: 240_000 }, () => {
    test('SIGKILL of one instance mid-load loses no acknowledged request or decision', async () => {
      const cluster = await startCluster(setup, { policy: POLICY });
      try {
        const keys = await clusterActors(cluster);
        const urls = cluster.urls();
        const call = async (
          i: number,
          method: string,
          path: string,
          key: string,
          body?: unknown,
        ): Promise<Answer> => {
          try {
            return await callJson(urls[i % urls.length] as string, method, path, key, body);
          } catch {
            return null; // the connection was cut: the outcome is unknown
          }
        };
        const acked = new Map<string, { status: Status; maybe: Set<Status> }>();
        const unexpected: string[] = [];
        let acks = 0;
        let running = true;
        let killed = false;
        const accept = (answer: Answer, expected: number, what: string) => {
          if (!answer) return false;
          // Once A is dead, a call routed to it fails to connect (null above); anything else is a bug.
          if (answer.status !== expected)
            unexpected.push(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
          return answer.status === expected;
        };
        const worker = async (w: number) => {
          for (let n = 0; running; n += 1) {
            // Once A is dead, everything goes to B, as a load balancer's health check would do.
            const at = (k: number) => (killed ? 1 : w + n + k);
            const human = n % 2 === 1;
            const asked = await call(at(0), 'POST', '/api/v1/permissions/request', keys.agentKey, {
              action: human ? 'gmail.send' : 'file.read',
              resource: 'thing:x',
            });
            if (!accept(asked, human ? 202 : 201, 'request')) continue;
            const data = asked?.body.data as { id: string; token?: string };
            const record = { status: (human ? 'pending' : 'approved') as Status, maybe: new Set<Status>() };
            acked.set(data.id, record);
            acks += 1;
            const next: Status = human ? 'approved' : 'used';
            record.maybe.add(next);
            const changed = human
              ? await call(at(1), 'POST', `/api/v1/approvals/${data.id}/approve`, keys.userToken)
              : await call(at(1), 'POST', `/api/v1/permissions/${data.id}/use`, keys.agentKey, {
                  token: data.token,
                });
            if (!accept(changed, 200, `${next} ${data.id}`)) continue;
            record.status = next;
            record.maybe.delete(next);
            acks += 1;
          }
        };
        const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
        for (const deadline = Date.now() + 60_000; acks < 300; await sleep(5)) {
          assert.ok(Date.now() < deadline, `only ${acks} acknowledged operations in 60 s`);
        }
        await cluster.instances[0]?.kill();
        killed = true;
        const atKill = acks;
        for (const deadline = Date.now() + 30_000; acks < atKill + 100; await sleep(5)) {
          assert.ok(Date.now() < deadline, 'B keeps serving after A died');
        }
        running = false;
        await load;
        assert.deepEqual(unexpected, [], 'no error answers, only cut connections');

        await cluster.withRuntime(async (runtime) => {
          for (const [id, record] of acked) {
            const stored = await runtime.store.getPermission(id);
            assert.ok(stored, `${id} was acknowledged and is stored`);
            assert.ok(
              stored.status === record.status || record.maybe.has(stored.status),
              `${id} is ${stored.status}; acknowledged ${record.status}`,
            );
          }
        });
        const verified = await cluster.cli(['audit', 'verify', '--json']);
        assert.equal(verified.code, 0, `audit verify: ${verified.stdout} ${verified.stderr}`);
        assert.equal(JSON.parse(verified.stdout).ok, true);
      } finally {
        await cluster.close();
      }
    });

    test('the expiry sweeper keeps working when the instance running it dies', async () => {
      const cluster = await startCluster(setup, {
        policy: POLICY,
        env: { AGENT_OTP_SWEEP_INTERVAL_MS: '200', AGENT_OTP_LEASE_TTL_MS: '1000' },
      });
      try {
        const keys = await clusterActors(cluster);
        const pids = cluster.instances.map((instance) => instance.process.pid);
        let victim = 0;
        if (setup.leases) {
          let holder: number | null = null;
          for (const deadline = Date.now() + 5000; holder === null; await sleep(50)) {
            assert.ok(Date.now() < deadline, 'an instance took the sweeper lease');
            holder = holderPid(await cluster.setup.leaseHolder(EXPIRY_SWEEPER));
          }
          victim = pids.indexOf(holder);
          assert.ok(victim >= 0, `the sweeper's holder (pid ${holder}) is one of the instances ${pids}`);
        }
        const survivor = 1 - victim;
        const asked = await callJson(
          cluster.urls()[survivor] as string,
          'POST',
          '/api/v1/permissions/request',
          keys.agentKey,
          {
            action: 'quick.ask',
          },
        );
        assert.equal(asked.status, 202, JSON.stringify(asked.body));
        const id = asked.body.data.id as string;
        await cluster.instances[victim]?.kill();
        if (setup.leases) {
          for (const deadline = Date.now() + 3000; ; await sleep(50)) {
            const holder = holderPid(await cluster.setup.leaseHolder(EXPIRY_SWEEPER));
            if (holder === pids[survivor]) break;
            assert.ok(
              Date.now() < deadline,
              `the survivor took the sweeper within ~2 TTL (holder: ${holder})`,
            );
          }
        }
        // Nobody reads the request: only the sweeper can expire it, 10 s after it was asked.
        await cluster.withRuntime(async (runtime) => {
          for (const deadline = Date.now() + 20_000; ; await sleep(200)) {
            const stored = await runtime.store.getPermission(id);
            if (stored?.status === 'expired') break;
            assert.ok(Date.now() < deadline, `${id} is still ${stored?.status}`);
          }
          const expired = await runtime.store.listAudit({
            permissionId: id,
            event: 'permission.expired',
            limit: 10,
          });
          assert.equal(expired.length, 1, 'expired once');
        });
      } finally {
        await cluster.close();
      }
    });
  });
}
