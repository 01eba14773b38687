import { afterEach, describe, expect, it } from 'vitest';
import { memoryTokenStore } from '../../src/auth/index.js';
import { createAdminApp } from '../../src/server/app.js';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { recordEvents } from '../helpers/switchboard.js';
import { codeFromRedirect } from './harness.js';
import { startAuthServer, startResourceServer, type TestAuthServer, type TestResourceServer } from './servers.js';

/**
 * Authorization through the public API: `createSwitchboard(config, { authorize, tokenStore })`.
 * A 401 in the middle of a session costs one refresh and the call succeeds; no secret of the flow
 * appears in logs, events, getServer() or the admin API's /mcp/servers.
 */

const TOKEN = 'admin-token-for-the-auth-test';
const lifecycle = { accepting: () => true, ready: () => true, begin: () => undefined, end: () => undefined };

let as: TestAuthServer;
let rs: TestResourceServer;
let sb: Switchboard | undefined;

afterEach(async () => {
  await sb?.stop();
  sb = undefined;
  await rs?.close();
  await as?.close();
});

describe('an OAuth server behind the switchboard', () => {
  it('refreshes once on a 401 mid-session, the call succeeds, and no flow secret leaks', async () => {
    as = await startAuthServer();
    rs = await startResourceServer(as, { authServer: () => as.url });
    const logs: string[] = [];
    sb = createSwitchboard(
      { servers: { remote: { transport: 'http', url: rs.url, auth: { type: 'oauth', clientId: 'pre-registered-app', clientSecret: 'configured-secret-0042' } } } },
      {
        authorize: codeFromRedirect,
        tokenStore: memoryTokenStore(),
        logger: { log: (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`) },
      },
    );
    const events = recordEvents(sb);
    await sb.start();
    expect(sb.getServer('remote')?.state).toBe('connected');
    expect(as.authorizeRequests).toHaveLength(1);
    // The configured client authenticated at the token endpoint (client_secret_basic).
    expect(as.tokenRequests[0]?.authorization).toBe(`Basic ${btoa('pre-registered-app:configured-secret-0042')}`);

    as.revokeAccessTokens();
    const result = await sb.callTool('echo', { text: 'after the 401' }, { server: 'remote' });
    expect(result.content).toEqual([{ type: 'text', text: 'after the 401' }]);
    expect(as.tokenRequests.map((r) => r.grant)).toEqual(['authorization_code', 'refresh_token']);
    expect(rs.statuses.filter((s) => s === 401)).toHaveLength(2); // initialize, then the call
    expect(sb.getServer('remote')?.state).toBe('connected');

    const { app, close } = createAdminApp(sb, { token: TOKEN, allowedHosts: ['localhost'], redact: (t) => t, lifecycle });
    const servers = await (await app.request('/mcp/servers', { headers: { host: 'localhost', authorization: `Bearer ${TOKEN}` } })).text();
    close();
    const verifiers = as.tokenRequests.map((r) => r.body.code_verifier).filter((v): v is string => !!v);
    const secrets = [...as.issued, ...verifiers, 'configured-secret-0042'];
    expect(secrets.length).toBeGreaterThan(4);
    const shown = [...logs, JSON.stringify(events), JSON.stringify(sb.getServer('remote') ?? null), servers];
    for (const text of shown) for (const secret of secrets) expect(text, `"${secret}" leaked`).not.toContain(secret);
  });

  it('ends in error with AuthRequired when consent is needed and there is no authorize', async () => {
    as = await startAuthServer();
    rs = await startResourceServer(as, { authServer: () => as.url });
    sb = createSwitchboard({ servers: { remote: { transport: 'http', url: rs.url, auth: { type: 'oauth' } } } }, { tokenStore: 'memory' });
    await sb.start();
    const status = sb.getServer('remote')!;
    expect(status.state).toBe('error');
    expect(status.lastError).toMatchObject({ code: 'AuthRequired', message: expect.stringContaining('switchboard login remote') });
    expect(as.authorizeRequests).toHaveLength(0);
  });
});
