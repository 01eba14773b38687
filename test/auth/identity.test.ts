import { afterEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../src/auth/index.js';
import { classifyConnectError } from '../../src/protocol/v1/classify.js';
import { codeFromRedirect, harness, httpServer, type Harness } from './harness.js';
import { startAuthServer, startResourceServer, type TestAuthServer, type TestResourceServer } from './servers.js';

/** Tokens belong to one resource at one authorization server; anything else is refused or discarded. */

const servers: { close(): Promise<void> }[] = [];
let h: Harness;

afterEach(async () => {
  await h?.close();
  for (const server of servers.splice(0).reverse()) await server.close();
});

async function authServer(): Promise<TestAuthServer> {
  const as = await startAuthServer();
  servers.push(as);
  return as;
}

async function resourceServer(...args: Parameters<typeof startResourceServer>): Promise<TestResourceServer> {
  const rs = await startResourceServer(...args);
  servers.push(rs);
  return rs;
}

describe('the resource indicator', () => {
  it('is refused, before any registration or consent, when the metadata names another resource', async () => {
    const as = await authServer();
    const rs = await resourceServer(as, { authServer: () => as.url, resource: () => 'https://elsewhere.example.test/mcp' });
    h = harness({ authorize: codeFromRedirect });
    const error = await h.connect(httpServer(rs.url, { type: 'oauth' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    const info = classifyConnectError(error);
    expect(info).toMatchObject({ code: 'AuthRequired', retryable: false });
    expect(info.message).toContain('the resource metadata names another server');
    expect(info.message).toContain('https://elsewhere.example.test/mcp');
    expect(as.registrations).toHaveLength(0);
    expect(as.authorizeRequests).toHaveLength(0);
  });
});

describe('an identity change', () => {
  it('discards the stored tokens when the server names another authorization server', async () => {
    const first = await authServer();
    const second = await authServer();
    let current = first;
    const rs = await resourceServer(first, { authServer: () => current.url, validTokens: () => current.tokens });
    h = harness({ authorize: codeFromRedirect });
    await h.connect(httpServer(rs.url, { type: 'oauth' }));
    await h.close();
    const refreshToken = first.issued.find((v) => v.startsWith('refresh'))!;
    // The server moves to the second authorization server and accepts only its tokens.
    current = second;
    await h.connect(httpServer(rs.url, { type: 'oauth' }));
    // The first server's refresh token went nowhere: not to its own server, not to the new one.
    expect(first.tokenRequests.map((r) => r.grant)).toEqual(['authorization_code']);
    expect(second.tokenRequests.map((r) => r.body.refresh_token)).not.toContain(refreshToken);
    // The new authorization server got a fresh registration and consent.
    expect(second.registrations).toHaveLength(1);
    expect(second.authorizeRequests).toHaveLength(1);
    expect(second.tokenRequests.map((r) => r.grant)).toEqual(['authorization_code']);
    expect(h.logs).toContain("warn the server's authorization server changed: stored tokens discarded");
  });
});
