import { tokenFilePath, readTokenFile } from '../server/auth.js';
import { SwitchboardError, type ConfigIssue, type ErrorCode } from '../core/errors.js';

/** The admin API's error body: `{ error: { code, message, retryAfterMs?, servers?, issues? } }` (src/server/httpErrors.ts). */
export interface RemoteErrorBody {
  code?: unknown;
  message?: unknown;
  retryAfterMs?: unknown;
  servers?: unknown;
  issues?: unknown;
}

const isIssue = (i: unknown): i is ConfigIssue =>
  typeof i === 'object' && i !== null && typeof (i as ConfigIssue).path === 'string' && typeof (i as ConfigIssue).message === 'string';

/**
 * The service's JSON error as the SwitchboardError it was on the service: same code (so the same
 * class and exit status), same message, and its fields (`retryAfterMs`, `servers` on the
 * ambiguous codes, `issues` on ConfigError). `retryAfter` is the `Retry-After` header, used when
 * the body has no `retryAfterMs`. Fields of the wrong shape are left out.
 */
export function remoteError(status: number, body: RemoteErrorBody | undefined, retryAfter?: string | null): SwitchboardError {
  const code = typeof body?.code === 'string' && body.code !== '' ? body.code : 'HTTP';
  const message = typeof body?.message === 'string' ? body.message : `HTTP ${status}`;
  let retryAfterMs = typeof body?.retryAfterMs === 'number' && Number.isFinite(body.retryAfterMs) && body.retryAfterMs >= 0 ? body.retryAfterMs : undefined;
  if (retryAfterMs === undefined && retryAfter && /^\d+$/.test(retryAfter.trim())) retryAfterMs = Number(retryAfter.trim()) * 1000;
  const error = new SwitchboardError(code as ErrorCode, message, { retryAfterMs });
  // The class made these fields empty; the service sent them.
  if (Array.isArray(body?.servers) && 'servers' in error) Object.assign(error, { servers: body.servers.filter((s): s is string => typeof s === 'string') });
  if (Array.isArray(body?.issues) && 'issues' in error) Object.assign(error, { issues: body.issues.filter(isIssue).map((i) => ({ path: i.path, message: i.message })) });
  return error;
}

/**
 * The CLI's `--url` mode: talks to a running `switchboard serve`. The token comes from
 * `--token`, then `SWITCHBOARD_ADMIN_TOKEN`, then the file `serve` wrote for that port.
 */
export class RemoteClient {
  private readonly token: string | undefined;

  constructor(
    private readonly baseUrl: string,
    token: string | undefined,
  ) {
    const port = Number(new URL(baseUrl).port || 80);
    this.token = token || process.env.SWITCHBOARD_ADMIN_TOKEN || readTokenFile(tokenFilePath(port));
  }

  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T; retryAfter: string | null }> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(new URL(path, this.baseUrl), init);
    const parsed = (await response.json().catch(() => ({}))) as T;
    return { status: response.status, body: parsed, retryAfter: response.headers.get('retry-after') };
  }

  /** Throws the service's JSON error as a SwitchboardError (same code, class, fields and exit status: `remoteError`). */
  async ok<T>(method: 'GET' | 'POST', path: string, body?: unknown, accept: number[] = []): Promise<T> {
    const result = await this.request<T & { error?: RemoteErrorBody }>(method, path, body);
    if (result.status >= 400 && !accept.includes(result.status)) throw remoteError(result.status, result.body?.error, result.retryAfter);
    return result.body;
  }
}
