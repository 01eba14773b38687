import { auth, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { OAuthError, ServerError, TemporarilyUnavailableError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { RuntimeClock } from '../core/clock.js';
import type { AuthConfig } from '../config/schema.js';
import { ConsentFlow, type Authorize, type ConsentSlot } from './consent.js';
import { AuthError, TokenStoreError, type FlowSecrets } from './errors.js';
import { AuthRequestGuard } from './guardedFetch.js';
import { joinScopes, type StoreBackedProvider } from './provider.js';

/**
 * Authorization at the fetch layer, under the SDK transport: every request carries the bearer
 * token; a 401 runs the SDK's `auth()` and, when it needs consent, the interactive step and the
 * code exchange, then sends the request again; a 403 `insufficient_scope` re-authorizes once with
 * the larger scope. The transport (and so the session) only ever sees the final answer, which is
 * why a 401 at `initialize`, at the first `tools/list` or in the middle of a call is all one
 * path, and why no `finishAuth` + reconnect is needed. One flow at a time per server: concurrent
 * requests wait for the flow in progress and retry with its token.
 */

export interface AuthFlowOptions {
  server: string;
  serverUrl: URL;
  auth: AuthConfig;
  provider: StoreBackedProvider;
  secrets: FlowSecrets;
  authorize?: Authorize;
  clock: RuntimeClock;
  /** How long consent may take: `timeouts.connectMs × 30`. */
  consentTimeoutMs: number;
  /** How long each authorization request may take, its answer included: `timeouts.connectMs`. */
  requestTimeoutMs: number;
  log(level: string, message: string): void;
  onAuthorizing?(): void;
  onAuthorized?(): void;
  /** The fetch of authorization traffic (discovery, registration, tokens). Defaults to global fetch. */
  fetch?: FetchLike;
  /** Where the server's one open consent flow is kept (its server record's slot). */
  consent: ConsentSlot;
}

interface FlowRequest {
  /** The scope a challenge asked for. */
  scope?: string;
  resourceMetadataUrl?: URL;
  signal?: AbortSignal;
  /** Step-up: a refresh cannot widen the scope, so the flow must ask anew. */
  stepUp?: boolean;
  /** Run even when another flow replaced the token meanwhile. */
  force?: boolean;
  /** A 401: read the resource metadata again, the authorization server may have changed (SEP-2352). */
  rediscover?: boolean;
}

/** Refresh this long before expiry at most (and at most a tenth of the token's lifetime). */
const REFRESH_MARGIN_MS = 60_000;

export class AuthFlows {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: AuthFlowOptions) {}

  /** The fetch middleware for one transport. */
  wrap(next: FetchLike): FetchLike {
    return async (input, init) => {
      const signal = init?.signal ?? undefined;
      await this.refreshIfExpiring(signal);
      let used = await this.accessToken();
      const send = (token: string | undefined) => {
        const headers = new Headers(init?.headers);
        if (token) headers.set('Authorization', `Bearer ${token}`);
        return next(input, { ...init, headers });
      };
      let response = await send(used);
      let authorized = false;
      let steppedUp = false;
      for (;;) {
        const challenge = response.status === 401 || response.status === 403 ? extractWWWAuthenticateParams(response) : undefined;
        let request: FlowRequest | undefined;
        if (response.status === 401 && !authorized) request = { scope: challenge?.scope, resourceMetadataUrl: challenge?.resourceMetadataUrl, signal, rediscover: true };
        else if (response.status === 403 && challenge?.error === 'insufficient_scope' && !steppedUp) {
          const granted = (await this.options.provider.tokens())?.scope;
          request = { scope: joinScopes(granted, challenge.scope), resourceMetadataUrl: challenge.resourceMetadataUrl, signal, stepUp: true };
          this.options.log('info', `the server asks for more scope (${challenge.scope ?? 'unnamed'}): re-authorizing once`);
        }
        if (!request) break;
        await response.body?.cancel().catch(() => undefined);
        await this.exclusive(used, request);
        authorized = true;
        if (request.stepUp) steppedUp = true;
        used = await this.accessToken();
        response = await send(used);
      }
      if (authorized && (response.status === 401 || response.status === 403)) {
        await response.body?.cancel().catch(() => undefined);
        const why = response.status === 403 ? 'still lacks the scope it needs after re-authorizing' : 'refused the access token it just issued';
        throw new AuthError(`server "${this.options.server}" ${why} (HTTP ${response.status})`, { status: response.status });
      }
      return response;
    };
  }

  /** Runs one authorization now (as a 401 would), e.g. for `switchboard login`. */
  authorizeNow(signal?: AbortSignal): Promise<void> {
    return this.exclusive(undefined, { signal, stepUp: true, force: true });
  }

  private async accessToken(): Promise<string | undefined> {
    try {
      return (await this.options.provider.tokens())?.access_token;
    } catch (error) {
      throw this.toAuthError(error);
    }
  }

  /** Renews a token that expires within the margin, when that needs no one: refresh or a machine grant. */
  private async refreshIfExpiring(signal: AbortSignal | undefined): Promise<void> {
    const { provider, clock } = this.options;
    let tokens;
    let expiresAt;
    try {
      [tokens, expiresAt] = [await provider.tokens(), await provider.expiresAt()];
    } catch (error) {
      throw this.toAuthError(error);
    }
    if (!tokens || expiresAt === undefined) return;
    const margin = Math.min(REFRESH_MARGIN_MS, ((tokens.expires_in ?? 0) * 1000) / 10);
    if (clock.now() < expiresAt - margin) return;
    if (provider.interactive && !tokens.refresh_token) return;
    try {
      await this.exclusive(tokens.access_token, { signal });
      this.options.log('debug', 'access token renewed before its expiry');
    } catch (error) {
      // The token may still be good for a moment: the server's 401, if any, takes over.
      if (signal?.aborted) throw error;
      this.options.log('warn', `renewing the access token before its expiry failed: ${(error as Error).message}`);
    }
  }

  /**
   * One flow at a time; a request whose token was replaced meanwhile just retries with the new one.
   * With a cluster's store, one flow at a time across the cluster: the store's refresh lock is
   * taken first and the record read again, so a token another replica renewed is used, never
   * renewed twice (nor with a refresh token it already rotated).
   */
  private exclusive(used: string | undefined, request: FlowRequest): Promise<void> {
    const run = this.queue.then(async () => {
      let release: () => Promise<void>;
      try {
        release = await this.options.provider.lockRefresh(request.signal);
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason;
        throw this.toAuthError(error);
      }
      try {
        const current = await this.accessToken();
        if (!request.force && current && current !== used) return;
        await this.run(request);
      } finally {
        await release();
      }
    });
    this.queue = run.catch(() => undefined);
    const { signal } = request;
    if (!signal) return run;
    return new Promise<void>((resolve, reject) => {
      const abort = () => reject(signal.reason);
      if (signal.aborted) abort();
      signal.addEventListener('abort', abort, { once: true });
      run.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
    });
  }

  private async run(request: FlowRequest): Promise<void> {
    const { provider, authorize, server, serverUrl } = this.options;
    // Every request of this flow (the SDK's and our own) is capped, bounded in time and http(s) only.
    const guard = new AuthRequestGuard({
      server,
      serverUrl,
      base: this.options.fetch ?? fetch,
      timeoutMs: this.options.requestTimeoutMs,
      clock: this.options.clock,
      ...(request.signal ? { signal: request.signal } : {}),
    });
    const fetchFn = guard.fetch;
    provider.fetchFn = fetchFn;
    provider.guard = guard;
    provider.requestedScope = request.scope;
    provider.hideRefreshToken = request.stepUp === true;
    let flow: ConsentFlow | undefined;
    try {
      // Consent impossible and nothing to refresh: fail before any discovery or registration.
      if (provider.interactive && !authorize && !(await provider.tokens())?.refresh_token) {
        throw new AuthError(`server "${server}" needs the user's consent: run \`switchboard login ${server}\`, or give createSwitchboard an authorize callback`);
      }
      if (provider.interactive && authorize) {
        const { redirectUrl } = this.options.auth as Extract<AuthConfig, { type: 'oauth' }>;
        flow = await ConsentFlow.start(
          { server, authorize, redirectUrl, timeoutMs: this.options.consentTimeoutMs, clock: this.options.clock, secrets: this.options.secrets, onAuthorizing: this.options.onAuthorizing, onAuthorized: this.options.onAuthorized, slot: this.options.consent },
          request.signal,
        );
        provider.flow = flow;
      }
      // The SDK reuses a discovery it was given: after a 401 the protected resource metadata may
      // name another authorization server, whose change drops the old registration and tokens
      // (StoreBackedProvider.saveDiscoveryState) so the flow registers there anew.
      if (request.rediscover) await provider.invalidateCredentials('discovery');
      const options = { serverUrl, scope: joinScopes(this.options.auth.scopes, request.scope), resourceMetadataUrl: request.resourceMetadataUrl, fetchFn };
      let result = await auth(provider, options);
      if (result === 'REDIRECT') {
        const code = provider.takeCode();
        if (!code) throw new AuthError(`server "${server}": the authorization flow produced no code`);
        provider.hideRefreshToken = false;
        result = await auth(provider, { ...options, authorizationCode: code });
      }
      if (result !== 'AUTHORIZED') throw new AuthError(`server "${server}": authorization did not complete`);
      // A refusal the SDK swallowed (it falls back when resource metadata cannot be read) still fails the flow.
      const refused = guard.failure();
      if (refused) throw refused;
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      // The guard's refusal is the cause, whatever the SDK made of it (a parse error, a fallback's 404).
      throw this.toAuthError(guard.failure() ?? error);
    } finally {
      // Nothing of the flow outlives it: answers left unread are cancelled, their timers cleared.
      guard.release(true);
      provider.guard = undefined;
      provider.flow = undefined;
      provider.hideRefreshToken = false;
      await flow?.close();
    }
  }

  /** Any failure of a flow as an AuthError whose message names no secret. */
  private toAuthError(error: unknown): AuthError {
    const { server, secrets } = this.options;
    // Redact before clipping: a secret cut in two would no longer be recognised.
    const said = (text: string) => clip(secrets.redact(text));
    if (error instanceof AuthError) return new AuthError(said(error.message), { retryable: error.retryable, ...(error.status ? { status: error.status } : {}) });
    if (error instanceof TokenStoreError) return new AuthError(`server "${server}": ${error.message}`);
    if (error instanceof OAuthError) {
      const retryable = error instanceof ServerError || error instanceof TemporarilyUnavailableError;
      const detail = error.message ? `: ${said(error.message)}` : '';
      return new AuthError(`server "${server}": the authorization server refused (${said(error.errorCode)}${detail})`, { retryable });
    }
    const message = said(error instanceof Error ? error.message : String(error));
    if (/^Protected resource .* does not match expected/.test(message)) {
      return new AuthError(`server "${server}": refused to authorize, the resource metadata names another server (${message})`);
    }
    // The SDK builds discovery URLs from the origin of what the metadata named: a file: or custom
    // scheme has none, and `new URL` throws before anything is sent.
    if ((error as { code?: unknown })?.code === 'ERR_INVALID_URL') {
      return new AuthError(`server "${server}": refused to authorize: the server or its authorization server named a URL that is not http(s)`);
    }
    const cause = (error as { cause?: { code?: unknown } })?.cause?.code;
    if (error instanceof TypeError && (message === 'fetch failed' || typeof cause === 'string')) {
      return new AuthError(`server "${server}": the authorization server is unreachable (${typeof cause === 'string' ? cause : message})`, { retryable: true });
    }
    return new AuthError(`server "${server}": authorization failed: ${message}`, { retryable: /\bHTTP 5\d\d\b/.test(message) });
  }
}

/** The most of a server's words an error quotes (the SDK quotes a refusal's whole raw body). */
const MAX_QUOTED = 500;

/** Server-supplied text fit for a message: bounded, with control characters shown, not sent to a terminal. */
function clip(text: string): string {
  const shown = text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return shown.length > MAX_QUOTED ? `${shown.slice(0, MAX_QUOTED)}… (${shown.length - MAX_QUOTED} more characters)` : shown;
}
