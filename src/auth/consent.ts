import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { AuthError, type FlowSecrets } from './errors.js';
import { navigationProblem } from './guardedFetch.js';
import { hostAnswer, type AuthorizationResponse } from './issuer.js';
import { startLoopback, type Loopback } from './loopback.js';

/**
 * The one interactive step of an authorization-code flow: hand the authorization URL to the
 * host's `authorize` callback and take the code it returns, or the one the loopback listener
 * receives. One flow at a time per server: a new flow closes the previous one's listener.
 */

/** What `authorize` is given: the server, the URL to show or open, and where the redirect goes. */
export interface AuthorizeRequest {
  server: string;
  authorizationUrl: URL;
  redirectUrl: URL;
}

/**
 * The host's interactive step (DESIGN §11). Returning `{ code, iss? }` hands the authorization
 * response over (a host that caught the redirect itself): `iss` is the redirect's RFC 9207
 * issuer parameter, as caught (the library compares it with the authorization server's metadata;
 * a host that drops it fails against a server that promises to send it). A bare code string is
 * taken as `{ code }`. Returning nothing lets the library wait on its loopback listener.
 */
export type Authorize = (request: AuthorizeRequest) => Promise<AuthorizationResponse | string | void>;

export interface ConsentOptions {
  server: string;
  authorize: Authorize;
  /** `auth.redirectUrl` from config, else an ephemeral loopback port. */
  redirectUrl?: string;
  /** `timeouts.connectMs × 30`. */
  timeoutMs: number;
  clock: Clock;
  secrets: FlowSecrets;
  onAuthorizing?(): void;
  onAuthorized?(): void;
  /** Where the server's one open flow is kept: its server record's slot (one per server record). */
  slot: ConsentSlot;
}

/**
 * The one open consent flow of one server: starting another closes it first (one flow at a time
 * per server; a fixed `auth.redirectUrl` port is free again before the next flow binds it). A
 * switchboard keeps one per server record, so removing the server forgets it.
 */
export class ConsentSlot {
  /** The open flow, if any. */
  current: ConsentFlow | undefined;

  /** Closes the open flow, if any (its loopback port is released); idempotent. */
  async close(): Promise<void> {
    await this.current?.close();
  }
}

/** One authorization-code flow: its state, its loopback listener, its code. */
export class ConsentFlow {
  readonly state = randomBytes(24).toString('base64url');
  private loopback: Loopback | undefined;
  private closed = false;
  private unlisten: () => void = () => undefined;

  private constructor(
    private readonly options: ConsentOptions,
    private readonly slot: ConsentSlot,
  ) {}

  /** Starts a flow for `options.server`: binds the loopback port before any URL is built or registered. */
  static async start(options: ConsentOptions, signal?: AbortSignal): Promise<ConsentFlow> {
    const slot = options.slot;
    await slot.close();
    const flow = new ConsentFlow(options, slot);
    slot.current = flow;
    try {
      flow.loopback = await startLoopback({ redirectUrl: options.redirectUrl, state: flow.state, timeoutMs: options.timeoutMs, clock: options.clock });
    } catch (error) {
      await flow.close();
      throw error;
    }
    if (signal?.aborted) await flow.close();
    else if (signal) {
      // The transport's signal lives as long as the session: take the listener off after the flow.
      const abort = () => void flow.close();
      signal.addEventListener('abort', abort, { once: true });
      flow.unlisten = () => signal.removeEventListener('abort', abort);
    }
    return flow;
  }

  /** The redirect URL of this flow (its loopback listener's). */
  get redirectUrl(): URL {
    if (!this.loopback) throw new AuthError('the authorization flow has no redirect listener');
    return this.loopback.redirectUrl;
  }

  /** The code of `obtainResponse` alone. */
  async obtainCode(authorizationUrl: URL): Promise<string> {
    return (await this.obtainResponse(authorizationUrl)).code;
  }

  /**
   * Asks for consent: `authorize` gets the URL; its response, or the loopback's, is the answer
   * (the code, and the `iss` the redirect named). Rejects with AuthError on an error redirect
   * (AuthorizationRefused), a timeout, an abort or a throwing callback.
   */
  async obtainResponse(authorizationUrl: URL): Promise<AuthorizationResponse> {
    if (this.closed || !this.loopback) throw new AuthError('the authorization flow was closed');
    const loopback = this.loopback;
    // The last gate before the host opens anything: https, or http to loopback, nothing else.
    const problem = navigationProblem(authorizationUrl);
    if (problem) throw new AuthError(`server "${this.options.server}": refused the authorization URL: ${problem}`);
    const redirect = navigationProblem(loopback.redirectUrl);
    if (redirect) throw new AuthError(`server "${this.options.server}": refused the redirect URL: ${redirect}`);
    this.options.onAuthorizing?.();
    try {
      const fromHost = this.options
        .authorize({ server: this.options.server, authorizationUrl: new URL(authorizationUrl), redirectUrl: new URL(loopback.redirectUrl) })
        .then(
          (answer) => hostAnswer(this.options.server, answer),
          (error: unknown) => {
            const message = error instanceof Error ? error.message : String(error);
            throw new AuthError(`the authorize callback failed: ${this.options.secrets.redact(message)}`);
          },
        );
      // Whichever comes first: a response from the host, or the redirect on the loopback listener.
      const first = await Promise.race([fromHost, loopback.response]);
      const response = first ?? (await loopback.response);
      this.options.secrets.add(response.code);
      return response;
    } finally {
      this.options.onAuthorized?.();
    }
  }

  /** Releases the loopback port; idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.unlisten();
    if (this.slot.current === this) {
      this.slot.current = undefined;
    }
    await this.loopback?.close();
  }
}
