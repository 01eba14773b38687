import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { CallOutcome } from '../../machines/circuitBreaker.js';
import type { ErrorInfo } from '../../machines/types.js';
import type { AbortCause } from '../calls.js';
import { SwitchboardError } from '../errors.js';
import { CommandError } from './processGroup.js';

/**
 * Turns what SDK 1.32.2 throws into our typed errors and breaker outcomes
 * (research/reliability.md §1.7). The SDK reuses `.code` for JSON-RPC codes, HTTP statuses and
 * nothing at all, so classify by class first, then by code; a caller abort and our own deadline
 * both look like −32001, so they are told apart by which of our signals fired.
 */

/** How one failed call is reported and counted. */
export interface CallFailure {
  error: SwitchboardError;
  outcome: CallOutcome;
  /** The connection itself is suspect (transport error): check it at once. */
  suspectConnection: boolean;
  /** The request provably never reached the tool (so a retry on a new session is safe). */
  undispatched: boolean;
  /** The server no longer knows the session (HTTP 400/404 on a request that carried one). */
  sessionExpired: boolean;
}

function httpStatus(error: unknown): number | undefined {
  if (error instanceof StreamableHTTPError || error instanceof SseError) return error.code;
  if (error instanceof Error) {
    const match = /\(HTTP (\d{3})\)/.exec(error.message);
    if (match) return Number(match[1]);
  }
  return undefined;
}

function networkCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (error.message === 'fetch failed' || error.message.includes('terminated')) return 'ECONNRESET';
  return undefined;
}

/** Classifies a failed `tools/call`. */
export function classifyCallError(error: unknown, abortCause: AbortCause | null, server: string, tool: string): CallFailure {
  const where = `tool "${tool}" on server "${server}"`;
  const fail = (err: SwitchboardError, outcome: CallOutcome, suspect = false, undispatched = false, sessionExpired = false): CallFailure => ({
    error: err,
    outcome,
    suspectConnection: suspect,
    undispatched,
    sessionExpired,
  });
  if (abortCause === 'timeout') return fail(new SwitchboardError('ToolCallTimeout', `${where} timed out`, { cause: error }), 'failure');
  if (abortCause === 'cancelled') return fail(new SwitchboardError('Cancelled', `${where} was cancelled by the caller`, { cause: error }), 'ignored');
  if (abortCause === 'stopped') return fail(new SwitchboardError('Stopped', 'the switchboard is stopping', { cause: error }), 'ignored');
  if (error instanceof McpError) {
    switch (error.code) {
      case ErrorCode.InvalidParams:
        return fail(new SwitchboardError('InvalidArguments', `${where} rejected its arguments: ${error.message}`, { cause: error }), 'success');
      case ErrorCode.ConnectionClosed:
        return fail(new SwitchboardError('ConnectionLost', `${where}: connection lost`, { cause: error }), 'failure');
      case ErrorCode.RequestTimeout:
        return fail(new SwitchboardError('ToolCallTimeout', `${where} timed out`, { cause: error }), 'failure');
      case ErrorCode.InternalError:
      case ErrorCode.ParseError:
        return fail(new SwitchboardError('ProtocolError', `${where} failed: ${error.message}`, { cause: error }), 'failure');
      default:
        // Method not found, invalid request and application codes: the server is alive and answered.
        return fail(new SwitchboardError('ProtocolError', `${where} failed: ${error.message}`, { cause: error }), 'success');
    }
  }
  const status = httpStatus(error);
  if (status !== undefined) {
    if (status === 400 || status === 404) {
      return fail(new SwitchboardError('ConnectionLost', `${where}: session rejected (HTTP ${status})`, { cause: error }), 'ignored', false, true, true);
    }
    if (status === 401 || status === 403) {
      return fail(new SwitchboardError('ConnectionLost', `${where}: not authorized (HTTP ${status})`, { cause: error }), 'ignored', false, true);
    }
    const counts = status >= 500 || status === 408 || status === 429;
    return fail(new SwitchboardError('ProtocolError', `${where} failed: HTTP ${status}`, { cause: error }), counts ? 'failure' : 'success');
  }
  const net = networkCode(error);
  if (net) {
    const undispatched = net === 'ECONNREFUSED';
    return fail(new SwitchboardError('ConnectionLost', `${where}: ${net}`, { cause: error }), 'failure', true, undispatched);
  }
  if (error instanceof Error && error.message === 'Not connected') {
    return fail(new SwitchboardError('ConnectionLost', `${where}: not connected`, { cause: error }), 'ignored', false, true);
  }
  if (error instanceof Error && error.name.includes('ZodError')) {
    return fail(new SwitchboardError('ProtocolError', `${where} returned an invalid result`, { cause: error }), 'failure');
  }
  const message = error instanceof Error ? error.message : String(error);
  return fail(new SwitchboardError('ProtocolError', `${where} failed: ${message}`, { cause: error }), 'failure');
}

/** True when a request error says the server forgot our session (HTTP 400 or 404). */
export function isSessionRejection(error: unknown): boolean {
  const status = httpStatus(error);
  return status === 400 || status === 404;
}

/** Classifies a failed connect attempt: non-retryable failures send the server to `error`. */
export function classifyConnectError(error: unknown, retryAfterMs?: number): ErrorInfo {
  const info = (code: string, message: string, retryable: boolean): ErrorInfo => {
    const out: ErrorInfo = { code, message, retryable };
    if (retryAfterMs !== undefined && retryable) out.retryAfterMs = retryAfterMs;
    return out;
  };
  if (error instanceof CommandError) return info(error.code, error.message, false);
  if (error instanceof UnauthorizedError) return info('Unauthorized', 'the server requires authorization', false);
  const message = error instanceof Error ? error.message : String(error);
  if (/protocol version is not supported/i.test(message)) return info('UnsupportedProtocolVersion', message, false);
  const status = httpStatus(error);
  if (status === 401 || status === 403) return info(`HTTP${status}`, `the server refused access (HTTP ${status})`, false);
  if (status !== undefined) return info(`HTTP${status}`, `connect failed: HTTP ${status}`, true);
  if (error instanceof McpError && error.code === ErrorCode.ConnectionClosed) return info('ConnectionClosed', 'the server closed the connection during initialize', true);
  const net = networkCode(error);
  if (net) return info(net, `connect failed: ${net}`, true);
  return info('ConnectFailed', `connect failed: ${message}`, true);
}
