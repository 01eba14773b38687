import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { resourceUrlFromServerUrl } from '@modelcontextprotocol/sdk/shared/auth-utils.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { RuntimeClock } from '../core/clock.js';
import type { RuntimeServer } from '../config/schema.js';
import { AuthFlows } from './authFetch.js';
import type { Authorize, ConsentSlot } from './consent.js';
import { FlowSecrets } from './errors.js';
import { StoreBackedProvider } from './provider.js';
import { configuredSecrets } from './secrets.js';
import { storeKey, type TokenStore } from './tokenStore.js';

/** The authorization of one server for one connect attempt: provider, flows and redactor wired together. */

/** What one server's authorization needs from the runtime. */
export interface AuthDeps {
  /** Where tokens live (resolveTokenStore(options.tokenStore), one instance per switchboard). */
  tokenStore: TokenStore;
  /** The host's interactive step; without it a server that needs consent fails with AuthRequired. */
  authorize?: Authorize;
  clock: RuntimeClock;
  /** The server's log (messages carry no secret). */
  log(level: string, message: string): void;
  /** Consent is being waited for (the connection's `connecting.authorizing`). */
  onAuthorizing?(): void;
  /** The wait for consent ended (with a code or not). */
  onAuthorized?(): void;
  /** The fetch of authorization traffic. Defaults to global fetch. */
  fetch?: FetchLike;
  /** Where the server's one open consent flow is kept: its server record's slot. */
  consent: ConsentSlot;
}

/** One server's authorization for one connect attempt. */
export interface ServerAuth {
  /** The SDK provider (tokens, registration, discovery state), e.g. for `finishAuth`-style hosts. */
  provider: OAuthClientProvider;
  /** Wraps a transport's fetch: bearer token, 401/403 handling, retries (authFetch.ts). */
  wrapFetch(next: FetchLike): FetchLike;
  /** Runs a full authorization now, consent included (`switchboard login`). */
  authorizeNow(signal?: AbortSignal): Promise<void>;
  /** Masks every secret this server's flows have seen (tokens, codes, verifiers, client secrets). */
  redact(text: string): string;
}

/**
 * The authorization of `server` for one connect attempt, or undefined when it has no `auth`
 * block (stdio and custom servers never do). Cheap: nothing is read or sent until a request is.
 */
export function createAuthProvider(server: RuntimeServer, deps: AuthDeps): ServerAuth | undefined {
  if ((server.transport !== 'http' && server.transport !== 'sse') || !server.auth) return undefined;
  const auth = server.auth;
  const resource = resourceUrlFromServerUrl(server.url).href;
  const secrets = new FlowSecrets();
  secrets.add(...configuredSecrets(auth));
  const log = (level: string, message: string) => deps.log(level, secrets.redact(message));
  const provider = new StoreBackedProvider({ server: server.name, resource, auth, store: deps.tokenStore, key: storeKey(server.name, resource), clock: deps.clock, log, secrets });
  const flows = new AuthFlows({
    server: server.name,
    serverUrl: new URL(server.url),
    auth,
    provider,
    secrets,
    ...(deps.authorize ? { authorize: deps.authorize } : {}),
    clock: deps.clock,
    consentTimeoutMs: server.timeouts.connectMs * 30,
    requestTimeoutMs: server.timeouts.connectMs,
    log,
    ...(deps.onAuthorizing ? { onAuthorizing: deps.onAuthorizing } : {}),
    ...(deps.onAuthorized ? { onAuthorized: deps.onAuthorized } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    consent: deps.consent,
  });
  return {
    provider,
    wrapFetch: (next) => flows.wrap(next),
    authorizeNow: (signal) => flows.authorizeNow(signal),
    redact: (text) => secrets.redact(text),
  };
}
