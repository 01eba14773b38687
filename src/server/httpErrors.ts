import { isSwitchboardError, type ErrorCode } from '../errors.js';

/** HTTP status of each error code (DESIGN §5). */
export const STATUS_OF: Record<ErrorCode, number> = {
  ConfigError: 400,
  InvalidArguments: 400,
  ServerNotFound: 404,
  ToolNotFound: 404,
  AmbiguousTool: 409,
  ServerBusy: 429,
  ServerUnavailable: 503,
  CircuitOpen: 503,
  Stopped: 503,
  ConnectionLost: 502,
  ProtocolError: 502,
  ToolCallTimeout: 504,
  Cancelled: 499,
};

/** An error of the admin API itself (auth, body, route). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The one place that turns any error into `{ error: { code, message } }`, a status and headers. */
export function errorResponse(error: unknown, redact: (text: string) => string): { status: number; body: unknown; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  if (error instanceof HttpError) {
    return { status: error.status, body: { error: { code: error.code, message: redact(error.message) } }, headers };
  }
  if (isSwitchboardError(error)) {
    const status = STATUS_OF[error.code] ?? 500;
    if ((status === 429 || status === 503) && error.code !== 'Stopped') headers['retry-after'] = String(Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000)));
    if (error.code === 'Stopped') headers['retry-after'] = '5';
    const body: { error: Record<string, unknown> } = { error: { code: error.code, message: redact(error.message) } };
    if (error.retryAfterMs !== undefined) body.error.retryAfterMs = error.retryAfterMs;
    if ('servers' in error) body.error.servers = (error as { servers: string[] }).servers;
    if ('issues' in error) body.error.issues = (error as { issues: unknown }).issues;
    return { status, body, headers };
  }
  return { status: 500, body: { error: { code: 'InternalError', message: 'internal error' } }, headers };
}
