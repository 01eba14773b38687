import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { AuthError } from '../../auth/errors.js';
import type { ErrorInfo } from '../../../machines/types.js';
import type { AbortCause, CallFailure } from '../session.js';
import { abortFailure, failureOf, isSubstituteData, SUBSTITUTE } from '../failure.js';
import { isServerAnswer } from './serverAnswers.js';
import { CommandError } from './transports/processGroup.js';
import { versionRefusal } from './versionRefusal.js';

/**
 * Turns what SDK 1.32.2 throws into our typed errors and breaker outcomes
 * (research/reliability.md §1.7). The SDK reuses `.code` for JSON-RPC codes, HTTP statuses and
 * nothing at all, so classify by class first, then by code; a caller abort and our own deadline
 * both look like −32001, so they are told apart by which of our signals fired.
 */

export type { CallFailure } from '../session.js';

function httpStatus(error: unknown): number | undefined {
  if (error instanceof StreamableHTTPError || error instanceof SseError) return error.code;
  if (error instanceof Error) {
    const match = /\(HTTP (\d{3})\)/.exec(error.message);
    if (match) return Number(match[1]);
  }
  return undefined;
}

function isAuthStatus(status: number | undefined): boolean {
  return status === 401 || status === 403;
}

function networkCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (error.message === 'fetch failed' || error.message.includes('terminated')) return 'ECONNRESET';
  return undefined;
}

/**
 * An error's message with the SDK's "MCP error <code>: " prefix once: a v1 SDK server puts its own
 * McpError's message, prefix included, on the wire, and the v1 client prefixes it again.
 */
function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^(MCP error -?\d+: )+(?=MCP error -?\d+: )/, '');
}

/**
 * Classifies a failed request. `subject` names it in messages (defaults to `tool "<tool>"`);
 * the breaker outcome comes from the error table, except for requests that never reached the server.
 */
export function classifyCallError(error: unknown, abortCause: AbortCause | null, server: string, tool: string, subject = `tool "${tool}"`, kind: 'tool' | 'other' = 'tool'): CallFailure {
  const where = `${subject} on server "${server}"`;
  const fail = failureOf(error);
  const aborted = abortFailure(fail, abortCause, where);
  if (aborted) return aborted;
  // Before McpError: with an authProvider the SDK throws UnauthorizedError for a 401 it could not fix.
  // Our own authorization's failures say what happened and hold no secret.
  if (error instanceof AuthError) return fail('AuthRequired', `${where}: ${error.message}`, { authFailed: true });
  if (error instanceof UnauthorizedError || isAuthStatus(httpStatus(error))) {
    const status = httpStatus(error);
    const why = status === undefined ? 'requires authorization' : `refused our credentials (HTTP ${status})`;
    return fail('AuthRequired', `${where}: the server ${why}`, { authFailed: true });
  }
  // An answer we put in place of one that could not be delivered (too large, broken envelope): the
  // server sent something unusable, whatever the method, so the breaker counts it.
  if (error instanceof McpError && isSubstitute(error)) return fail('ProtocolError', `${where} failed: ${messageOf(error)}`);
  if (error instanceof McpError) {
    switch (error.code) {
      case ErrorCode.InvalidParams:
        return fail('InvalidArguments', `${where} rejected its arguments: ${messageOf(error)}`);
      case ErrorCode.ConnectionClosed:
      case ErrorCode.RequestTimeout:
        // The SDK's own: the session closed under the request (−32000), or the SDK's own timer
        // (−32001; disabled, our deadlines and aborts are `abortCause`). A server that answers with
        // either code is alive and answered: an application error like any other (below), never a
        // lost connection, so it is neither replayed nor a reason to reconnect.
        if (!isServerAnswer(error)) {
          return error.code === ErrorCode.ConnectionClosed ? fail('ConnectionLost', `${where}: connection lost`) : fail('ToolCallTimeout', `${where} timed out`);
        }
        return fail('ServerError', `${where} failed: ${messageOf(error)}`);
      case ErrorCode.InternalError:
        // SDK servers answer a prompt or resource callback that threw (a bad name, a bad uri:
        // the caller's mistake) with -32603; only a tool's -32603 means the server itself broke,
        // because McpServer turns a tool's exceptions into isError results.
        return fail(kind === 'tool' ? 'ProtocolError' : 'ServerError', `${where} failed: ${messageOf(error)}`);
      case ErrorCode.ParseError:
        return fail('ProtocolError', `${where} failed: ${messageOf(error)}`);
      default:
        // Method not found, invalid request and application codes: the server is alive and answered.
        return fail('ServerError', `${where} failed: ${messageOf(error)}`);
    }
  }
  const status = httpStatus(error);
  if (status !== undefined) {
    if (status === 400 || status === 404) {
      return fail('ConnectionLost', `${where}: session rejected (HTTP ${status})`, { undispatched: true, unsent: true, sessionExpired: true });
    }
    const counts = status >= 500 || status === 408 || status === 429;
    return fail(counts ? 'ProtocolError' : 'ServerError', `${where} failed: HTTP ${status}`);
  }
  const net = networkCode(error);
  if (net) return fail('ConnectionLost', `${where}: ${net}`, { suspect: true, undispatched: net === 'ECONNREFUSED' });
  if (error instanceof Error && error.message === 'Not connected') {
    return fail('ConnectionLost', `${where}: not connected`, { undispatched: true, unsent: true });
  }
  if (error instanceof MessageTooLargeError) return fail('ProtocolError', `${where} failed: ${error.message}`);
  if (error instanceof Error && error.name.includes('ZodError')) return fail('ProtocolError', `${where} returned an invalid result`);
  return fail('ProtocolError', `${where} failed: ${messageOf(error)}`);
}

