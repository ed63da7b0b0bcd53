// The durable side of bench/storage-worker-probe.ts, in plain JavaScript so that a worker thread
// can load it: one SQLite connection, group commits, a hash-chained audit log. Imported by the
// probe's `inline` servers; run as the worker of its `worker` servers.
import { createHash, createHmac } from 'node:crypto';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const SECRET = Buffer.alloc(32, 7);
export const API_KEY = 'ak_probe_key_0123456789abcdefghijklmnopqrstuv';
/** The permission the verify and use probes check and spend (uses enough for any run). */
export const PERMISSION_ID = 'perm_probe';
export const TOKEN = 'pt_probe_token_0123456789abcdefghijklmnopqrstuvwxyz';
export const hmac = (text) => createHmac('sha256', SECRET).update(text).digest('hex');

export function openStorage(file) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS agents (id TEXT PRIMARY KEY, name TEXT, key_hash TEXT UNIQUE, status TEXT);
    CREATE TABLE IF NOT EXISTS permissions (id TEXT PRIMARY KEY, agent_id TEXT, action TEXT, scope TEXT,
      status TEXT, token_hash TEXT, uses_left INTEGER, created_at INTEGER, expires_at INTEGER);
    CREATE INDEX IF NOT EXISTS permissions_agent ON permissions (agent_id, created_at);
    CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, hash TEXT, prev_hash TEXT, event TEXT, body TEXT);
  `);
  db.prepare('INSERT OR IGNORE INTO agents VALUES (?, ?, ?, ?)').run(
    'agt_1',
    'probe',
    hmac(API_KEY),
    'active',
  );
  const insertPermission = db.prepare('INSERT INTO permissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const far = Date.now() + 86_400_000;
  db.prepare('INSERT OR IGNORE INTO permissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
    PERMISSION_ID,
    'agt_1',
    'email.send',
    '{}',
    'approved',
    hmac(TOKEN),
    1e12,
    Date.now(),
    far,
  );
  const agentByKey = db.prepare('SELECT id, name, status FROM agents WHERE key_hash = ?');
  const permission = db.prepare(
    'SELECT id, agent_id, status, token_hash, uses_left, expires_at FROM permissions WHERE id = ?',
  );
  const spend = db.prepare('UPDATE permissions SET uses_left = uses_left - 1 WHERE id = ? AND uses_left > 0');
  const insertAudit = db.prepare('INSERT INTO audit VALUES (?, ?, ?, ?, ?)');
  const last = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get();
  let seq = last?.seq ?? 0;
  let head = last?.hash ?? '';
  const appendAudit = (event, details) => {
    const body = JSON.stringify({ seq: seq + 1, event, details, prev: head });
    const hash = createHash('sha256').update(body).digest('hex');
    insertAudit.run(seq + 1, hash, head, event, body);
    seq += 1;
    head = hash;
  };
  /** A token check: the permission's row, its owner, its state and the token's hash. */
  const check = (op) => {
    const row = permission.get(op.permissionId);
    return Boolean(
      row && row.agent_id === op.agentId && row.status === 'approved' && row.token_hash === op.tokenHash,
    );
  };
  const write = {
    create(op) {
      insertPermission.run(
        op.id,
        op.agentId,
        op.action,
        '{}',
        'approved',
        op.tokenHash,
        1,
        op.now,
        op.now + 300_000,
      );
      appendAudit('permission.requested', { permissionId: op.id, agentId: op.agentId, action: op.action });
      appendAudit('permission.approved', { permissionId: op.id, by: 'policy', rule: 'auto' });
      return true;
    },
    verify(op) {
      const valid = check(op);
      appendAudit('token.verified', { permissionId: op.permissionId, agentId: op.agentId, valid });
      return valid;
    },
    use(op) {
      const spent = check(op) && spend.run(op.permissionId).changes === 1;
      appendAudit(spent ? 'token.used' : 'token.use_refused', {
        permissionId: op.permissionId,
        agentId: op.agentId,
      });
      return spent;
    },
  };
  return {
    agentByKey: (keyHash) => agentByKey.get(keyHash),
    /** One transaction for a turn's writes; returns each one's outcome. */
    commit: (ops) => db.transaction(() => ops.map((op) => write[op.kind](op))).immediate(),
  };
}

/** The worker: a turn's operations arrive as one message and are answered as one. */
if (!isMainThread) {
  const storage = openStorage(workerData.file);
  parentPort.on('message', (ops) => {
    const reads = ops.filter((op) => op.kind === 'agent');
    const writes = ops.filter((op) => op.kind !== 'agent');
    const replies = reads.map((op) => ({ ref: op.ref, value: storage.agentByKey(op.keyHash) }));
    const outcomes = writes.length > 0 ? storage.commit(writes) : [];
    for (const [i, op] of writes.entries()) replies.push({ ref: op.ref, value: outcomes[i] });
    parentPort.postMessage(replies);
  });
}
