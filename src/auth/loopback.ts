import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../core/clock.js';
import { AuthError } from './errors.js';
import type { AuthorizationResponse } from './issuer.js';

/**
 * The redirect target of an authorization-code flow (RFC 8252 §7.3): an HTTP listener on
 * 127.0.0.1 that takes exactly one redirect with the flow's `state`, then closes. A request with
 * another state (a stale tab, a forged link) gets 400 and the listener keeps waiting.
 */

export interface LoopbackOptions {
  /** Port and path to listen on (host must be loopback). Defaults to an ephemeral port and `/callback`. */
  redirectUrl?: string;
  /** The flow's `state`; the redirect must carry it. */
  state: string;
  /** How long to wait for the redirect before failing the flow. */
  timeoutMs: number;
  /** Timer source (the switchboard's clock, so tests can step time). */
  clock: Clock;
}

/**
 * An error redirect (`?error=...` with the right state). It keeps the redirect's `iss`: RFC 9207
 * checks the issuer of error responses too, before their error is believed or shown.
 */
export class AuthorizationRefused extends AuthError {
  constructor(
    message: string,
    /** The issuer the error redirect named, if any. */
    readonly iss: string | undefined,
  ) {
    super(message);
  }
}

export interface Loopback {
  /** Where the authorization server must redirect: `http://127.0.0.1:<port><path>` (or the configured host). */
  readonly redirectUrl: URL;
  /**
   * The code and `iss` (RFC 9207) of the first redirect with the right state; rejects on an
   * error redirect (AuthorizationRefused, with its `iss`), a timeout or close().
   */
  readonly response: Promise<AuthorizationResponse>;
  /** The code alone of `response`. */
  readonly code: Promise<string>;
  /** Stops listening and releases the port; idempotent. */
  close(): Promise<void>;
}

const PAGE = (title: string) => `<!doctype html><meta charset="utf-8"><title>${title}</title><p>${title}</p>\n`;

/** Starts listening; resolves once the port is bound, so the redirect URL can be registered. */
export async function startLoopback(options: LoopbackOptions): Promise<Loopback> {
  const configured = options.redirectUrl ? new URL(options.redirectUrl) : undefined;
  const path = configured?.pathname && configured.pathname !== '/' ? configured.pathname : '/callback';
  let settle: { resolve(response: AuthorizationResponse): void; reject(error: Error): void } | undefined;
  const response = new Promise<AuthorizationResponse>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const code = response.then((answer) => answer.code);
  // Nobody may be awaiting yet; an unobserved rejection must not crash the host.
  response.catch(() => undefined);
  code.catch(() => undefined);
  let done = false;
  const finish = (outcome: { response: AuthorizationResponse } | { error: Error }) => {
    if (done) return;
    done = true;
    if ('response' in outcome) settle!.resolve(outcome.response);
    else settle!.reject(outcome.error);
    void close();
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    if (req.method !== 'GET' || url.pathname !== path) {
      res.writeHead(404).end(PAGE('Not found'));
      return;
    }
    if (url.searchParams.get('state') !== options.state) {
      res.writeHead(400).end(PAGE('This authorization response does not belong to the flow in progress.'));
      return;
    }
    const error = url.searchParams.get('error');
    const received = url.searchParams.get('code');
    // RFC 9207: the issuer goes along as sent (absent stays absent); the flow compares it.
    const iss = url.searchParams.get('iss') ?? undefined;
    if (error || !received) {
      res.writeHead(400).end(PAGE('Authorization failed. You can close this window.'));
      // The error code is the server's vocabulary (access_denied, ...), no secret.
      finish({ error: new AuthorizationRefused(`the authorization server refused the authorization: ${error ?? 'no code in the redirect'}`, iss) });
      return;
    }
    res.writeHead(200).end(PAGE('Authorization complete. You can close this window.'));
    finish({ response: iss === undefined ? { code: received } : { code: received, iss } });
  });
  // The page is tiny; a browser's keep-alive socket must not hold the port after the flow.
  server.keepAliveTimeout = 1;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new AuthError(`cannot listen for the authorization redirect on 127.0.0.1:${configured?.port || 0} (${error.code ?? error.message})`)),
    );
    server.listen(configured?.port ? Number(configured.port) : 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const redirectUrl = new URL(`http://${configured?.hostname ?? '127.0.0.1'}:${port}${path}`);

  const timer = options.clock.setTimeout(() => {
    finish({ error: new AuthError(`no authorization arrived within ${Math.round(options.timeoutMs / 1000)} s (timeouts.connectMs × 30)`) });
  }, options.timeoutMs);

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      options.clock.clearTimeout(timer);
      if (!done) {
        done = true;
        settle!.reject(new AuthError('the authorization flow ended before its redirect arrived'));
      }
      server.closeAllConnections();
      server.close(() => resolve());
    });
    return closing;
  }

  return { redirectUrl, response, code, close };
}
