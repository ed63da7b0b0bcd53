import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

/**
 * A checkpoint says "the audit chain had entry `seq` with hash `hash` at time `at`", signed with
 * a key derived from the server secret. Checkpoints are kept outside the database, so someone
 * who can only change the database can neither cut the newest entries (the chain would end
 * before a checkpoint) nor rewrite the chain with recomputed hashes (the entry at a checkpoint's
 * seq would no longer carry its hash), and cannot sign a checkpoint of their own.
 */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  /** Epoch milliseconds when it was signed. */
  at: number;
  /** Hex HMAC-SHA256 of the canonical JSON of seq, hash and at. */
  mac: string;
}

/**
 * Where checkpoints are kept: one JSON line each, oldest first. The server's adapter is a file
 * beside (or away from) the database; the port keeps the signing and checking here in core.
 */
export interface CheckpointLog {
  /** Where the checkpoints are, for messages (a file path). */
  readonly location: string;
  /** The stored lines, oldest first; null when nothing was ever stored there. */
  read(): Promise<string[] | null>;
  /** Appends one line durably. */
  append(line: string): Promise<void>;
}

export interface CheckpointSigner {
  sign(head: { seq: number; hash: string }, at: number): AuditCheckpoint;
  /** The checkpoint a stored line holds, or why the line is not a valid checkpoint. */
  parse(line: string): AuditCheckpoint | { invalid: string };
}

/** A log and the signer that checks it: what verification needs to look past the database. */
export interface AuditAnchor {
  log: CheckpointLog;
  signer: CheckpointSigner;
}

const HEX64 = /^[0-9a-f]{64}$/;
const FIELDS = ['at', 'hash', 'mac', 'seq'];

export function createCheckpointSigner(serverSecret: Uint8Array): CheckpointSigner {
  // A key of its own (HKDF), never the secret itself: no other HMAC the server computes under
  // the secret (token and key hashes) can ever equal a checkpoint MAC.
  const key = Buffer.from(hkdfSync('sha256', serverSecret, '', 'agent-otp audit checkpoint v1', 32));
  const macOf = (seq: number, hash: string, at: number) =>
    createHmac('sha256', key).update(canonicalJson({ seq, hash, at })).digest('hex');
  return {
    sign: (head, at) => ({ seq: head.seq, hash: head.hash, at, mac: macOf(head.seq, head.hash, at) }),
    parse(line) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        return { invalid: 'not JSON' };
      }
      if (!isCheckpointShape(value)) return { invalid: 'not a checkpoint {seq, hash, at, mac}' };
      const expected = Buffer.from(macOf(value.seq, value.hash, value.at), 'hex');
      if (!timingSafeEqual(expected, Buffer.from(value.mac, 'hex'))) {
        return {
          invalid: 'its signature does not match (forged, edited, or signed under another server secret)',
        };
      }
      return value;
    },
  };
}

function isCheckpointShape(value: unknown): value is AuditCheckpoint {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    Object.keys(v).sort().join() === FIELDS.join() &&
    Number.isSafeInteger(v.seq) &&
    (v.seq as number) >= 1 &&
    Number.isSafeInteger(v.at) &&
    (v.at as number) >= 0 &&
    typeof v.hash === 'string' &&
    HEX64.test(v.hash) &&
    typeof v.mac === 'string' &&
    HEX64.test(v.mac)
  );
}

export interface CheckpointSet {
  location: string;
  /** Valid checkpoints in file order. */
  checkpoints: AuditCheckpoint[];
  /** Lines (1-based) that are not valid checkpoints. */
  invalid: Array<{ line: number; reason: string }>;
}

/** Reads and checks every stored checkpoint; null when none was ever stored. */
export async function readCheckpoints(anchor: AuditAnchor): Promise<CheckpointSet | null> {
  const lines = await anchor.log.read();
  if (lines === null) return null;
  const set: CheckpointSet = { location: anchor.log.location, checkpoints: [], invalid: [] };
  lines.forEach((text, index) => {
    if (text.trim() === '') return;
    const parsed = anchor.signer.parse(text);
    if ('invalid' in parsed) set.invalid.push({ line: index + 1, reason: parsed.invalid });
    else set.checkpoints.push(parsed);
  });
  return set;
}

/** The checkpoint with the highest seq (the latest signed of those on a tie). */
export function newestCheckpoint(checkpoints: readonly AuditCheckpoint[]): AuditCheckpoint | null {
  let newest: AuditCheckpoint | null = null;
  for (const c of checkpoints) {
    if (!newest || c.seq > newest.seq || (c.seq === newest.seq && c.at >= newest.at)) newest = c;
  }
  return newest;
}
