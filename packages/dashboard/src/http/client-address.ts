import { BlockList, isIP } from 'node:net';
import type { Context } from 'hono';

/** Which socket peers are reverse proxies whose X-Forwarded-For may be believed. */
export interface ProxyTrust {
  trusts(address: string): boolean;
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is 10.0.0.1. */
function plainIp(value: string): string | null {
  let ip = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(ip);
  if (bracketed) ip = bracketed[1] as string;
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(ip);
  if (withPort) ip = withPort[1] as string;
  if (/^::ffff:\d{1,3}(?:\.\d{1,3}){3}$/i.test(ip)) ip = ip.slice(7);
  return isIP(ip) === 0 ? null : ip.toLowerCase();
}

/**
 * Parses the trusted proxies setting: IP addresses and CIDR ranges, IPv4 or IPv6
 * (`10.0.0.0/8, 127.0.0.1, ::1, fd00::/8`). Throws an Error naming the first bad entry.
 */
export function createProxyTrust(entries: readonly string[]): ProxyTrust {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.trim().split('/');
    const ip = plainIp(address);
    const bits = prefix === undefined ? null : /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
    const family = ip ? (isIP(ip) === 4 ? 'ipv4' : 'ipv6') : null;
    const max = family === 'ipv4' ? 32 : 128;
    if (!ip || !family || extra !== undefined || (bits !== null && !(bits >= 0 && bits <= max))) {
      throw new Error(`"${entry}" is not an IP address or CIDR range`);
    }
    if (bits === null) list.addAddress(ip, family);
    else list.addSubnet(ip, bits, family);
  }
  return {
    trusts(address) {
      if (entries.length === 0) return false;
      const ip = plainIp(address);
      return ip !== null && list.check(ip, isIP(ip) === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** The socket's peer under @hono/node-server; undefined when the app is driven in process. */
function peerAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const peer = env?.incoming?.socket?.remoteAddress;
  return peer ? (plainIp(peer) ?? peer) : undefined;
}

/**
 * The client's address, for login throttling and the audit. X-Forwarded-For is read only when
 * the socket peer is a trusted proxy, and then from the right: each trusted proxy appends the
 * address it received from, so the right-most address that is not a trusted proxy is the
 * client, while anything a client writes into the header itself sits further left and is
 * ignored. Without trusted proxies the header is never read: anyone could send it.
 */
export function clientAddress(c: Context, trust: ProxyTrust): string | undefined {
  let client = peerAddress(c);
  if (!client || !trust.trusts(client)) return client;
  const hops = (c.req.header('x-forwarded-for') ?? '').split(',').slice(-32).reverse();
  for (const hop of hops) {
    const ip = plainIp(hop);
    // Garbage where a trusted proxy should have written an address: keep the last one known.
    if (!ip) break;
    client = ip;
    if (!trust.trusts(ip)) break;
  }
  return client;
}
