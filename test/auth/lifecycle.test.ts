import { afterEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../src/auth/index.js';
import { classifyCallError, classifyConnectError } from '../../src/protocol/v1/classify.js';
import { codeFromRedirect, followToLoopback, harness, httpServer, textOf, type Harness } from './harness.js';
import { startAuthServer, startResourceServer, startSseResourceServer, type TestAuthServer, type TestResourceServer } from './servers.js';

/**
 * The token lifecycle of `type: oauth` against a real authorization server and a real protected
 * MCP server on 127.0.0.1: consent, refresh before expiry and on 401, step-up once.
 */

let as: TestAuthServer;
let rs: TestResourceServer;
let h: Harness;

async function start(options: Parameters<typeof startAuthServer>[0] = {}, scopesFor?: (method: string) => string[]) {
  as = await startAuthServer(options);
  rs = await startResourceServer(as, { authServer: () => as.url, ...(scopesFor ? { scopesFor } : {}) });
  h = harness({ authorize: codeFromRedirect });
}

afterEach(async () => {
  await h?.close();
  await rs?.close();
  await as?.close();
});

const grants = () => as.tokenRequests.map((r) => r.grant);

describe('authorization code with PKCE', () => {
  it('registers, asks for consent, exchanges the code and connects on the first attempt', async () => {
    await start();
    const session = await h.connect(httpServer(rs.url, { type: 'oauth' }));
    expect(textOf(await session.client.callTool({ name: 'echo', arguments: { text: 'hi' } }))).toBe('hi');
    expect(as.registrations).toHaveLength(1);
    expect(as.registrations[0]).toMatchObject({ grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none' });
    expect(as.authorizeRequests).toHaveLength(1);
    const query = as.authorizeRequests[0]!;
    expect(query.get('code_challenge_method')).toBe('S256');
    expect(query.get('resource')).toBe(rs.url);
    expect(query.get('state')).toMatch(/^[\w-]{32}$/);
    expect(grants()).toEqual(['authorization_code']);
    // initialize was refused once, then everything went through with the token.
    expect(rs.statuses[0]).toBe(401);
    expect(rs.statuses.slice(1).every((s) => s === 200)).toBe(true);
    expect(h.waits).toEqual(['authorizing', 'authorized']);
  });

  it('takes the code from its own loopback listener when authorize returns nothing', async () => {
    await start();
    const session = await h.connect(httpServer(rs.url, { type: 'oauth' }), { authorize: followToLoopback });
    expect(textOf(await session.client.callTool({ name: 'whoami', arguments: {} }))).toBe('guarded');
    expect(new URL(as.authorizeRequests[0]!.get('redirect_uri')!).hostname).toBe('127.0.0.1');
  });

  it('authorizes a legacy SSE server the same way, stream and posts alike', async () => {
    as = await startAuthServer();
    rs = await startSseResourceServer(as);
    h = harness({ authorize: codeFromRedirect });
    const session = await h.connect(httpServer(rs.url, { type: 'oauth' }, { transport: 'sse' }));
    expect(textOf(await session.client.callTool({ name: 'whoami', arguments: {} }))).toBe('guarded-sse');
    expect(as.authorizeRequests).toHaveLength(1);
    expect(as.authorizeRequests[0]!.get('resource')).toBe(rs.url);
    // The GET stream was refused once, then the stream and every post carried the token.
    expect(rs.statuses[0]).toBe(401);
    expect(rs.statuses.slice(1).every((s) => s === 200)).toBe(true);
  });

  it('uses stored tokens on the next connect without asking again', async () => {
    await start();
    await h.connect(httpServer(rs.url, { type: 'oauth' }));
    await h.close();
    await h.connect(httpServer(rs.url, { type: 'oauth' }));
    expect(as.authorizeRequests).toHaveLength(1);
    expect(grants()).toEqual(['authorization_code']);
  });

  it('fails the connect with a non-retryable AuthRequired when consent is needed and there is no authorize', async () => {
    await start();
    const error = await h.connect(httpServer(rs.url, { type: 'oauth' }), { authorize: undefined }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(classifyConnectError(error)).toEqual({ code: 'AuthRequired', message: expect.stringContaining('switchboard login s'), retryable: false });
    // Nothing was registered or asked for: there was no way to finish the flow.
    expect(as.registrations).toHaveLength(0);
    expect(as.authorizeRequests).toHaveLength(0);
  });
});

describe('refresh', () => {
  it('refreshes before expiry, so the server never refuses the old token', async () => {
    await start({ expiresIn: 600 });
    const session = await h.connect(httpServer(rs.url, { type: 'oauth' }));
    const refused = rs.statuses.filter((s) => s === 401).length;
    // 600 s token, 60 s margin: at 539 s nothing happens, at 541 s the next request refreshes first.
    h.clock.increment(539_000);
    await session.client.callTool({ name: 'echo', arguments: { text: 'a' } });
    expect(grants()).toEqual(['authorization_code']);
    h.clock.increment(2_000);
    await session.client.callTool({ name: 'echo', arguments: { text: 'b' } });
    expect(grants()).toEqual(['authorization_code', 'refresh_token']);
    expect(rs.statuses.filter((s) => s === 401).length).toBe(refused);
    expect(rs.presented.at(-1)).toBe([...as.tokens.keys()].at(-1));
  });

  it('refreshes once on a 401 in the middle of a session and the call succeeds', async () => {
    await start();
    const session = await h.connect(httpServer(rs.url, { type: 'oauth' }));
    as.revokeAccessTokens();
    expect(textOf(await session.client.callTool({ name: 'echo', arguments: { text: 'again' } }))).toBe('again');
    expect(grants()).toEqual(['authorization_code', 'refresh_token']);
    expect(as.authorizeRequests).toHaveLength(1);
    expect(rs.statuses.slice(-2)).toEqual([401, 200]);
  });

  it('refreshes once for concurrent requests refused together', async () => {
    await start();
    const session = await h.connect(httpServer(rs.url, { type: 'oauth' }));
    as.revokeAccessTokens();
    const results = await Promise.all(['a', 'b', 'c'].map((text) => session.client.callTool({ name: 'echo', arguments: { text } })));
    expect(results.map(textOf)).toEqual(['a', 'b', 'c']);
    expect(grants().filter((g) => g === 'refresh_token')).toHaveLength(1);
  });
});

describe('step-up on 403 insufficient_scope', () => {
  const needsWrite = (method: string) => (method === 'tools/call' ? ['read', 'write'] : []);

  it('re-authorizes once with the larger scope and the call succeeds', async () => {
    await start({}, needsWrite);
    const session = await h.connect(httpServer(rs.url, { type: 'oauth', scopes: ['read'] }));
    expect(textOf(await session.client.callTool({ name: 'echo', arguments: { text: 'w' } }))).toBe('w');
    expect(as.authorizeRequests.map((q) => q.get('scope'))).toEqual(['read', 'read write']);
    // A refresh cannot widen the scope: the step-up asked for consent, it did not refresh.
    expect(grants()).toEqual(['authorization_code', 'authorization_code']);
  });

  it('re-authorizes once, not in a loop, when the larger scope is still not enough', async () => {
    await start({}, (method) => (method === 'tools/call' ? ['admin'] : []));
    const session = await h.connect(httpServer(rs.url, { type: 'oauth', scopes: ['read'] }));
    // The authorization server grants what is asked, the resource server still says no.
    as.tokens.forEach((_, token) => as.tokens.set(token, ['read']));
    const asked = as.authorizeRequests.length;
    const stingy = startStingy(as);
    const error = await session.client.callTool({ name: 'echo', arguments: { text: 'x' } }).catch((e: unknown) => e);
    stingy.stop();
    expect(as.authorizeRequests.length - asked).toBe(1);
    expect(error).toBeInstanceOf(AuthError);
    expect(classifyCallError(error, null, 's', 'echo').error.code).toBe('AuthRequired');
    expect((error as Error).message).toMatch(/still lacks the scope .* \(HTTP 403\)/);
  });
});

/** Makes every new token of `as` carry only `read`, whatever was asked. */
function startStingy(server: TestAuthServer) {
  const set = server.tokens.set.bind(server.tokens);
  server.tokens.set = (token, _scope) => set(token, ['read']);
  return { stop: () => void (server.tokens.set = set) };
}
