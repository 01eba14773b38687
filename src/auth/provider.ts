import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { AddClientAuthentication } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { AuthConfig } from '../config/schema.js';
import type { RuntimeClock } from '../core/clock.js';
import { AuthError, FlowSecrets } from './errors.js';
import type { ConsentFlow } from './consent.js';
import { crossAppTokenRequest, privateKeyJwtAuth } from './grants.js';
import { navigationProblem, type AuthRequestGuard } from './guardedFetch.js';
import { applicationType, checkResponseIssuer, metadataIssuerProblem, type AuthorizationResponse } from './issuer.js';
import { AuthorizationRefused } from './loopback.js';
import { clampLifetimes } from './tokenLifetime.js';
import type { StoredAuth, TokenStore } from './tokenStore.js';

/**
 * The SDK's `OAuthClientProvider` for one server and resource, backed by a TokenStore. The SDK's
 * `auth()` does discovery, registration (DCR or CIMD), PKCE, the resource indicator and every
 * token request; this class only keeps what it hands over, knows the configured credentials, and
 * adds what SDK 1.32.2 lacks: the SEP-990 token exchange, `offline_access` when offered, expiry
 * times, dropping the tokens and the registration when the resource or the authorization server
 * changes, the issuer checks of RFC 8414 §3.3 and RFC 9207, and SEP-837's `application_type`
 * (issuer.ts).
 */

export interface ProviderOptions {
  server: string;
  /** The MCP server URL (the resource). */
  resource: string;
  auth: AuthConfig;
  store: TokenStore;
  key: string;
  clock: RuntimeClock;
  log(level: string, message: string): void;
  secrets: FlowSecrets;
}

const CLIENT_NAME = 'mcp-switchboard';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Two URLs name the same thing, tolerating one trailing slash (as the SDK compares issuers). */
export function sameUrl(a: string, b: string): boolean {
  const norm = (v: string) => {
    try {
      return new URL(v).href.replace(/\/$/, '');
    } catch {
      return v.replace(/\/$/, '');
    }
  };
  return norm(a) === norm(b);
}

/** Scopes as one space-separated string without repeats, or undefined when there are none. */
export function joinScopes(...lists: (string | readonly string[] | undefined)[]): string | undefined {
  const all = lists.flatMap((list) => (typeof list === 'string' ? list.split(' ') : (list ?? []))).filter(Boolean);
  return all.length > 0 ? [...new Set(all)].join(' ') : undefined;
}

export class StoreBackedProvider implements OAuthClientProvider {
  /** The open consent flow (authorization code only), set by the flow runner. */
  flow: ConsentFlow | undefined;
  /** The scope the current flow asks for (from a challenge), beyond the configured scopes. */
  requestedScope: string | undefined;
  /** The guarded fetch of the current flow (authFetch.ts sets it): no request leaves without a flow. */
  fetchFn: FetchLike = () => Promise.reject(new AuthError(`server "${this.options.server}": no authorization flow is open`));
  /** The current flow's request guard: once it refused a request, nobody is asked for consent. */
  guard: AuthRequestGuard | undefined;
  /** Step-up: the SDK would refresh (same scope) instead of asking for more, so it sees no refresh token. */
  hideRefreshToken = false;
  readonly addClientAuthentication?: AddClientAuthentication;
  readonly prepareTokenRequest?: (scope?: string) => Promise<URLSearchParams | undefined>;
  private record: StoredAuth | undefined;
  private loaded = false;
  private discovery: OAuthDiscoveryState | undefined;
  private verifier: string | undefined;
  private pendingCode: string | undefined;

  constructor(private readonly options: ProviderOptions) {
    const { auth, secrets } = options;
    if (auth.type === 'client_credentials') {
      this.prepareTokenRequest = async (scope) => withScope(new URLSearchParams({ grant_type: 'client_credentials' }), scope);
      if (auth.privateKey) this.addClientAuthentication = privateKeyJwtAuth(auth.clientId, auth.privateKey, auth.algorithm);
    } else if (auth.type === 'cross_app') {
      this.prepareTokenRequest = async (scope) => {
        const assertion = await crossAppTokenRequest(auth, this.identity(), scope, this.fetchFn, secrets);
        return withScope(new URLSearchParams({ grant_type: JWT_BEARER, assertion }), scope);
      };
    }
  }

  get interactive(): boolean {
    return this.options.auth.type === 'oauth';
  }

  get redirectUrl(): string | undefined {
    const { auth } = this.options;
    if (auth.type !== 'oauth') return undefined;
    // Without an open flow (no authorize callback) nothing listens: any loopback URL will do,
    // since the flow fails at the consent step before anyone could be sent there.
    return this.flow?.redirectUrl.href ?? auth.redirectUrl ?? 'http://127.0.0.1/callback';
  }

  get clientMetadataUrl(): string | undefined {
    return this.options.auth.type === 'oauth' ? this.options.auth.clientMetadataUrl : undefined;
  }

