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
 * Why a URL carries credentials, or undefined when it does not. `https://accounts.google.com@evil.com/`
 * shows a trusted name to a person but goes to evil.com, and `https://user:pw@host/` would send a
 * password nobody configured: neither is opened, handed to `authorize` or requested.
 */
function userinfoProblem(url: URL): string | undefined {
  if (url.username === '' && url.password === '') return undefined;
  return `${describeUrl(url)} carries a user name or password (user@host), which can disguise the host it goes to`;
}

/**
 * Why a URL may not be opened in a browser or handed to `authorize`, or undefined when it may:
 * only https, or http to a loopback address (a local authorization server), never with a user name
 * or password in it. A `file:` URL or a custom scheme would make the desktop open a file or launch
 * whatever handler claims the scheme.
 */
export function navigationProblem(value: string | URL): string | undefined {
  const url = parse(value);
  if (!url) return 'it is not a URL';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `it is ${describeUrl(url)}, not https`;
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return `${describeUrl(url)} is plain http to a host that is not loopback`;
  return userinfoProblem(url);
}

/**
 * Why the library may not send an authorization request to a URL, or undefined when it may:
 * http(s) only (fetch would read a `data:` URL's answer from the URL itself); plain http only to a
 * loopback host, whatever the MCP server's own scheme (a token or a client secret never crosses a
 * network in clear text); and never with a user name or password in the URL. `serverUrl`, the MCP
 * server's URL, only words the reason.
 */
export function requestProblem(value: string | URL, serverUrl?: URL): string | undefined {
  const url = parse(value);
  if (!url) return 'it is not a URL';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `it is ${describeUrl(url)}, not http(s)`;
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return `${describeUrl(url)} is plain http ${serverUrl?.protocol === 'https:' ? 'while the server is https' : 'to a host that is not loopback'}`;
  }
  return userinfoProblem(url);
}

export interface GuardOptions {
  /** The server the flow is for (named in every error). */
  server: string;
  /** Its URL (words the reason of a refused plain http request). */
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

/** One request of a flow, from sending it until its answer is read, cancelled or given up. */
interface Tracked {
  /** A read of the body is under way: a time bound that runs out now fails the flow. */
  reading: boolean;
  /** The body has been read from at least once (so it is somebody's, even between reads). */
  touched: boolean;
  /** Headers arrived: before that, the time bound always fails the flow. */
  answered: boolean;
  /** Ends the request's time bound and takes its listener off the flow's signal. */
  done(): void;
  /** Cancels an answer nobody reads (its socket is freed), without failing the flow. */
  drop(): void;
}

/**
 * The guarded fetch of one authorization flow. The SDK swallows some failures (protected resource
 * metadata that cannot be read falls back to the server's origin): the first refusal is kept,
 * every later request of the flow fails with it, and `failure()` lets the flow report it.
 *
 * A request's time bound (`timeoutMs`) covers sending it and reading its answer, never longer
 * than the request is in use. The SDK drops some answers without reading or cancelling them (the
 * 404 of path-aware discovery): such an answer is cancelled when the flow sends its next request
 * or reaches the consent step (`release`), and a bound that runs out while nobody reads the body
 * only cancels it. Otherwise the bound of a dropped 404 would fire during consent, which takes as
 * long as the person needs (only the consent timeout applies there), and fail the whole flow.
 */
export class AuthRequestGuard {
  private refused: AuthError | undefined;
  private readonly open = new Set<Tracked>();

  constructor(private readonly options: GuardOptions) {}

  /** The first refusal of this flow (oversized answer, timeout, forbidden URL), if any. */
  failure(): AuthError | undefined {
    return this.refused;
  }

  /**
   * Cancels every answer that nobody has started to read and ends its time bound (the flow moved
   * on: a new request, the consent step); with `all`, every request still open (the flow is over).
   */
  release(all = false): void {
    for (const request of [...this.open]) {
      if (all) {
        request.drop();
        continue;
      }
      if (request.answered && !request.reading && !request.touched) request.drop();
    }
  }

  readonly fetch: FetchLike = async (input, init) => {
    if (this.refused) throw this.refused;
    // The flow moved on: answers it dropped unread are not waited for.
    this.release();
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
    let cancelBody: () => void = () => undefined;
    const request: Tracked = {
      reading: false,
      touched: false,
      answered: false,
      done: () => {
        clock.clearTimeout(timer);
        upstream?.removeEventListener('abort', onAbort);
        this.open.delete(request);
      },
      drop: () => {
        request.done();
        cancelBody();
        controller.abort(new AuthError(`server "${server}": the authorization flow no longer reads the answer of ${describeUrl(url)}`));
      },
    };
    this.open.add(request);
    const timer = clock.setTimeout(() => {
      // An answer that arrived and that nobody reads holds nothing up: it is only cancelled.
      if (request.answered && !request.reading) {
        request.drop();
        return;
      }
      timedOut = true;
      request.done();
      controller.abort(this.refuse(new AuthError(`server "${server}": the authorization server did not answer ${describeUrl(url)} within ${timeoutMs} ms`, { retryable: true })));
    }, timeoutMs);
    let response: Response;
    try {
      // Redirects are followed by the SDK (same origin only) or not at all: never to another scheme or host.
      response = await base(input instanceof Request ? input : url, { ...init, redirect: init?.redirect === 'error' ? 'error' : 'manual', signal: controller.signal });
    } catch (error) {
      request.done();
      throw timedOut ? this.refused! : error;
    }
    request.answered = true;
    return this.capped(response, url, controller, request, (cancel) => (cancelBody = cancel), () => timedOut);
  };

  private refuse(error: AuthError): AuthError {
    this.refused ??= error;
    return this.refused;
  }

  /** The response with its body read as a stream and cut at the cap (and at the time bound). */
  private capped(response: Response, url: URL, controller: AbortController, request: Tracked, onCancel: (cancel: () => void) => void, timedOut: () => boolean): Response {
    const maxBytes = this.options.maxBytes ?? AUTH_MAX_RESPONSE_BYTES;
    const tooLarge = () => this.refuse(new AuthError(`server "${this.options.server}": the answer of ${describeUrl(url)} exceeds ${maxBytes} bytes`));
    const done = request.done;
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
    // Set when the answer was dropped unread: a late read fails as the time bound would have.
    let dropped = false;
    onCancel(() => {
      dropped = true;
      void reader.cancel().catch(() => undefined);
    });
    let received = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull: async (out) => {
          if (dropped) {
            out.error(timedOut() ? this.refused : this.refuse(new AuthError(`server "${this.options.server}": the answer of ${describeUrl(url)} was read after its time bound (${this.options.timeoutMs} ms)`, { retryable: true })));
            return;
          }
          request.reading = true;
          request.touched = true;
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (error) {
            done();
            out.error(timedOut() ? this.refused : error);
            return;
          } finally {
            request.reading = false;
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
      },
      // No read ahead: the body is pulled only while someone reads it (which is what `reading` tracks).
      { highWaterMark: 0 },
    );
    const capped = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    // The SDK names a redirect's target relative to the URL the answer came from.
    Object.defineProperty(capped, 'url', { value: response.url || url.href });
    return capped;
  }
}
