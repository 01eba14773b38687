import { InvalidRequestError, type SwitchboardError } from '../core/errors.js';
import { MIN_SECRET_LENGTH } from '../secrets/redact.js';

/**
 * Per-call HTTP headers (`callTool(…, { headers })`, `readResource`, `getPrompt`): checked before
 * a call is admitted. Only an http or sse server has a request to put them on; a name must be an
 * HTTP token and not one the transport owns or a hop-by-hop one; a header the server's config
 * already sets (its `headers`, or `Authorization` when it has `auth`) is a conflict, so configured
 * credentials always win. Messages name the header, never its value (values are secrets).
 */

/** What the check reads of a server's config. */
export interface HeaderTarget {
  transport: string;
  headers?: Record<string, string> | undefined;
  auth?: unknown;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Names the transport writes itself, and hop-by-hop ones (RFC 9110 §7.6.1). */
const RESERVED = new Set([
  'content-type',
  'content-length',
  'host',
  'accept',
  'mcp-session-id',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
  'last-event-id',
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'cookie',
]);

/** Returns why `headers` cannot go on a call to `server`, or null when they can (also when none). */
export function headersProblem(server: string, target: HeaderTarget, headers: Record<string, string> | undefined): SwitchboardError | null {
  if (headers === undefined) return null;
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) return new InvalidRequestError('headers must be an object of header names to string values');
  const names = Object.keys(headers);
  if (names.length === 0) return null;
  if (target.transport !== 'http' && target.transport !== 'sse') {
    return new InvalidRequestError(`server "${server}" is a ${target.transport} server: per-call headers need an http or sse server`);
  }
  const configured = new Set(Object.keys(target.headers ?? {}).map((n) => n.toLowerCase()));
  if (target.auth !== undefined) configured.add('authorization');
  for (const name of names) {
    const lower = name.toLowerCase();
    if (!TOKEN.test(name)) return new InvalidRequestError(`per-call header name ${JSON.stringify(name.slice(0, 64))} is not a valid HTTP header name`);
    if (RESERVED.has(lower) || lower.startsWith('mcp-param-')) return new InvalidRequestError(`per-call header "${name}" is set by the transport and cannot be given per call`);
    if (configured.has(lower)) return new InvalidRequestError(`per-call header "${name}" conflicts with server "${server}"'s configured ${lower === 'authorization' && target.auth !== undefined ? 'auth' : 'headers'}; the configured value wins, so it cannot be given per call`);
    const value = headers[name];
    if (typeof value !== 'string') return new InvalidRequestError(`per-call header "${name}" must have a string value`);
    if (/[\r\n\0]/.test(value)) return new InvalidRequestError(`per-call header "${name}" has a value with a line break or NUL`);
    // What HTTP can carry (RFC 9110 field-value: visible ASCII, space, tab, obs-text); anything
    // else fetch refuses only when sending, where it would count as the server's failure.
    if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) return new InvalidRequestError(`per-call header "${name}" has a value with a control character or a character beyond U+00FF (encode it, e.g. percent-encoding)`);
  }
  return null;
}

/** The values of a call's headers, as secrets to mask in its messages. */
export function headerSecrets(headers: Readonly<Record<string, string>> | undefined): string[] {
  if (headers === undefined) return [];
  // As for a server's own secrets: values too short to mask without garbling every message are left.
  return Object.values(headers).filter((v) => typeof v === 'string' && v.length >= MIN_SECRET_LENGTH);
}
