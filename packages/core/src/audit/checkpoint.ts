import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import type { StripeTip } from './chain-verifier.ts';

/**
 * A checkpoint says "every stripe of the audit log had these heads at time `at`", signed with a
 * key derived from the server secret. Checkpoints are kept outside the database, so someone who
 * can only change the database can neither cut the newest entries of any stripe (its chain would
 * end before a checkpoint) nor rewrite a stripe with recomputed hashes (the entry at a head would
 * no longer carry its hash), and cannot sign a checkpoint of their own.
 *
 * Lines written before the log had stripes (`{seq, hash, at, mac}`, one chain) still read: they
 * are the head of stripe 0, whose place in the stripe is its seq.
 */
export interface AuditCheckpoint {
  /** The form: 2 since the log has stripes. */
  v: 2;
  /** The highest seq among the heads and that entry's hash (for people; derived from `heads`). */
  seq: number;
  hash: string;
  /** Every stripe's head: its place in the stripe, its global seq and its hash. */
  heads: StripeTip[];
  /** Epoch milliseconds when it was signed. */
  at: number;
  /** Hex HMAC-SHA256 of the canonical JSON of the signed fields. */
  mac: string;
}

/** The head with the highest seq: what "anchored at entry N" names. */
function newestHead(heads: readonly StripeTip[]): { seq: number; hash: string } {
  let newest = { seq: 0, hash: '0'.repeat(64) };
  for (const h of heads) if (h.seq > newest.seq) newest = { seq: h.seq, hash: h.hash };
  return newest;
}

/** How many entries a checkpoint covers: every stripe's chain is dense from 1. */
export const checkpointEntries = (c: AuditCheckpoint): number =>
  c.heads.reduce((sum, h) => sum + h.stripeSeq, 0);

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
  sign(heads: readonly StripeTip[], at: number): AuditCheckpoint;
  /** The checkpoint a stored line holds, or why the line is not a valid checkpoint. */
  parse(line: string): AuditCheckpoint | { invalid: string };
}

/** A log and the signer that checks it: what verification needs to look past the database. */
export interface AuditAnchor {
  log: CheckpointLog;
  signer: CheckpointSigner;
}

const HEX64 = /^[0-9a-f]{64}$/;
const LEGACY_FIELDS = ['at', 'hash', 'mac', 'seq'].join();
const FIELDS = ['at', 'hash', 'heads', 'mac', 'seq', 'v'].join();

const isCount = (v: unknown, min: number) => Number.isSafeInteger(v) && (v as number) >= min;

export function createCheckpointSigner(serverSecret: Uint8Array): CheckpointSigner {
  // A key of its own (HKDF), never the secret itself: no other HMAC the server computes under
  // the secret (token and key hashes) can ever equal a checkpoint MAC.
  const key = Buffer.from(hkdfSync('sha256', serverSecret, '', 'agent-otp audit checkpoint v1', 32));
  const mac = (signed: object) => createHmac('sha256', key).update(canonicalJson(signed)).digest('hex');
  // The two forms sign different key sets ({seq, hash, at} and {v, heads, at}), so a MAC of one
  // can never pass as the other.
  const macOf = (heads: readonly StripeTip[], at: number) =>
    mac({
      v: 2,
      at,
      heads: heads.map((h) => ({ stripe: h.stripe, stripeSeq: h.stripeSeq, seq: h.seq, hash: h.hash })),
    });
  const macMatches = (expectedHex: string, actualHex: string) =>
    timingSafeEqual(Buffer.from(expectedHex, 'hex'), Buffer.from(actualHex, 'hex'));
  const forged = {
    invalid: 'its signature does not match (forged, edited, or signed under another server secret)',
  };
  return {
    sign: (heads, at) => {
      const sorted = [...heads]
        .sort((a, b) => a.stripe - b.stripe)
        .map((h) => ({ stripe: h.stripe, stripeSeq: h.stripeSeq, seq: h.seq, hash: h.hash }));
      return { v: 2, ...newestHead(sorted), heads: sorted, at, mac: macOf(sorted, at) };
    },
    parse(line) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        return { invalid: 'not JSON' };
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return { invalid: 'not a checkpoint {v, seq, hash, heads, at, mac}' };
      const v = value as Record<string, unknown>;
      const keys = Object.keys(v).sort().join();
      if (keys === LEGACY_FIELDS && isLegacyShape(v)) {
        if (!macMatches(mac({ seq: v.seq, hash: v.hash, at: v.at }), v.mac)) return forged;
        return {
          v: 2,
          seq: v.seq,
          hash: v.hash,
          heads: [{ stripe: 0, stripeSeq: v.seq, seq: v.seq, hash: v.hash }],
          at: v.at,
          mac: v.mac,
        };
      }
      const heads = keys === FIELDS && v.v === 2 ? parseHeads(v.heads) : null;
      if (!heads || !isCount(v.at, 0) || typeof v.mac !== 'string' || !HEX64.test(v.mac))
        return { invalid: 'not a checkpoint {v, seq, hash, heads, at, mac}' };
      if (!macMatches(macOf(heads, v.at as number), v.mac)) return forged;
      const newest = newestHead(heads);
      if (v.seq !== newest.seq || v.hash !== newest.hash) return forged;
      return { v: 2, ...newest, heads, at: v.at as number, mac: v.mac };
    },
  };
}

function isLegacyShape(
  v: Record<string, unknown>,
): v is { seq: number; hash: string; at: number; mac: string } {
  return (
    isCount(v.seq, 1) &&
    isCount(v.at, 0) &&
    typeof v.hash === 'string' &&
    HEX64.test(v.hash) &&
    typeof v.mac === 'string' &&
    HEX64.test(v.mac)
  );
}

/** Heads as signed: one per stripe, ascending, each a well-formed position and hash. */
function parseHeads(value: unknown): StripeTip[] | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  const heads: StripeTip[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return null;
    const h = item as Record<string, unknown>;
    if (Object.keys(h).sort().join() !== 'hash,seq,stripe,stripeSeq') return null;
    if (!isCount(h.stripe, 0) || !isCount(h.stripeSeq, 0) || !isCount(h.seq, 0)) return null;
    if (typeof h.hash !== 'string' || !HEX64.test(h.hash)) return null;
    const previous = heads.at(-1);
    if (previous && previous.stripe >= (h.stripe as number)) return null;
    heads.push({
      stripe: h.stripe as number,
      stripeSeq: h.stripeSeq as number,
      seq: h.seq as number,
      hash: h.hash,
    });
  }
  return heads;
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

/** The newest checkpoint: the one covering the most entries (the latest signed of those on a tie). */
export function newestCheckpoint(checkpoints: readonly AuditCheckpoint[]): AuditCheckpoint | null {
  let newest: AuditCheckpoint | null = null;
  for (const c of checkpoints) {
    const covered = checkpointEntries(c);
    const best = newest ? checkpointEntries(newest) : -1;
    if (!newest || covered > best || (covered === best && c.at >= newest.at)) newest = c;
  }
  return newest;
}
