import { OAuthClientFlowError, OAuthError, ProtocolError, SdkError, SdkErrorCode, SdkHttpError, UnauthorizedError, UnsupportedProtocolVersionError } from '@modelcontextprotocol/client';
import type { ErrorInfo } from '../../../machines/types.js';
import { AuthError } from '../../auth/errors.js';
import { SwitchboardError } from '../../core/errors.js';
import { abortFailure, failureOf, isSubstituteData } from '../failure.js';
import type { AbortCause, CallFailure } from '../session.js';

/**
 * Turns what `@modelcontextprotocol/client` 2.4.0 throws into our typed errors and breaker
 * outcomes, by the same rules as the legacy era (v1/classify.ts): JSON-RPC answers by code
 * (`ProtocolError`), the SDK's own failures by their string code (`SdkError`), HTTP by status
 * (`SdkHttpError`). The v2 SDK brands its classes, so `instanceof` is safe across its bundles.
 */

function httpStatus(error: unknown): number | undefined {
  if (error instanceof SdkHttpError) {
    const status = (error.data as { status?: unknown } | undefined)?.status;
    return typeof status === 'number' ? status : undefined;
  }
  return undefined;
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    if (current.message === 'fetch failed' || current.message.includes('terminated')) return 'ECONNRESET';
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The JSON-RPC error we put in place of an unusable answer (v1/classify.ts `substituteError`). */
const isSubstitute = (error: ProtocolError) => isSubstituteData(error.data);

/** Classifies a failed request of a modern session (see `ProtocolSession.failure`). */
export function classifyCallError(error: unknown, abortCause: AbortCause | null, server: string, subject: string, kind: 'tool' | 'other'): CallFailure {
  const where = `${subject} on server "${server}"`;
  const fail = failureOf(error);
  const aborted = abortFailure(fail, abortCause, where);
  if (aborted) return aborted;
  // Our own refusal before sending (e.g. `logging/setLevel` on a modern session).
  if (error instanceof SwitchboardError) return fail(error.code, error.message, { unsent: true });
  if (error instanceof AuthError) return fail('AuthRequired', `${where}: ${error.message}`, { authFailed: true });
  const status = httpStatus(error);
  if (error instanceof UnauthorizedError || status === 401 || status === 403) {
    const why = status === undefined ? 'requires authorization' : `refused our credentials (HTTP ${status})`;
    return fail('AuthRequired', `${where}: the server ${why}`, { authFailed: true });
  }
  if (error instanceof ProtocolError) {
    if (isSubstitute(error)) return fail('ProtocolError', `${where} failed: ${error.message}`);
    // The embedder's handler refused the server's input request: the server did nothing wrong.
    if ((error.data as { by?: unknown } | undefined)?.by === 'mcp-switchboard/handler') return fail('ServerError', `${where} failed: ${error.message}`);
    switch (error.code) {
      case -32602:
        return fail('InvalidArguments', `${where} rejected its arguments: ${error.message}`);
      case -32603:
        // As in legacy: only a tool's −32603 means the server itself broke.
        return fail(kind === 'tool' ? 'ProtocolError' : 'ServerError', `${where} failed: ${error.message}`);
      case -32700:
        return fail('ProtocolError', `${where} failed: ${error.message}`);
      default:
        return fail('ServerError', `${where} failed: ${error.message}`);
    }
  }
  if (error instanceof SdkError) {
    switch (error.code) {
      case SdkErrorCode.ConnectionClosed:
        return fail('ConnectionLost', `${where}: connection lost`);
      case SdkErrorCode.NotConnected:
        return fail('ConnectionLost', `${where}: not connected`, { undispatched: true, unsent: true });
      case SdkErrorCode.SendFailed:
        return fail('ConnectionLost', `${where}: the request could not be sent`, { suspect: true, undispatched: true, unsent: true });
      case SdkErrorCode.RequestTimeout:
        return fail('ToolCallTimeout', `${where} timed out`);
      case SdkErrorCode.MethodNotSupportedByProtocolVersion:
      case SdkErrorCode.CapabilityNotSupported:
        return fail('NotSupported', `${where}: ${error.message}`, { unsent: true });
      default:
        break;
    }
  }
  if (status !== undefined) {
    const counts = status >= 500 || status === 408 || status === 429;
    return fail(counts ? 'ProtocolError' : 'ServerError', `${where} failed: HTTP ${status}`);
  }
  const net = networkCode(error);
  if (net) return fail('ConnectionLost', `${where}: ${net}`, { suspect: true, undispatched: net === 'ECONNREFUSED' });
  if (error instanceof Error && error.name === 'MessageTooLargeError') return fail('ProtocolError', `${where} failed: ${error.message}`);
  const message = error instanceof Error ? error.message : String(error);
  return fail('ProtocolError', `${where} failed: ${message}`);
}

/** The versions a server said it supports, from a v2 `UnsupportedProtocolVersionError` or an era failure. */
function supportedOf(error: unknown): string[] | undefined {
  if (error instanceof UnsupportedProtocolVersionError || (error instanceof ProtocolError && error.code === -32022)) {
    const supported = (error.data as { supported?: unknown } | undefined)?.supported;
    if (Array.isArray(supported)) return supported.filter((v): v is string => typeof v === 'string');
  }
  return undefined;
}

/** Classifies a failed modern connect (see `ProtocolConnector.connectFailure`). */
export function classifyConnectError(error: unknown, retryAfterMs?: number): ErrorInfo {
  const info = (code: string, message: string, retryable: boolean): ErrorInfo => {
    const out: ErrorInfo = { code, message, retryable };
    if (retryAfterMs !== undefined && retryable) out.retryAfterMs = retryAfterMs;
    return out;
  };
  if (error instanceof AuthError) return info('AuthRequired', error.message, error.retryable);
  if (error instanceof UnauthorizedError) return info('AuthRequired', 'the server requires authorization', false);
  // The SDK's own OAuth errors (e.g. InsufficientScopeError on a 403 it could not step up).
  if (error instanceof OAuthError || error instanceof OAuthClientFlowError) return info('AuthRequired', `the server refused our credentials: ${error.message}`, false);
  // SDK 2.4.0 wraps an OAuth failure during the probe as an era failure: the auth cause first.
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (cause instanceof AuthError) return info('AuthRequired', cause.message, cause.retryable);
  const supported = supportedOf(error);
  if (supported) return info('UnsupportedProtocolVersion', `the server does not speak 2026-07-28; it supports ${supported.join(', ') || 'no version we know'}`, false);
  const status = httpStatus(error);
  if (status === 401 || status === 403) return info('AuthRequired', `the server refused our credentials (HTTP ${status})`, false);
  if (status !== undefined) return info(`HTTP${status}`, `connect failed: HTTP ${status}`, true);
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof SdkError && error.code === SdkErrorCode.ConnectionClosed) return info('ConnectionClosed', 'the server closed the connection during connect', true);
  if (error instanceof Error && (error.name === 'MessageTooLargeError' || error.name === 'FramingLostError')) return info('ProtocolError', `connect failed: ${message}`, true);
  const net = networkCode(error);
  if (net) return info(net, `connect failed: ${net}`, true);
  return info('ConnectFailed', `connect failed: ${message}`, true);
}