/** True when a request error says the server forgot our session (HTTP 400 or 404). */
export function isSessionRejection(error: unknown): boolean {
  const status = httpStatus(error);
  return status === 400 || status === 404;
}

/**
 * Classifies a failed connect attempt: non-retryable failures send the server to `error`.
 * `maxMessageBytes` is the server's `limits.maxMessageBytes` (defaults to 10 MiB), the bound on an
 * HTTP error body searched for a version refusal.
 */
export function classifyConnectError(error: unknown, retryAfterMs?: number, maxMessageBytes?: number): ErrorInfo {
  const info = (code: string, message: string, retryable: boolean): ErrorInfo => {
    const out: ErrorInfo = { code, message, retryable };
    if (retryAfterMs !== undefined && retryable) out.retryAfterMs = retryAfterMs;
    return out;
  };
  if (error instanceof CommandError) return info(error.code, error.message, false);
  // AuthError: consent needed, credentials refused, resource mismatch (a person must act), or the
  // authorization server unreachable (retryable).
  if (error instanceof AuthError) return info('AuthRequired', error.message, error.retryable);
  if (error instanceof UnauthorizedError) return info('AuthRequired', 'the server requires authorization', false);
  const message = messageOf(error);
  const refusal = versionRefusal(error, maxMessageBytes);
  if (refusal !== undefined) return info('UnsupportedProtocolVersion', refusal, false);
  // What we put in place of an unusable answer (too large, broken envelope) during initialize or the
  // first catalog listing, or a stdio framing lost then: the server broke the protocol. A new
  // session may fare better (a catalog that shrinks), so it is retried, with backoff.
  if (isProtocolBreach(error)) return info('ProtocolError', `connect failed: ${message}`, true);
  const status = httpStatus(error);
  if (isAuthStatus(status)) return info('AuthRequired', `the server refused our credentials (HTTP ${status})`, false);
  if (status !== undefined) return info(`HTTP${status}`, `connect failed: HTTP ${status}`, true);
  // The SDK's own −32000 only: a server that answers initialize with −32000 said why (ConnectFailed below).
  if (error instanceof McpError && error.code === ErrorCode.ConnectionClosed && !isServerAnswer(error)) return info('ConnectionClosed', 'the server closed the connection during initialize', true);
  const net = networkCode(error);
  if (net) return info(net, `connect failed: ${net}`, true);
  return info('ConnectFailed', `connect failed: ${message}`, true);
}