  /** The registration request (SDK 1.32.2 sends it as given, `application_type` included). */
  get clientMetadata(): OAuthClientMetadata & { application_type: 'native' | 'web' } {
    const { auth } = this.options;
    const scope = joinScopes(auth.scopes, this.requestedScope);
    const common = { client_name: CLIENT_NAME, ...(scope ? { scope } : {}) };
    // SEP-837: an authorization server that reads no application_type takes `web`, and refuses
    // the loopback redirect of a native client for it.
    const redirects = auth.type === 'oauth' ? [this.redirectUrl!] : [];
    const typed = { ...common, application_type: applicationType(redirects) };
    if (auth.type === 'oauth') {
      // A native public client with PKCE (RFC 8252); refresh_token so refresh tokens are issued (SEP-2207).
      return { ...typed, redirect_uris: redirects, grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: auth.clientSecret ? 'client_secret_basic' : 'none' };
    }
    if (auth.type === 'client_credentials') {
      return { ...typed, redirect_uris: [], grant_types: ['client_credentials'], token_endpoint_auth_method: auth.privateKey ? 'private_key_jwt' : 'client_secret_basic' };
    }
    return { ...typed, redirect_uris: [], grant_types: [JWT_BEARER], token_endpoint_auth_method: 'client_secret_basic' };
  }

