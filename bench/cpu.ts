import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * Who used the machine's CPU during a measurement, from /proc (Linux only; elsewhere every
 * figure is null): the load generator (this process), the servers under test, PostgreSQL (the
 * backends serving the benchmark's database, and the server's shared background processes),
 * Redis, and everything else (other users of the machine). In cores: 1.0 = one core busy.
 */
const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux build in use

interface Snapshot {
  at: number;
  /** Busy and total ticks of the whole machine (/proc/stat). */
  busy: number;
  total: number;
  /** Ticks (user + system) by process id, with each process's role. */
  processes: Map<number, { role: string; ticks: number }>;
}

export interface CpuUse {
  cores: number;
  machine: number;
  load_generator: number;
  servers: number;
  postgres: number;
  redis: number;
  other: number;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // the process ended between the listing and the read
  }
}

function role(pid: number, servers: Set<number>, database: string | undefined): string | null {
  if (pid === process.pid) return 'load_generator';
  if (servers.has(pid)) return 'servers';
  const comm = read(`/proc/${pid}/comm`)?.trim();
  if (comm === 'redis-server') return 'redis';
  if (comm !== 'postgres') return null;
  // Backends are titled "postgres: 15/main: <user> <database> <client> <state>".
  const title = (read(`/proc/${pid}/cmdline`) ?? '').replace(/\0/g, ' ');
  const backend = /^postgres: [^:]+: \S+ (\S+) /.exec(title);
  if (!backend) return 'postgres'; // the postmaster, WAL writer, checkpointer…: shared, counted here
  return backend[1] === database ? 'postgres' : null; // another user's database: "other"
}

function snapshot(servers: Set<number>, database: string | undefined): Snapshot | null {
  const stat = read('/proc/stat');
  if (stat === null) return null;
  const fields = (stat.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, n) => sum + n, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const processes = new Map<number, { role: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const who = role(pid, servers, database);
    if (who === null) continue;
    const text = read(`/proc/${pid}/stat`);
    if (text === null) continue;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    const after = text.slice(text.lastIndexOf(')') + 2).split(' ');
    processes.set(pid, { role: who, ticks: Number(after[11]) + Number(after[12]) });
  }
  return { at: performance.now(), busy: total - idle, total, processes };
}

/** Starts watching; the returned function gives the CPU used since, by role. */
export function watchCpu(serverPids: number[], database?: string): () => CpuUse | null {
  const servers = new Set(serverPids);
  const before = snapshot(servers, database);
  return () => {
    const after = snapshot(servers, database);
    if (before === null || after === null) return null;
    const seconds = (after.at - before.at) / 1000;
    const cores = availableParallelism();
    const byRole: Record<string, number> = { load_generator: 0, servers: 0, postgres: 0, redis: 0 };
    for (const [pid, { role, ticks }] of after.processes) {
      // A process born during the window counts from its start.
      byRole[role] = (byRole[role] ?? 0) + ticks - (before.processes.get(pid)?.ticks ?? 0);
    }
    const inCores = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND / seconds) * 100) / 100;
    const machine = ((after.busy - before.busy) / (after.total - before.total)) * cores;
    const ours = Object.values(byRole).reduce((sum, n) => sum + n, 0);
    return {
      cores,
      machine: Math.round(machine * 100) / 100,
      load_generator: inCores(byRole.load_generator ?? 0),
      servers: inCores(byRole.servers ?? 0),
      postgres: inCores(byRole.postgres ?? 0),
      redis: inCores(byRole.redis ?? 0),
      other: Math.max(0, Math.round((machine - ours / TICKS_PER_SECOND / seconds) * 100) / 100),
    };
  };
}
