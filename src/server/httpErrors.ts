import { isSwitchboardError, ruleOf } from '../core/errors.js';

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
    const rule = ruleOf(error.code);
    const status = rule?.status ?? 500;
    if (rule?.retryAfter) headers['retry-after'] = error.code === 'Stopped' ? '5' : String(Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000)));
    const body: { error: Record<string, unknown> } = { error: { code: error.code, message: redact(error.message) } };
    if (error.retryAfterMs !== undefined) body.error.retryAfterMs = error.retryAfterMs;
    if ('servers' in error) body.error.servers = (error as { servers: string[] }).servers;
    if ('issues' in error) body.error.issues = (error as { issues: unknown }).issues;
    return { status, body, headers };
  }
  return { status: 500, body: { error: { code: 'InternalError', message: 'internal error' } }, headers };
}
