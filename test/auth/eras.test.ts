import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { startV2HttpServer } from '../helpers/v2Servers.js';
import { responseFromRedirect } from './harness.js';
import { startAuthServer, startResourceServer, type AuthServerOptions, type TestAuthServer } from './servers.js';

/**
 * The same OAuth in both eras (DESIGN §11, §15): one bearer guard in front of a v2 server that
 * speaks 2025-11-25 or only 2026-07-28, one config, one `authorize`. A registration names its
 * `application_type`, the redirect's `iss` is checked, and a move to another authorization server
 * in the middle of a session re-registers there.
 */

const ERAS = [
  { era: 'legacy', protocol: '2025-11-25', modernOnly: false },
  { era: 'modern', protocol: '2026-07-28', modernOnly: true },
] as const;

const open: { close(): Promise<void> }[] = [];
let sb: Switchboard | undefined;

afterEach(async () => {
  await sb?.stop();
  sb = undefined;
  for (const server of open.splice(0).reverse()) await server.close();
});

async function authServer(options: AuthServerOptions): Promise<TestAuthServer> {
  const as = await startAuthServer(options);
  open.push(as);
  return as;
}

describe.each(ERAS)('OAuth to a $era server', ({ era, protocol, modernOnly }) => {
  async function guarded(current: () => TestAuthServer): Promise<string> {
    const upstream = await startV2HttpServer('guarded', { modernOnly });
    open.push(upstream);
    const rs = await startResourceServer(current(), { authServer: () => current().url, validTokens: () => current().tokens, upstream: upstream.url });
    open.push(rs);
    return rs.url;
  }

  async function start(url: string): Promise<Switchboard> {
    sb = createSwitchboard(
      { servers: { remote: { transport: 'http', url, protocol, reconnect: { maxAttempts: 1 }, health: { intervalMs: 0 }, auth: { type: 'oauth' } } } },
      { authorize: responseFromRedirect, tokenStore: 'memory' },
    );
    await sb.start();
    return sb;
  }

  it('registers as a native client and re-registers when the authorization server moves mid-session', async () => {
    const first = await authServer({ name: 'first-', issSupported: true, issInRedirect: 'correct' });
    const second = await authServer({ name: 'second-', issSupported: true, issInRedirect: 'correct' });
    let current = first;
    const sb = await start(await guarded(() => current));
    expect(sb.getServer('remote')).toMatchObject({ state: 'connected', protocol: { era } });
    expect(first.registrations).toEqual([expect.objectContaining({ application_type: 'native' })]);

    current = second;
    const result = await sb.callTool('echo', { text: 'after the move' }, { server: 'remote' });
    expect(result.content).toEqual([{ type: 'text', text: 'after the move' }]);
    expect(second.registrations).toEqual([expect.objectContaining({ application_type: 'native' })]);
    expect(second.authorizeRequests.map((q) => q.get('client_id'))).toEqual(['second-client-1']);
    expect(JSON.stringify(second.tokenRequests)).not.toContain('first-');
  });

  it('refuses an authorization response naming another issuer, before its code is redeemed', async () => {
    const as = await authServer({ issSupported: true, issInRedirect: 'wrong' });
    const sb = await start(await guarded(() => as));
    const status = sb.getServer('remote')!;
    expect(status.state).toBe('error');
    expect(status.lastError).toMatchObject({ code: 'AuthRequired', message: expect.stringContaining('refused the authorization response: it names the issuer "https://evil.example.test"') });
    expect(as.tokenRequests).toEqual([]);
    for (const secret of as.issued) expect(JSON.stringify(status)).not.toContain(secret);
  });
});
