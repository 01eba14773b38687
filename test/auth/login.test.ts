import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, fileTokenStore } from '../../src/auth/index.js';
import { loginServer, tokenKeyOf } from '../../src/servers/index.js';
import { resolveConfig } from '../../src/config/index.js';
import { followToLoopback, httpServer } from './harness.js';
import { startAuthServer, startResourceServer, type TestAuthServer, type TestResourceServer } from './servers.js';

/** `switchboard login <server>`: consent from a terminal, tokens stored, one connect to prove them. */

let as: TestAuthServer;
let rs: TestResourceServer;
let dir: string;

afterEach(async () => {
  await rs?.close();
  await as?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('loginServer', () => {
  it('runs the consent flow through the loopback listener and stores the tokens in a 0600 file', async () => {
    as = await startAuthServer();
    rs = await startResourceServer(as, { authServer: () => as.url });
    dir = mkdtempSync(join(tmpdir(), 'switchboard-login-'));
    const store = fileTokenStore(join(dir, 'oauth'));
    const server = httpServer(rs.url, { type: 'oauth' });
    const shown: string[] = [];
    const result = await loginServer(server, { tokenStore: store, authorize: async (request) => (shown.push(request.authorizationUrl.origin), followToLoopback(request)) });
    expect(result).toMatchObject({ key: tokenKeyOf(server as never), consented: true, serverInfo: { name: 'guarded' } });
    expect(shown).toEqual([as.url]);
    expect(statSync(join(dir, 'oauth', `${result.key}.json`)).mode & 0o777).toBe(0o600);
    expect((await store.load(result.key))?.tokens?.access_token).toBe([...as.tokens.keys()][0]);
    // Logged in already: the stored tokens are enough, nobody is asked again.
    const again = await loginServer(server, { tokenStore: store, authorize: followToLoopback });
    expect(again.consented).toBe(false);
    expect(as.authorizeRequests).toHaveLength(1);
    // --force forgets them and asks again.
    const forced = await loginServer(server, { tokenStore: store, authorize: followToLoopback, force: true });
    expect(forced.consented).toBe(true);
    expect(as.authorizeRequests).toHaveLength(2);
  });

  it('refuses a server without an auth block', async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-login-'));
    const server = resolveConfig({ servers: { plain: { transport: 'http', url: 'http://127.0.0.1:9/mcp' } } }).servers.plain!;
    await expect(loginServer(server, { authorize: followToLoopback, tokenStore: fileTokenStore(dir) })).rejects.toThrow(AuthError);
  });
});
