import { afterEach, describe, expect, it } from 'vitest';
import { createAdminApp } from '../../src/server/app.js';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { FAST, inMemoryServer, stdioServer, until } from '../helpers/switchboard.js';

/**
 * The admin API shows each server's protocol (DESIGN §7, §15): `/mcp/servers` and
 * `/mcp/servers/:name` as `getServer()` does, and `/mcp/events` relays `server.stateChanged` to
 * `connected` with it.
 */

const TOKEN = 'protocol-routes-token-0123456789';
const LEGACY = { era: 'legacy', version: '2025-11-25' };
const lifecycle = { accepting: () => true, ready: () => true, begin: () => undefined, end: () => undefined };
const headers = { host: 'localhost', authorization: `Bearer ${TOKEN}` };

type Status = { name: string; state: string; protocol?: unknown };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function adminOf(servers: Record<string, unknown>): Promise<{ sb: Switchboard; app: ReturnType<typeof createAdminApp>['app'] }> {
  const sb = createSwitchboard({ servers, defaults: FAST } as never, { transports: { mem: inMemoryServer('mem') } });
  cleanups.push(() => sb.stop());
  await sb.start();
  const { app, close } = createAdminApp(sb, { token: TOKEN, allowedHosts: ['localhost'], redact: (t) => t, lifecycle });
  cleanups.push(close);
  return { sb, app };
}

describe('admin API: protocol', () => {
  it('lists the protocol of each connected server on /mcp/servers and /mcp/servers/:name, and no key for one never connected', async () => {
    const { app } = await adminOf({ files: stdioServer('files'), off: stdioServer('off', undefined, { enabled: false }) });
    const response = await app.request('/mcp/servers', { headers });
    expect(response.status).toBe(200);
    const { servers } = (await response.json()) as { servers: Status[] };
    const byName = Object.fromEntries(servers.map((s) => [s.name, s]));
    expect(byName.files).toMatchObject({ state: 'connected', protocol: LEGACY });
    expect(byName.mem).toMatchObject({ state: 'connected', protocol: LEGACY });
    expect(Object.hasOwn(byName.off!, 'protocol')).toBe(false);

    const one = (await (await app.request('/mcp/servers/files', { headers })).json()) as Status;
    expect(one.protocol).toEqual(LEGACY);
    const off = (await (await app.request('/mcp/servers/off', { headers })).json()) as Status;
    expect(Object.hasOwn(off, 'protocol')).toBe(false);
  });

  it('streams server.stateChanged to connected with the protocol on /mcp/events', async () => {
    const { sb, app } = await adminOf({});
    const response = await app.request('/mcp/events', { headers });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    cleanups.push(() => reader.cancel().catch(() => undefined));
    let seen = '';
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
        if (done) return;
        seen += Buffer.from(value).toString();
      }
    })();
    await until(() => seen.includes('event: ready'), 5_000, 'the stream to open');
    sb.reconnect('mem');
    const connected = () =>
      seen
        .split('\n\n')
        .filter((block) => block.startsWith('event: server.stateChanged\n'))
        .map((block) => JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as { to: string; protocol?: unknown })
        .filter((event) => event.to === 'connected');
    await until(() => connected().length > 0, 10_000, 'mem to reconnect');
    expect(connected()[0]!.protocol).toEqual(LEGACY);
  });
});
