import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  cleanRedis,
  json,
  redisSkip,
  SHARED_REDIS,
  startInstances,
  uniquePrefix,
} from './cluster-helpers.ts';

const POLICY_A = `
- name: reads
  conditions: { action: { equals: files.read } }
  action: auto_approve
`;
const POLICY_B = `
- name: reads
  conditions: { action: { equals: files.read } }
  action: deny
`;

const skip = await redisSkip();

describe('one policy across the cluster', { skip }, () => {
  const prefix = uniquePrefix();
  const started: Array<Awaited<ReturnType<typeof startInstances>>> = [];
  after(async () => {
    for (const cluster of started) await cluster.close();
    await cleanRedis(prefix);
  });

  it('instances with different policy files: mismatch in /readyz (still 200), metrics and one loud warning', async () => {
    const env = { REDIS_URL: SHARED_REDIS, AGENT_OTP_REDIS_PREFIX: prefix };
    // Separate data directories, so each instance loads its own policy file.
    const one = await startInstances(1, { policy: POLICY_A, env: { ...env, AGENT_OTP_INSTANCE_ID: 'left' } });
    started.push(one);
    const two = await startInstances(1, {
      policy: POLICY_B,
      env: { ...env, AGENT_OTP_INSTANCE_ID: 'right' },
    });
    started.push(two);
    const [a] = one.instances as [(typeof one.instances)[number]];
    const [b] = two.instances as [(typeof two.instances)[number]];
    const versions = [a.runtime.policy.current().version, b.runtime.policy.current().version].sort();
    assert.notEqual(versions[0], versions[1]);

    await b.runtime.cluster.presence.refresh();
    for (let i = 0; i < 3; i++) await a.runtime.cluster.presence.refresh();
    const ready = await json(`${a.url}/readyz`);
    assert.equal(ready.status, 200, 'a mismatch is reported, not a reason to leave the load balancer');
    assert.equal(ready.body.policyMismatch, true);
    assert.equal(ready.body.cluster.policyVersion, a.runtime.policy.current().version);
    assert.deepEqual(ready.body.cluster.policyVersions, versions);
    assert.equal(ready.body.cluster.instances, 2);

    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    assert.match(metrics, /agent_otp_cluster_policy_versions 2/);
    assert.ok(
      metrics.includes(`agent_otp_policy_version_info{version="${a.runtime.policy.current().version}"} 1`),
    );

    const warnings = a
      .logs()
      .split('\n')
      .filter((line) => line.includes('POLICY MISMATCH'));
    assert.equal(warnings.length, 1, 'warned once for this change, not at every heartbeat');
    assert.equal(JSON.parse(warnings[0] as string).level, 40);

    // The other instance leaves: its key is removed, and the versions agree again.
    await two.close();
    started.pop();
    const agreed = await a.runtime.cluster.presence.refresh();
    assert.equal(agreed.policyMismatch, false);
    assert.match(a.logs(), /policy versions agree across the cluster again/);
  });
});

describe('one instance without Redis', () => {
  it('/readyz shows just the local policy version and a local events channel', async () => {
    const single = await startInstances(1, { policy: POLICY_A, env: {} });
    try {
      const [a] = single.instances as [(typeof single.instances)[number]];
      const ready = await json(`${a.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(ready.body.redis, 'not configured');
      assert.deepEqual(ready.body.events, { backend: 'local', status: 'ok' });
      assert.equal(ready.body.policyMismatch, false);
      assert.deepEqual(ready.body.cluster.policyVersions, [a.runtime.policy.current().version]);
      assert.equal(ready.body.cluster.instances, 1);
    } finally {
      await single.close();
    }
  });
});
