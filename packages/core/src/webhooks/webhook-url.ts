import { BlockList, isIP } from 'node:net';
import { AgentOtpError } from '../errors.ts';

const MAX_URL_LENGTH = 2048;

/**
 * Checks a receiver URL: absolute http(s), no credentials in it (they would sit in the
 * database and the dashboard), at most 2 KiB. Returns the normalised URL.
 */
export function validateWebhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('must be an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('must use http:// or https://');
  if (url.username || url.password) throw invalid('must not carry a user name or password');
  if (url.hash) throw invalid('must not have a #fragment');
  const normalised = url.toString();
  if (normalised.length > MAX_URL_LENGTH) throw invalid(`must be at most ${MAX_URL_LENGTH} characters`);
  return normalised;
}

const invalid = (reason: string) =>
  new AgentOtpError('VALIDATION_ERROR', `url ${reason}`, { field: 'url', reason });

// Loopback, private, link-local (cloud metadata at 169.254.169.254), CGNAT, unspecified,
// multicast and reserved ranges: the addresses an outside-facing request should never reach.
const privateRanges = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  privateRanges.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  privateRanges.addSubnet(net, prefix, 'ipv6');
}

/** True for an address inside a loopback, private, link-local or otherwise internal range. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return privateRanges.check(address, 'ipv4');
  if (family !== 6) return true; // not an address at all: refuse rather than guess
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return privateRanges.check(mapped[1], 'ipv4');
  return privateRanges.check(address, 'ipv6');
}