  state(): string {
    if (!this.flow) throw new AuthError(`server "${this.options.server}" needs the user's consent and no authorization flow is open`);
    return this.flow.state;
  }

  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    const { auth } = this.options;
    // Configured credentials come from config every time; only registrations are stored.
    if (auth.clientId) return auth.clientSecret ? { client_id: auth.clientId, client_secret: auth.clientSecret } : { client_id: auth.clientId };
    return (await this.load()).clientInformation;
  }

  async saveClientInformation(info: OAuthClientInformationMixed): Promise<void> {
    // The SDK also calls this to stamp configured credentials with the issuer: nothing to keep.
    if (this.options.auth.clientId) return;
    this.options.secrets.add((info as { client_secret?: string }).client_secret);
    await this.update({ clientInformation: info as StoredAuth['clientInformation'] });
  }

  async tokens(): Promise<OAuthTokens | undefined> {
    const tokens = (await this.load()).tokens as OAuthTokens | undefined;
    if (!tokens || !this.hideRefreshToken) return tokens;
    const { refresh_token: _hidden, ...rest } = tokens;
    return rest;
  }

  async saveTokens(given: OAuthTokens): Promise<void> {
    this.options.secrets.add(given.access_token, given.refresh_token);
    // An absurd expires_in (1e308, negative, NaN) would give an expiry no store can write back.
    const { tokens } = clampLifetimes({ tokens: given }, this.options.clock.now());
    const expiresAt = tokens.expires_in === undefined ? undefined : this.options.clock.now() + tokens.expires_in * 1000;
    const identity = this.discovery ? this.identity() : undefined;
    await this.update({
      tokens: tokens as StoredAuth['tokens'],
      expiresAt,
      issuer: tokens.issuer ?? identity?.issuer,
      resourceIndicator: identity?.resource,
    });
    const lifetime = tokens.expires_in === undefined ? '' : `, valid for ${tokens.expires_in} s`;
    this.options.log('info', `authorized${tokens.scope ? ` (scope: ${tokens.scope})` : ''}${lifetime}`);
  }

  /**
   * Takes the store's refresh lock (a cluster's, when the store has one) and forgets the record
   * read so far, so the next read is the store's: another process may have refreshed meanwhile.
   * Resolves the lock's release (a no-op without a lock).
   */
  async lockRefresh(signal?: AbortSignal): Promise<() => Promise<void>> {
    const { store, key } = this.options;
    if (!store.lockRefresh) return async () => undefined;
    const release = await store.lockRefresh(key, signal);
    this.loaded = false;
    this.record = undefined;
    return release;
  }

  /** When the stored access token expires (ms), if the server said. */
  async expiresAt(): Promise<number | undefined> {
    return (await this.load()).expiresAt;
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    const { server } = this.options;
    // The SDK goes on to consent after a refresh that failed oddly: not when our guard refused it.
    const refused = this.guard?.failure();
    if (refused) throw refused;
    // The URL comes from the authorization server's metadata: a file: URL or a custom scheme
    // would have the desktop open a file or launch an arbitrary handler.
    const problem = navigationProblem(authorizationUrl);
    if (problem) throw new AuthError(`server "${server}": refused the authorization URL: ${problem}`);
    if (!this.flow) {
      throw new AuthError(`server "${server}" needs the user's consent: run \`switchboard login ${server}\`, or give createSwitchboard an authorize callback`);
    }
    this.offerOfflineAccess(authorizationUrl);
    // The issuer the response must name: that of the metadata this URL was built from.
    const metadata = this.discovery?.authorizationServerMetadata;
    // Consent takes as long as the person needs: no request's time bound may run meanwhile.
    this.guard?.release();
    let response: AuthorizationResponse;
    try {
      response = await this.flow.obtainResponse(authorizationUrl);
    } catch (error) {
      // RFC 9207: an error redirect's issuer first; a mix-up's error text is not to be believed.
      if (error instanceof AuthorizationRefused) checkResponseIssuer(server, error.iss, metadata);
      throw error;
    }
    // Before the code goes anywhere: a code meant for another authorization server never reaches this one's token endpoint.
    checkResponseIssuer(server, response.iss, metadata);
    this.pendingCode = response.code;
  }

  /** The code the last consent produced (once). */
  takeCode(): string | undefined {
    const code = this.pendingCode;
    this.pendingCode = undefined;
    return code;
  }

  saveCodeVerifier(verifier: string): void {
    this.options.secrets.add(verifier);
    this.verifier = verifier;
  }

  codeVerifier(): string {
    if (!this.verifier) throw new AuthError('no PKCE verifier for this authorization flow');
    return this.verifier;
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if (scope === 'verifier' || scope === 'all') this.verifier = undefined;
    if (scope === 'discovery' || scope === 'all') this.discovery = undefined;
    if (scope === 'tokens' || scope === 'all') await this.update({ tokens: undefined, expiresAt: undefined });
    if (scope === 'client' || scope === 'all') await this.update({ clientInformation: undefined });
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }

  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    // RFC 8414 §3.3: metadata that names another issuer than it was fetched for is not used at all
    // (its endpoints could be anyone's). The SDK passes every metadata document it fetched through
    // here. Not for the 2025-03-26 fallback (no resource metadata naming an authorization server):
    // the MCP server's origin it reads is nobody's issuer identifier, and that revision asks no echo.
    const metadata = state.authorizationServerMetadata;
    const named = (state.resourceMetadata?.authorization_servers?.length ?? 0) > 0;
    const problem = metadata && named ? metadataIssuerProblem(state.authorizationServerUrl, metadata) : undefined;
    if (problem) {
      this.discovery = undefined;
      throw new AuthError(`server "${this.options.server}": refused the authorization server ${state.authorizationServerUrl}: ${problem}`);
    }
    this.discovery = state;
    const record = await this.load();
    const { issuer, resource } = this.identity();
    // Whichever stamp names the authorization server the stored state belongs to (a registration
    // is stamped before any token exists, and a flow may have ended between the two).
    const boundTo = record.issuer ?? record.tokens?.issuer ?? record.clientInformation?.issuer;
    const movedIssuer = boundTo !== undefined && !sameUrl(boundTo, issuer);
    const movedResource = record.resourceIndicator !== undefined && resource !== undefined && !sameUrl(record.resourceIndicator, resource);
    if ((movedIssuer || movedResource) && (record.tokens || record.clientInformation)) {
      // Tokens and a registration belong to one resource at one authorization server.
      this.options.log('warn', `the server's ${movedIssuer ? 'authorization server' : 'resource identity'} changed: stored tokens discarded`);
      await this.update({ tokens: undefined, expiresAt: undefined, clientInformation: undefined, issuer: undefined, resourceIndicator: undefined });
    }
  }

  /** Who the current discovery says we talk to: the authorization server and the resource indicator. */
  identity(): { issuer: string; audience: string; resource: string | undefined } {
    const state = this.discovery;
    const issuer = state?.authorizationServerUrl ?? new URL('/', this.options.resource).href;
    return { issuer, audience: state?.authorizationServerMetadata?.issuer ?? issuer, resource: state?.resourceMetadata?.resource };
  }

  /** SEP-2207: ask for `offline_access` (a refresh token) only when the authorization server lists it. */
  private offerOfflineAccess(url: URL): void {
    const supported = this.discovery?.authorizationServerMetadata?.scopes_supported ?? [];
    if (!supported.includes('offline_access')) return;
    const scope = url.searchParams.get('scope')?.split(' ').filter(Boolean) ?? [];
    if (scope.includes('offline_access')) return;
    url.searchParams.set('scope', [...scope, 'offline_access'].join(' '));
    // OIDC Core §11: offline_access is granted only with prompt=consent (the SDK does the same).
    if (!url.searchParams.getAll('prompt').includes('consent')) url.searchParams.append('prompt', 'consent');
  }

  private async load(): Promise<StoredAuth> {
    if (!this.loaded) {
      const stored = await this.options.store.load(this.options.key);
      // A record of another resource under this key (a hand-edited file) is not ours to use.
      this.record = stored && sameUrl(stored.resource, this.options.resource) ? stored : undefined;
      this.loaded = true;
      if (this.record) this.options.secrets.add(this.record.tokens?.access_token, this.record.tokens?.refresh_token, this.record.clientInformation?.client_secret);
    }
    this.record ??= { version: 1, server: this.options.server, resource: this.options.resource };
    return this.record;
  }

  private async update(change: Partial<StoredAuth>): Promise<void> {
    const record = { ...(await this.load()), ...change };
    for (const key of Object.keys(record) as (keyof StoredAuth)[]) if (record[key] === undefined) delete record[key];
    this.record = record;
    if (record.tokens || record.clientInformation) await this.options.store.save(this.options.key, record);
    else await this.options.store.delete(this.options.key);
  }
}

function withScope(params: URLSearchParams, scope: string | undefined): URLSearchParams {
  if (scope) params.set('scope', scope);
  return params;
}
