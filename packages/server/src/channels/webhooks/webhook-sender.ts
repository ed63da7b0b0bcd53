import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { isPrivateAddress, SIGNATURE_HEADER } from '@agent-otp/core';

export interface SendResult {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface SendOptions {
  timeoutMs: number;
  allowPrivate: boolean;
}

const USER_AGENT = 'agent-otp-webhooks/1';
const MAX_ERROR_LENGTH = 300;

/**
 * Resolves like dns.lookup but refuses private addresses. It runs when the socket connects,
 * so the address checked is the address used: a name that resolves to a public address for a
 * check and a private one a moment later (DNS rebinding) gains nothing.
 */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const list = addresses as LookupAddress[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad || list.length === 0) {
      const refused = new Error(
        `refused: ${hostname} resolves to a private address ${bad?.address ?? ''} (AGENT_OTP_WEBHOOK_ALLOW_PRIVATE=true allows it)`,
      );
      return callback(refused as NodeJS.ErrnoException, '', 0);
    }
    if ((options as { all?: boolean }).all)
      return (callback as (e: null, a: LookupAddress[]) => void)(null, list);
    const first = list[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
};

/**
 * POSTs one signed body. Any 2xx is success; anything else — redirects included, which are not
 * followed, so a receiver cannot bounce the request inward — is a failure with its status.
 * The answer's body is read and discarded, up to the timeout.
 */
export function sendWebhook(
  url: string,
  body: string,
  signature: string,
  eventId: string,
  options: SendOptions,
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const target = new URL(url);
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (!options.allowPrivate && isIP(host) && isPrivateAddress(host)) {
      return resolve({
        statusCode: null,
        error: `refused: ${host} is a private address (AGENT_OTP_WEBHOOK_ALLOW_PRIVATE=true allows it)`,
        durationMs: 0,
      });
    }
    let settled = false;
    const finish = (result: Omit<SendResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, error: result.error?.slice(0, MAX_ERROR_LENGTH) ?? null, durationMs: elapsed() });
    };
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': USER_AGENT,
          [SIGNATURE_HEADER]: signature,
          'Agent-OTP-Event-Id': eventId,
        },
        ...(options.allowPrivate ? {} : { lookup: guardedLookup }),
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          finish({ statusCode: code, error: code >= 200 && code < 300 ? null : `HTTP ${code}` });
        });
        res.on('error', (error) => finish({ statusCode: res.statusCode ?? null, error: error.message }));
      },
    );
    const timer = setTimeout(() => {
      finish({ statusCode: null, error: `timeout after ${options.timeoutMs} ms` });
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (error) => finish({ statusCode: null, error: error.message }));
    req.end(body);
  });
}
