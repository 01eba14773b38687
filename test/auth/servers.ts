import { createHash, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { jwtVerify } from 'jose';
import { forward } from './forward.js';
// @ts-expect-error plain JS fixture shared with the stdio child process
import { buildServer } from '../fixtures/demoTools.mjs';

/**
 * A real authorization server and a real protected MCP server on 127.0.0.1, small enough to read:
 * RFC 8414 metadata, dynamic registration, an authorize endpoint that consents at once (302 to the
 * redirect with a code), a token endpoint (authorization_code with PKCE, refresh_token,
 * client_credentials, jwt-bearer) and an MCP endpoint that checks bearer tokens and scopes.
 */

export interface Grant {
  grant: string;
  body: Record<string, string>;
  authorization?: string;
}

export interface AuthServerOptions {
  /** Prefixes its client ids and every value it issues (two servers of one test then never issue the same). Defaults to none. */
  name?: string;
  /** `expires_in` of issued tokens. Defaults to 3600. */
  expiresIn?: number;
  /** Defaults to ['none', 'client_secret_basic', 'client_secret_post']. */
  authMethods?: string[];
  scopesSupported?: string[];
  /** Issue refresh tokens. Defaults to true. */
  refreshTokens?: boolean;
  /** The key that verifies private_key_jwt assertions and ID-JAGs. */
  assertionKey?: KeyObject;
  /** Rotates refresh tokens: each is valid once, a used one answers `invalid_grant`. Defaults to false. */
  rotateRefreshTokens?: boolean;
  /** Refuses refresh grants with this error body (given the refresh token presented). */
  refreshError?: (refreshToken: string) => Record<string, string>;
  /** Rewrites its RFC 8414 metadata (a hostile server naming other endpoints). */
  metadata?: (metadata: Record<string, unknown>) => Record<string, unknown>;
  /** Answers a request itself when it returns true (a hostile endpoint); the server's own logic otherwise. */
  intercept?: Intercept;
  /** RFC 9207: `authorization_response_iss_parameter_supported` in its metadata (absent when undefined). */
  issSupported?: boolean;
  /**
   * The `iss` its authorization redirect carries: its issuer, another one, its issuer with a
   * trailing slash (only equal after normalization), or none. Defaults to none.
   */
  issInRedirect?: 'correct' | 'wrong' | 'slash' | 'none';
}

/** A hostile endpoint: handles the request and returns true, or returns false to let the server answer. */
export type Intercept = (req: IncomingMessage, res: ServerResponse, at: URL) => boolean | Promise<boolean>;

export interface TestAuthServer {
  url: string;
  /** Access tokens and their scopes. */
  readonly tokens: Map<string, string[]>;
  readonly authorizeRequests: URLSearchParams[];
  readonly tokenRequests: Grant[];
  readonly registrations: Record<string, unknown>[];
  /** Every value the server issued (codes, tokens, client secrets). */
  readonly issued: string[];
  /** Invalidates every access token issued so far (the next request gets 401). */
  revokeAccessTokens(): void;
  close(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => unknown): Promise<Server> {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return server;
}

function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const json = (res: ServerResponse, status: number, value: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** Starts the authorization server. Issued values count up (no randomness in tests). */
export async function startAuthServer(options: AuthServerOptions = {}): Promise<TestAuthServer> {
  let n = 0;
  const next = (prefix: string) => `${options.name ?? ''}${prefix}-${String(++n).padStart(4, '0')}-issued`;
  const tokens = new Map<string, string[]>();
  const refresh = new Map<string, string[]>();
  const codes = new Map<string, { challenge: string; scope: string[]; redirect: string }>();
  const state = { authorizeRequests: [] as URLSearchParams[], tokenRequests: [] as Grant[], registrations: [] as Record<string, unknown>[], issued: [] as string[] };
  let url = '';
  const issue = (scope: string[], res: ServerResponse) => {
    const access = next('access');
    tokens.set(access, scope);
    state.issued.push(access);
    const out: Record<string, unknown> = { access_token: access, token_type: 'Bearer', expires_in: options.expiresIn ?? 3600 };
    if (scope.length > 0) out.scope = scope.join(' ');
    if (options.refreshTokens !== false) {
      const token = next('refresh');
      refresh.set(token, scope);
      state.issued.push(token);
      out.refresh_token = token;
    }
    json(res, 200, out);
  };
  const server = await listen(async (req, res) => {
    const at = new URL(req.url ?? '/', url);
    if (await options.intercept?.(req, res, at)) return;
    if (req.method === 'GET' && at.pathname === '/.well-known/oauth-authorization-server') {
      const rewrite = options.metadata ?? ((m: Record<string, unknown>) => m);
      return json(res, 200, rewrite({
        issuer: url,
        authorization_endpoint: `${url}/authorize`,
        token_endpoint: `${url}/token`,
        registration_endpoint: `${url}/register`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: options.authMethods ?? ['none', 'client_secret_basic', 'client_secret_post'],
        ...(options.scopesSupported ? { scopes_supported: options.scopesSupported } : {}),
        ...(options.issSupported !== undefined ? { authorization_response_iss_parameter_supported: options.issSupported } : {}),
      }));
    }
    if (req.method === 'POST' && at.pathname === '/register') {
      const metadata = JSON.parse(await body(req)) as Record<string, unknown>;
      state.registrations.push(metadata);
      const secret = next('client-secret');
      state.issued.push(secret);
      return json(res, 201, { ...metadata, client_id: `${options.name ?? ''}client-${state.registrations.length}`, client_secret: secret });
    }
    if (req.method === 'GET' && at.pathname === '/authorize') {
      state.authorizeRequests.push(at.searchParams);
      const code = next('code');
      state.issued.push(code);
      const scope = at.searchParams.get('scope')?.split(' ').filter(Boolean) ?? [];
      codes.set(code, { challenge: at.searchParams.get('code_challenge') ?? '', scope, redirect: at.searchParams.get('redirect_uri') ?? '' });
      const to = new URL(at.searchParams.get('redirect_uri')!);
      to.searchParams.set('code', code);
      if (at.searchParams.has('state')) to.searchParams.set('state', at.searchParams.get('state')!);
      const iss = { correct: url, wrong: 'https://evil.example.test', slash: `${url}/`, none: undefined }[options.issInRedirect ?? 'none'];
      if (iss !== undefined) to.searchParams.set('iss', iss);
      return res.writeHead(302, { Location: to.href }).end();
    }
    if (req.method === 'POST' && at.pathname === '/token') {
      const form = Object.fromEntries(new URLSearchParams(await body(req)));
      const grant = form.grant_type ?? '';
      state.tokenRequests.push({ grant, body: form, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      if (grant === 'authorization_code') {
        const entry = codes.get(form.code ?? '');
        codes.delete(form.code ?? '');
        if (!entry || s256(form.code_verifier ?? '') !== entry.challenge || entry.redirect !== form.redirect_uri) return json(res, 400, { error: 'invalid_grant' });
        return issue(entry.scope, res);
      }
      if (grant === 'refresh_token') {
        if (options.refreshError) return json(res, 400, options.refreshError(form.refresh_token ?? ''));
        const scope = refresh.get(form.refresh_token ?? '');
        if (!scope) return json(res, 400, { error: 'invalid_grant' });
        if (options.rotateRefreshTokens) refresh.delete(form.refresh_token ?? '');
        return issue(scope, res);
      }
      if (grant === 'client_credentials') {
        if (form.client_assertion) {
          if (!options.assertionKey) return json(res, 401, { error: 'invalid_client' });
          const ok = await jwtVerify(form.client_assertion, options.assertionKey, { audience: url }).then(() => true, () => false);
          if (!ok) return json(res, 401, { error: 'invalid_client' });
        } else if (!req.headers.authorization && !form.client_secret) return json(res, 401, { error: 'invalid_client' });
        return issue(form.scope?.split(' ') ?? [], res);
      }
      if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
        const ok = options.assertionKey && (await jwtVerify(form.assertion ?? '', options.assertionKey, { audience: url }).then(() => true, () => false));
        return ok ? issue(form.scope?.split(' ') ?? [], res) : json(res, 400, { error: 'invalid_grant' });
      }
      return json(res, 400, { error: 'unsupported_grant_type' });
    }
    json(res, 404, { error: 'not_found' });
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    tokens,
    ...state,
    revokeAccessTokens: () => tokens.clear(),
    close: () => stop(server),
  };
}

export interface ResourceServerOptions {
  /** The authorization server its metadata names (changeable to test an identity change). */
  authServer: () => string;
  /** Scopes each MCP method needs; missing ones get 403 insufficient_scope. Defaults to none. */
  scopesFor?: (method: string) => string[];
  /** The `resource` its metadata names. Defaults to its own URL. */
  resource?: () => string;
  /** PRM `scopes_supported`. */
  scopesSupported?: string[];
  /** The tokens it accepts. Defaults to those `auth` issued. */
  validTokens?: () => Map<string, string[]>;
  /** Answers a request itself when it returns true (hostile metadata or challenges). */
  intercept?: Intercept;
  /**
   * Forwards authorized POSTs to this MCP endpoint (e.g. a v2 server of either era) instead of
   * serving the demo tools itself: the guard is the same in both eras. Defaults to none.
   */
  upstream?: string;
}

export interface TestResourceServer {
  url: string;
  /** Status of every MCP request, in order (401, 403, 200...). */
  readonly statuses: number[];
  /** Bearer tokens presented, in order. */
  readonly presented: string[];
  close(): Promise<void>;
}

/** Starts a stateless streamable-HTTP MCP server (the demo tools) behind bearer tokens of `auth`. */
export async function startResourceServer(auth: TestAuthServer, options: ResourceServerOptions): Promise<TestResourceServer> {
  let base = '';
  const statuses: number[] = [];
  const presented: string[] = [];
  const server = await listen(async (req, res): Promise<unknown> => {
    const at = new URL(req.url ?? '/', base);
    if (await options.intercept?.(req, res, at)) return;
    const resourceMetadata = `${base}/.well-known/oauth-protected-resource/mcp`;
    if (req.method === 'GET' && at.pathname === '/.well-known/oauth-protected-resource/mcp') {
      return json(res, 200, {
        resource: options.resource?.() ?? `${base}/mcp`,
        authorization_servers: [options.authServer()],
        ...(options.scopesSupported ? { scopes_supported: options.scopesSupported } : {}),
      });
    }
    if (at.pathname !== '/mcp') return json(res, 404, { error: 'not_found' });
    if (req.method !== 'POST') return res.writeHead(405, { Allow: 'POST' }).end();
    const text = await body(req);
    const message = JSON.parse(text) as { method?: string };
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token) presented.push(token);
    const granted = token ? (options.validTokens?.() ?? auth.tokens).get(token) : undefined;
    if (!granted) {
      statuses.push(401);
      return res.writeHead(401, { 'WWW-Authenticate': `Bearer resource_metadata="${resourceMetadata}"` }).end();
    }
    const needed = options.scopesFor?.(message.method ?? '') ?? [];
    if (!needed.every((s) => granted.includes(s))) {
      statuses.push(403);
      return res.writeHead(403, { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${needed.join(' ')}", resource_metadata="${resourceMetadata}"` }).end();
    }
    statuses.push(200);
    if (options.upstream) return forward(options.upstream, req, res, text);
    const mcp = buildServer('guarded');
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await mcp.connect(transport);
    res.on('close', () => void mcp.close());
    return transport.handleRequest(req, res, JSON.parse(text));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: `${base}/mcp`, statuses, presented, close: () => stop(server) };
}

/** The same guard in front of a legacy SSE server: GET /sse opens the stream, POST /messages sends. */
export async function startSseResourceServer(auth: TestAuthServer): Promise<TestResourceServer> {
  let base = '';
  const statuses: number[] = [];
  const presented: string[] = [];
  const sessions = new Map<string, SSEServerTransport>();
  const server = await listen(async (req, res): Promise<unknown> => {
    const at = new URL(req.url ?? '/', base);
    if (req.method === 'GET' && at.pathname === '/.well-known/oauth-protected-resource/sse') {
      return json(res, 200, { resource: `${base}/sse`, authorization_servers: [auth.url] });
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token) presented.push(token);
    if (!token || !auth.tokens.has(token)) {
      statuses.push(401);
      return res.writeHead(401, { 'WWW-Authenticate': `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/sse"` }).end();
    }
    statuses.push(200);
    if (req.method === 'GET' && at.pathname === '/sse') {
      const transport = new SSEServerTransport('/messages', res);
      sessions.set(transport.sessionId, transport);
      return buildServer('guarded-sse').connect(transport);
    }
    const transport = sessions.get(at.searchParams.get('sessionId') ?? '');
    if (req.method !== 'POST' || !transport) return res.writeHead(404).end();
    return transport.handlePostMessage(req, res, JSON.parse(await body(req)));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/sse`,
    statuses,
    presented,
    close: async () => {
      for (const transport of sessions.values()) await transport.close();
      await stop(server);
    },
  };
}
