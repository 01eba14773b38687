import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { memoryTokenStore } from '../../src/auth/index.js';
import { startV2HttpServer } from '../helpers/v2Servers.js';
import { responseFromRedirect } from '../auth/harness.js';
import { startAuthServer, startResourceServer } from '../auth/servers.js';

/** R3-1 probe: OAuth under protocol auto (the 401 lands on the era probe itself). */

const open: { close(): Promise<void> }[] = [];
const sbs: Switchboard[] = [];
afterEach(async () => {
  for (const sb of sbs.splice(0)) await sb.stop();
  for (const server of open.splice(0).reverse()) await server.close();
});

describe.each([
  { era: 'modern', modernOnly: true },
  { era: 'legacy', modernOnly: false },
] as const)('OAuth + auto, $era server', ({ era, modernOnly }) => {
  async function setup(scopesFor?: (method: string) => string[], stingy = false) {
    const as = await startAuthServer({ issSupported: true, issInRedirect: 'correct' });
    open.push(as);
    // legacy: the resource server's own v1 demo tools (a 2025-11-25-only server)
    const upstream = modernOnly ? await startV2HttpServer('guarded', { modernOnly }) : undefined;
    if (upstream) open.push(upstream);
    const rs = await startResourceServer(as, { authServer: () => as.url, ...(upstream ? { upstream: upstream.url } : {}), ...(scopesFor ? { scopesFor } : {}), ...(stingy ? { validTokens: () => new Map([...as.tokens].map(([k, v]) => [k, v.filter((s) => s !== 'admin')])) } : {}) });
    open.push(rs);
    return { as, upstream, rs };
  }

  it('consents once, retries the probe with the token, lands in the right era; reconnect reuses the token', async () => {
    const { as, rs } = await setup();
    const store = memoryTokenStore();
    let consents = 0;
    const events: string[] = [];
    const sb = createSwitchboard(
      { servers: { remote: { transport: 'http', url: rs.url, protocol: 'auto', reconnect: { maxAttempts: 1 }, health: { intervalMs: 0 }, auth: { type: 'oauth' } } } },
      { authorize: async (r) => { consents++; return responseFromRedirect(r); }, tokenStore: store },
    );
    sbs.push(sb);
    for (const type of ['server.stateChanged', 'server.log', 'error', 'call.completed'] as const) sb.on(type, (e: unknown) => events.push(JSON.stringify(e)));
    await sb.start();
    const status = sb.getServer('remote')!;
    expect(status).toMatchObject({ state: 'connected', protocol: { era } });
    expect(consents).toBe(1);
    const r = await sb.callTool('echo', { text: 'hi' }, { server: 'remote' });
    expect(r.content).toEqual([{ type: 'text', text: 'hi' }]);
    // a second switchboard on the same store: no consent
    const sb2 = createSwitchboard(
      { servers: { remote: { transport: 'http', url: rs.url, protocol: 'auto', reconnect: { maxAttempts: 1 }, health: { intervalMs: 0 }, auth: { type: 'oauth' } } } },
      { authorize: async (r) => { consents++; return responseFromRedirect(r); }, tokenStore: store },
    );
    sbs.push(sb2);
    await sb2.start();
    expect(sb2.getServer('remote')).toMatchObject({ state: 'connected', protocol: { era } });
    expect(consents).toBe(1);
    // revoke: the next call gets 401; refresh, no consent
    as.revokeAccessTokens();
    const r2 = await sb.callTool('echo', { text: 'again' }, { server: 'remote' });
    expect(r2.content).toEqual([{ type: 'text', text: 'again' }]);
    expect(consents).toBe(1);
    expect(events.length).toBeGreaterThan(0);
    for (const secret of as.issued) expect(events.join('\n') + JSON.stringify(sb.listServers())).not.toContain(secret);
  });

  it.each([false, true])('403 insufficient_scope on the probe (scope never granted: %s)', async (stingyFlag) => {
    const { as, rs } = await setup((m) => (m === 'server/discover' || m === 'initialize' ? ['admin'] : []), stingyFlag);
    let consents = 0;
    const sb = createSwitchboard(
      { servers: { remote: { transport: 'http', url: rs.url, protocol: 'auto', reconnect: { maxAttempts: 1 }, health: { intervalMs: 0 }, auth: { type: 'oauth' } } } },
      { authorize: async (r) => { consents++; return responseFromRedirect(r); }, tokenStore: 'memory' },
    );
    sbs.push(sb);
    await sb.start();
    const status = sb.getServer('remote')!;
    // A scope the server grants is stepped up to once; one it never grants ends in AuthRequired, non-retryable.
    if (stingyFlag) expect(status).toMatchObject({ state: 'error', lastError: { code: 'AuthRequired', retryable: false } });
    else expect(status).toMatchObject({ state: 'connected', protocol: { era } });
    expect(consents).toBe(2);
    expect(as.authorizeRequests.map((q) => q.get('scope'))).toEqual([null, 'admin']);
  });
});

