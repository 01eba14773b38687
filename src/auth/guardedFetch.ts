import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Clock } from '../core/clock.js';
import { AuthError } from './errors.js';

/**
 * The one fetch every authorization request goes through (discovery, registration, every token
 * grant, the SEP-990 token exchange): only http(s), never a redirect to elsewhere, each answer
 * read as a stream and cut at AUTH_MAX_RESPONSE_BYTES, each request bounded in time. An
 * authorization server is as untrusted as the MCP server it guards: without this, one answering
 * 200 MB of garbage grows the host by that much (and more while it is parsed), and one that never
 * answers holds the server's flow queue, and so every later request of the session, forever.
 */

/** The largest answer an authorization request may get (metadata, registrations and tokens are a few KiB): 1 MiB. */
export const AUTH_MAX_RESPONSE_BYTES = 1024 * 1024;

/** 127.0.0.0/8, ::1 and localhost: where plain http never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** A URL for a message: its scheme alone, or origin and path (never userinfo, query or fragment). */
export function describeUrl(url: URL): string {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `a ${url.protocol} URL`;
  return `${url.origin}${url.pathname}`;
}

function parse(value: string | URL): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * Why a URL may not be opened in a browser or handed to `authorize`, or undefined when it may:
 * only https, or http to a loopback address (a local authorization server). A `file:` URL or a
 * custom scheme would make the desktop open a file or launch whatever handler claims the scheme.
 */
export function navigationProblem(value: string | URL): string | undefined {
  const url = parse(value);
  if (!url) return 'it is not a URL';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') return isLoopbackHost(url.hostname) ? undefined : `${describeUrl(url)} is plain http to a host that is not loopback`;
  return `it is ${describeUrl(url)}, not https`;
}

/**
 * Why the library may not send an authorization request to a URL, or undefined when it may:
 * http(s) only (fetch would read a `data:` URL's answer from the URL itself); and when the MCP
 * server is https, no credential goes out over plain http except to loopback.
 */
export function requestProblem(value: string | URL, serverUrl: URL): string | undefined {
  const url = parse(value);
  if (!url) return 'it is not a URL';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol !== 'http:') return `it is ${describeUrl(url)}, not http(s)`;
  if (serverUrl.protocol === 'https:' && !isLoopbackHost(url.hostname)) return `${describeUrl(url)} is plain http while the server is https`;
  return undefined;
}

export interface GuardOptions {
  /** The server the flow is for (named in every error). */
  server: string;
  /** Its URL (an https server's authorization traffic stays on https). */
  serverUrl: URL;
  /** The fetch underneath (global fetch unless the host gave one). */
  base: FetchLike;
  /** Each request's bound, answer included: the server's `timeouts.connectMs`. */
  timeoutMs: number;
  clock: Clock;
  /** Defaults to AUTH_MAX_RESPONSE_BYTES. */
  maxBytes?: number;
  /** The flow's abort signal (the request's own wins when it has one). */
  signal?: AbortSignal;
}

/**
 * The guarded fetch of one authorization flow. The SDK swallows some failures (protected resource
 * metadata that cannot be read falls back to the server's origin): the first refusal is kept,
 * every later request of the flow fails with it, and `failure()` lets the flow report it.
 */
export class AuthRequestGuard {
  private refused: AuthError | undefined;

  constructor(private readonly options: GuardOptions) {}

  /** The first refusal of this flow (oversized answer, timeout, forbidden URL), if any. */
  failure(): AuthError | undefined {
    return this.refused;
  }

  readonly fetch: FetchLike = async (input, init) => {
    if (this.refused) throw this.refused;
    const { server, serverUrl, base, timeoutMs, clock } = this.options;
    const url = parse(input instanceof Request ? input.url : input);
    const problem = requestProblem(url ?? String(input), serverUrl);
    if (problem || !url) throw this.refuse(new AuthError(`server "${server}": refused an authorization request: ${problem}`));
    const controller = new AbortController();
    const upstream = init?.signal ?? this.options.signal;
    const onAbort = () => controller.abort(upstream?.reason);
    if (upstream?.aborted) onAbort();
    upstream?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = clock.setTimeout(() => {
      timedOut = true;
      controller.abort(this.refuse(new AuthError(`server "${server}": the authorization server did not answer ${describeUrl(url)} within ${timeoutMs} ms`, { retryable: true })));
    }, timeoutMs);
    const done = () => {
      clock.clearTimeout(timer);
      upstream?.removeEventListener('abort', onAbort);
    };
    let response: Response;
    try {
      // Redirects are followed by the SDK (same origin only) or not at all: never to another scheme or host.
      response = await base(input instanceof Request ? input : url, { ...init, redirect: init?.redirect === 'error' ? 'error' : 'manual', signal: controller.signal });
    } catch (error) {
      done();
      throw timedOut ? this.refused! : error;
    }
    return this.capped(response, url, controller, done, () => timedOut);
  };

  private refuse(error: AuthError): AuthError {
    this.refused ??= error;
    return this.refused;
  }

  /** The response with its body read as a stream and cut at the cap (and at the time bound). */
  private capped(response: Response, url: URL, controller: AbortController, done: () => void, timedOut: () => boolean): Response {
    const maxBytes = this.options.maxBytes ?? AUTH_MAX_RESPONSE_BYTES;
    const tooLarge = () => this.refuse(new AuthError(`server "${this.options.server}": the answer of ${describeUrl(url)} exceeds ${maxBytes} bytes`));
    // No body, or one a Response may not carry (204, 205, 304): nothing to read, nothing to cap.
    if (!response.body || response.status < 200 || [204, 205, 304].includes(response.status)) {
      done();
      return response;
    }
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      done();
      controller.abort();
      void response.body.cancel().catch(() => undefined);
      throw tooLarge();
    }
    const reader = response.body.getReader();
    let received = 0;
    const body = new ReadableStream<Uint8Array>({
      pull: async (out) => {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          done();
          out.error(timedOut() ? this.refused : error);
          return;
        }
        if (chunk.done) {
          done();
          out.close();
          return;
        }
        received += chunk.value.byteLength;
        if (received > maxBytes) {
          done();
          controller.abort();
          void reader.cancel().catch(() => undefined);
          out.error(tooLarge());
          return;
        }
        out.enqueue(chunk.value);
      },
      cancel: async (reason) => {
        done();
        await reader.cancel(reason).catch(() => undefined);
      },
    });
    const capped = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    // The SDK names a redirect's target relative to the URL the answer came from.
    Object.defineProperty(capped, 'url', { value: response.url || url.href });
    return capped;
  }
}
