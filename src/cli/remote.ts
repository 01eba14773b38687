import { tokenFilePath, readTokenFile } from '../server/auth.js';
import { SwitchboardError, type ErrorCode } from '../core/errors.js';

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

  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(new URL(path, this.baseUrl), init);
    const parsed = (await response.json().catch(() => ({}))) as T;
    return { status: response.status, body: parsed };
  }

  /** Throws the service's JSON error as a SwitchboardError (same code, same exit status). */
  async ok<T>(method: 'GET' | 'POST', path: string, body?: unknown, accept: number[] = []): Promise<T> {
    const result = await this.request<T & { error?: { code: string; message: string } }>(method, path, body);
    if (result.status >= 400 && !accept.includes(result.status)) {
      const error = result.body.error ?? { code: 'HTTP', message: `HTTP ${result.status}` };
      throw new SwitchboardError(error.code as ErrorCode, error.message);
    }
    return result.body;
  }
}