/** A server message (stdio line, HTTP body, SSE event) larger than `limits.maxMessageBytes`. */
export class MessageTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the server sent a message of more than ${limit} bytes (limits.maxMessageBytes)`);
    this.name = 'MessageTooLargeError';
  }
}

type RequestId = string | number;


/** The JSON-RPC error answer we deliver in place of a response that cannot be delivered as sent. */
export function substituteError(id: RequestId, message: string): { jsonrpc: '2.0'; id: RequestId; error: { code: number; message: string; data: { by: string } } } {
  return { jsonrpc: '2.0', id, error: { code: ErrorCode.InternalError, message, data: { by: SUBSTITUTE } } };
}

/** True for an error answer made by `substituteError`. */
function isSubstitute(error: McpError): boolean {
  return isSubstituteData(error.data);
}

/** An error that says the server broke the protocol: our substitutes, an oversized message, lost framing. */
function isProtocolBreach(error: unknown): boolean {
  if (error instanceof McpError) return isSubstitute(error);
  return error instanceof MessageTooLargeError || (error instanceof Error && error.name === 'FramingLostError');
}

const isRequestId = (id: unknown): id is RequestId => typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id));
const RESPONSE_KEYS = new Set(['jsonrpc', 'id', 'result', 'error']);
const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What is wrong with a response's envelope, or null when it has the shape the SDK accepts. */
function responseProblem(m: Record<string, unknown>): string | null {
  if (m.jsonrpc !== '2.0') return 'jsonrpc is not "2.0"';
  const hasResult = 'result' in m;
  const hasError = 'error' in m;
  if (hasResult && hasError) return 'both result and error';
  if (!hasResult && !hasError) return 'neither result nor error';
  for (const key of Object.keys(m)) if (!RESPONSE_KEYS.has(key)) return `unexpected member "${key}"`;
  if (hasResult) {
    const result = m.result;
    if (!isPlainObject(result)) return `result is ${Array.isArray(result) ? 'an array' : result === null ? 'null' : `a ${typeof result}`}`;
    return null;
  }
  const error = m.error;
  if (!isPlainObject(error)) return 'error is not an object';
  if (!Number.isInteger(error.code)) return 'error.code is not an integer';
  if (typeof error.message !== 'string') return 'error.message is not a string';
  return null;
}

/**
 * Screens one parsed incoming message. A response whose envelope the SDK would reject (its schema
 * error carries no id, so the call would wait for its deadline) comes back as the id and what is
 * wrong, so the caller can deliver `substituteError` for exactly that request. Requests,
 * notifications and messages without a usable id return null and take the SDK's own path.
 * `strict` is the SDK's verdict when known (stdio); without it a cheap structural check runs.
 */
export function brokenResponse(value: unknown, sdkRejected?: boolean): { id: RequestId; problem: string } | null {
  if (!isPlainObject(value) || 'method' in value || !isRequestId(value.id)) return null;
  const problem = responseProblem(value);
  if (problem) return { id: value.id, problem };
  return sdkRejected ? { id: value.id, problem: 'it does not match the JSON-RPC response schema' } : null;
}

const ID = String.raw`(-?\d+|"(?:[^"\\]|\\.){0,200}")`;
const HEAD_ID = new RegExp(String.raw`^\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*` + ID);
const TAIL_ID = new RegExp(String.raw`"id"\s*:\s*` + ID + String.raw`\s*\}\s*$`);

/**
 * The request id of a message too large to keep, read from its first and last bytes: servers put
 * the id first (`{"jsonrpc":"2.0","id":…`) or, like the TypeScript SDK, last (`…,"id":3}`). Only a
 * top-level id matches: the head must start the object, the tail must close it.
 */
export function idFromEdges(head: string, tail: string): RequestId | undefined {
  const start = head.indexOf('{');
  const match = (start === -1 ? null : HEAD_ID.exec(head.slice(start))) ?? TAIL_ID.exec(tail);
  if (!match) return undefined;
  const raw = match[1]!;
  try {
    return JSON.parse(raw) as RequestId;
  } catch {
    return undefined;
  }
}
