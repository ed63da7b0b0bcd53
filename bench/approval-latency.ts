import { AgentOTPClient, type FetchLike } from '@orrisai/agent-otp-sdk';

/** Where the server of bench/real-server.ts listens, and who acts on it. */
export interface ApprovalTarget {
  baseUrl: string;
  /** The agent's key; its policy sends `bank.*` to a human. */
  apiKey: string;
  /** An approver's personal API token (`uat_…`). */
  userToken: string;
  /**
   * Where the approver sends the decision, when not `baseUrl`: another instance of a cluster,
   * so the decision reaches the waiting agent's instance through the events channel.
   */
  approveUrl?: string;
}

/**
 * Latency from a human's approval to the waiting agent holding the token: the agent calls
 * `requestPermission({ waitForApproval: true })` and waits on the event stream; once the stream
 * is open, the clock starts just before `POST /approvals/:id/approve` is sent and stops when
 * `requestPermission` resolves with the token. Sequential, so each sample is one approval
 * alone; the first `warmup` are left out (JIT, connection set-up).
 */
export async function benchApprovalLatency(target: ApprovalTarget, samples = 250, warmup = 20) {
  // Learns when the SDK's stream is open (its response headers are in), so that every sample
  // measures the push of a decision to an agent already waiting, not the opening of a stream.
  // Long-poll reads would mean the stream failed and the SDK fell back: counted, so the report
  // cannot show long-poll numbers under the SSE label unnoticed.
  let streamOpen: () => void = () => undefined;
  let longPolls = 0;
  const watched: FetchLike = async (input, init) => {
    const url = new URL(input);
    if (url.searchParams.has('wait')) longPolls += 1;
    try {
      return await fetch(input, init);
    } finally {
      if (url.pathname.endsWith('/events')) streamOpen();
    }
  };
  const otp = new AgentOTPClient({ apiKey: target.apiKey, baseUrl: target.baseUrl, fetch: watched });
  const approve = (id: string) =>
    fetch(`${target.approveUrl ?? target.baseUrl}/api/v1/approvals/${id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.userToken}` },
    });

  const times: number[] = [];
  for (let i = 0; i < warmup + samples; i++) {
    const opened = new Promise<void>((resolve) => {
      streamOpen = resolve;
    });
    let pendingId: (id: string) => void = () => undefined;
    const pending = new Promise<string>((resolve) => {
      pendingId = resolve;
    });
    let resolvedAt = 0;
    const waiting = otp
      .requestPermission({
        action: 'bank.transfer',
        scope: { max_amount: 100 },
        waitForApproval: true,
        timeout: 30_000,
        onPendingApproval: (info) => pendingId(info.id),
      })
      .then((result) => {
        resolvedAt = performance.now();
        return result;
      });
    const first = await Promise.race([pending, waiting]);
    if (typeof first !== 'string') throw new Error(`expected a pending request, got ${first.status}`);
    const id = first;
    await Promise.race([opened, waiting]);
    const started = performance.now();
    const [result, response] = await Promise.all([waiting, approve(id)]);
    if (!response.ok) throw new Error(`approve answered HTTP ${response.status}: ${await response.text()}`);
    await response.body?.cancel();
    if (result.status !== 'approved' || !result.token) throw new Error(`no token: ${result.status}`);
    if (i >= warmup) times.push(resolvedAt - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round((times[Math.floor(q * (times.length - 1))] ?? 0) * 100) / 100;
  return { p50_ms: at(0.5), p99_ms: at(0.99), samples: times.length, long_polls: longPolls };
}
