import { afterEach, describe, expect, it } from 'vitest';
import { serverTokenKey } from '../../src/auth/index.js';
import { codeFromRedirect, harness, httpServer, type Harness } from './harness.js';
import { startAuthServer, startResourceServer, type TestAuthServer } from './servers.js';

/**
 * SEP-2352: the server moves to another authorization server while a session runs. Its next
 * 401 re-reads the protected resource metadata; the old registration and tokens are dropped, the
 * client registers at the new server and never shows it the old server's client id or tokens.
 */

const servers: { close(): Promise<void> }[] = [];
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const server of servers.splice(0).reverse()) await server.close();
});

async function authServer(options: Parameters<typeof startAuthServer>[0]): Promise<TestAuthServer> {
  const as = await startAuthServer(options);
  servers.push(as);
  return as;
}

describe('an authorization server change in the middle of a session', () => {
  it.each([
    ['a refresh token', true],
    ['no refresh token', false],
  ])('re-reads the resource metadata on the 401 and registers at the new server (%s)', async (_name, refreshTokens) => {
    const first = await authServer({ name: 'first-', refreshTokens });
    const second = await authServer({ name: 'second-' });
    let current = first;
    const rs = await startResourceServer(first, { authServer: () => current.url, validTokens: () => current.tokens });
    servers.push(rs);
    h = harness({ authorize: codeFromRedirect });
    const session = await h.connect(httpServer(rs.url, { type: 'oauth' }));
    expect(first.registrations).toHaveLength(1);
    const firstClient = first.tokenRequests[0]!.body.client_id!;

    // The server now trusts only the second authorization server: the token in hand gets 401.
    current = second;
    const result = await session.client.callTool({ name: 'echo', arguments: { text: 'after the move' } });
    expect(result.content).toEqual([{ type: 'text', text: 'after the move' }]);

    expect(second.registrations).toHaveLength(1);
    expect(firstClient).toBe('first-client-1');
    expect(second.authorizeRequests.map((q) => q.get('client_id'))).toEqual(['second-client-1']);
    // Nothing of the first server reached the second: not its client id, not its tokens.
    const atSecond = JSON.stringify([second.tokenRequests, second.authorizeRequests.map((q) => q.toString())]);
    expect(atSecond).not.toContain(firstClient);
    for (const value of first.issued) expect(atSecond).not.toContain(value);
    // And the first server saw nothing after the move (no refresh there).
    expect(first.tokenRequests.map((r) => r.grant)).toEqual(['authorization_code']);
    expect(h.logs).toContain("warn the server's authorization server changed: stored tokens discarded");
    // What is stored now belongs to the second server alone.
    const stored = await h.store.load(serverTokenKey('s', rs.url));
    expect(stored).toMatchObject({ issuer: second.url, clientInformation: { client_id: 'second-client-1' } });
    expect(JSON.stringify(stored)).not.toContain('first-');
  });
});