describe('OAuth + auto: consent slower than connectMs', () => {
  it.each(['auto', '2025-11-25', '2026-07-28'] as const)('protocol %s', async (protocol) => {
    const as = await startAuthServer({ issSupported: true, issInRedirect: 'correct' });
    open.push(as);
    const upstream = await startV2HttpServer('guarded', { modernOnly: protocol !== '2025-11-25' });
    open.push(upstream);
    const rs = await startResourceServer(as, { authServer: () => as.url, upstream: upstream.url });
    open.push(rs);
    let consents = 0;
    const sb = createSwitchboard(
      { servers: { remote: { transport: 'http', url: rs.url, protocol, timeouts: { connectMs: 1000 }, reconnect: { maxAttempts: 1 }, health: { intervalMs: 0 }, auth: { type: 'oauth' } } } },
      // The consent takes 2.5 times connectMs; the connect after it still has connectMs of its own
      // (1 s, not less: the full suite's load must not make that part alone time out).
      { authorize: async (r) => { consents++; await new Promise((res) => setTimeout(res, 2500)); return responseFromRedirect(r); }, tokenStore: 'memory' },
    );
    sbs.push(sb);
    await sb.start();
    const status = sb.getServer('remote')!;
    expect(status.state).toBe('connected');
  });
});

describe.each([{ era: 'modern', modernOnly: true }, { era: 'legacy', modernOnly: false }] as const)('OAuth + auto, step-up on a call, $era', ({ era, modernOnly }) => {
  it('a 403 insufficient_scope on tools/call re-authorizes once and the call succeeds', async () => {
    const as = await startAuthServer({ issSupported: true, issInRedirect: 'correct' });
    open.push(as);
    const upstream = modernOnly ? await startV2HttpServer('guarded', { modernOnly }) : undefined;
    if (upstream) open.push(upstream);
    const rs = await startResourceServer(as, { authServer: () => as.url, ...(upstream ? { upstream: upstream.url } : {}), scopesFor: (m) => (m === 'tools/call' ? ['admin'] : []) });
    open.push(rs);
    let consents = 0;
    const sb = createSwitchboard(
      { servers: { remote: { transport: 'http', url: rs.url, protocol: 'auto', reconnect: { maxAttempts: 1 }, health: { intervalMs: 0 }, auth: { type: 'oauth' } } } },
      { authorize: async (r) => { consents++; return responseFromRedirect(r); }, tokenStore: 'memory' },
    );
    sbs.push(sb);
    await sb.start();
    expect(sb.getServer('remote')).toMatchObject({ state: 'connected', protocol: { era } });
    const r = await sb.callTool('echo', { text: 'scoped' }, { server: 'remote' }).catch((e: Error) => e);
    expect(r).toMatchObject({ content: [{ type: 'text', text: 'scoped' }] });
    expect(consents).toBe(2);
  });
});
