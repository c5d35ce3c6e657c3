/**
 * The client's address and scheme, derived by one rule for REST and for the WebSocket handshake,
 * so both count a visitor against the same rate-limit keys (`rest:…`, `chat-create:…`).
 *
 * Behind proxies the socket's peer is the nearest proxy, and the visitor is somewhere in
 * X-Forwarded-For. Every proxy appends the address it received the request from
 * (`$proxy_add_x_forwarded_for`), so only the right end of the list is written by proxies; the left
 * end is whatever the client sent. The address is found by walking from the socket's peer leftwards
 * through X-Forwarded-For while the hop is trusted (proxy-addr semantics, as Fastify does):
 *
 * - TRUST_PROXY=false: the socket's peer;
 * - a hop count N (`true` = 1): the N-th address from the right, counting the peer as 0;
 * - a list of proxy addresses/CIDRs: the first address from the right that is not one of them.
 *
 * Fastify gets the same trust function (app.ts), so `request.ip` and `request.protocol` follow the
 * same rule as clientAddress() and requestProtocol() here. A hop count is passed as a function:
 * Fastify refuses a numeric trustProxy (it trusts nothing then).
 */
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { PlatformConfig, TrustProxySetting } from '../base/config.ts';

export type ProxyTrust = (address: string, hop: number) => boolean;

const compiled = new WeakMap<object, ProxyTrust | null>();

/** The trust function of a TRUST_PROXY setting; null when no proxy is trusted. */
export function compileProxyTrust(setting: TrustProxySetting): ProxyTrust | null {
  if (setting === false) return null;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return proxyAddr.compile([...setting]);
}

/** The configuration's trust function, compiled once per configuration object. */
export function proxyTrustOf(config: Pick<PlatformConfig, 'trustProxy'>): ProxyTrust | null {
  let trust = compiled.get(config);
  if (trust === undefined) {
    trust = compileProxyTrust(config.trustProxy);
    compiled.set(config, trust);
  }
  return trust;
}

/** The client address of an HTTP request or WebSocket upgrade ('unknown' when the socket has none). */
export function clientAddress(request: IncomingMessage, trust: ProxyTrust | null): string {
  if (!trust) return request.socket.remoteAddress ?? 'unknown';
  return proxyAddr(request, trust) || 'unknown';
}

/** 'https' or 'http': X-Forwarded-Proto counts only when the socket's peer is a trusted proxy (as Fastify's request.protocol). */
export function requestProtocol(request: IncomingMessage, trust: ProxyTrust | null): 'http' | 'https' {
  const socket = request.socket as IncomingMessage['socket'] & { encrypted?: boolean };
  const forwarded = request.headers['x-forwarded-proto'];
  if (trust && typeof forwarded === 'string' && forwarded !== '' && socket.remoteAddress && trust(socket.remoteAddress, 0)) {
    // The last entry: the one the nearest proxy wrote.
    return forwarded.slice(forwarded.lastIndexOf(',') + 1).trim().toLowerCase() === 'https' ? 'https' : 'http';
  }
  return socket.encrypted ? 'https' : 'http';
}
