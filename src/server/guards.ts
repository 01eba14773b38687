import type { IncomingHttpHeaders } from 'node:http';
import { tokenMatches } from './auth.js';

/**
 * The checks every listener of `serve` shares (the admin API and the inspector relay): which Host
 * and Origin names are accepted (DNS rebinding) and how a bearer token is presented.
 */

/** The wildcard bind addresses: listening on every interface. */
export function bindsEveryInterface(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** `host:port` as it appears in a Host header: IPv6 literals in brackets. */
export function hostWithPort(host: string, port: number): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return `${bare.includes(':') ? `[${bare}]` : bare}:${port}`;
}

/**
 * Host header values accepted on `port`: the bind address (unless it is a wildcard, which no
 * client puts in a Host header), the loopback names, and each configured name. A configured
 * name without a port is accepted with the bound port and bare (default port 80).
 */
export function allowedHostNames(bindHost: string, port: number, configured: readonly string[] = []): string[] {
  const names = new Set<string>();
  if (!bindsEveryInterface(bindHost)) names.add(hostWithPort(bindHost, port));
  for (const loopback of ['localhost', '127.0.0.1', '::1']) names.add(hostWithPort(loopback, port));
  for (const raw of configured) {
    const name = raw.trim().toLowerCase();
    if (!name) continue;
    const hasPort = /^\[.*\]:\d+$/.test(name) || /^[^:[\]]+:\d+$/.test(name);
    if (hasPort) names.add(name);
    else {
      names.add(hostWithPort(name, port));
      names.add(name.includes(':') && !name.startsWith('[') ? `[${name}]` : name);
    }
  }
  return [...names].map((n) => n.toLowerCase());
}

/** Why a request's Host or Origin is refused, or null when both are acceptable. */
export function hostOrOriginProblem(host: string | undefined, origin: string | undefined, allowedHosts: ReadonlySet<string>, allowedOrigins: ReadonlySet<string> = allowedHosts): string | null {
  if (!allowedHosts.has((host ?? '').toLowerCase())) return 'Host header not allowed';
  if (origin !== undefined) {
    let originHost = '';
    try {
      originHost = new URL(origin).host.toLowerCase();
    } catch {
      // An unparseable Origin (including "null") is refused like a foreign one.
    }
    if (!allowedOrigins.has(originHost)) return 'Origin not allowed';
  }
  return null;
}

/** The WebSocket subprotocol that carries the token: `bearer.<token>` (browsers cannot set headers). */
export const BEARER_PROTOCOL_PREFIX = 'bearer.';

/** True when `Authorization: Bearer <token>` (or, when `allowProtocol`, a `bearer.<token>` subprotocol) carries the token. */
export function presentsToken(headers: IncomingHttpHeaders | Record<string, string | undefined>, token: string, allowProtocol = false): boolean {
  const authorization = headers.authorization;
  const match = typeof authorization === 'string' ? /^Bearer\s+(.+)$/i.exec(authorization) : null;
  if (match && tokenMatches(match[1]!.trim(), token)) return true;
  if (!allowProtocol) return false;
  const protocols = String(headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  return protocols.some((p) => p.startsWith(BEARER_PROTOCOL_PREFIX) && tokenMatches(p.slice(BEARER_PROTOCOL_PREFIX.length), token));
}
