import { afterEach, describe, expect, it } from 'vitest';
import type { EventOf } from '../../src/events/index.js';
import type { ServerStatus } from '../../src/servers/index.js';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { fixturePid, waitGone } from '../helpers/processes.js';
import { FAST, inMemoryServer, stdioServer, until } from '../helpers/switchboard.js';

/**
 * The era shown (DESIGN §15): `protocol: { era, version }` in `getServer()`/`listServers()` once a
 * session negotiated it, and on `server.stateChanged` to `connected`; absent (no key, not null
 * fields) while a server never connected. Legacy servers here; the modern era is the lead's
 * integration tests'.
 */

const LEGACY = { era: 'legacy', version: '2025-11-25' } as const;

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

function board(servers: Record<string, unknown>, transports: Record<string, ReturnType<typeof inMemoryServer>> = {}): Switchboard {
  const sb = createSwitchboard({ servers, defaults: { ...FAST, reconnect: { ...FAST.reconnect, maxAttempts: 1 } } } as never, { transports });
  boards.push(sb);
  return sb;
}

describe('protocol shown by getServer and listServers', () => {
  it('shows the legacy era and the negotiated version of a connected stdio, configured and custom server', async () => {
    const sb = board({ files: stdioServer('files'), pinned: stdioServer('pinned', undefined, { protocol: '2025-11-25' }) }, { mem: inMemoryServer('mem') });
    await sb.start();
    for (const name of ['files', 'pinned', 'mem']) expect(sb.getServer(name)).toMatchObject({ state: 'connected', protocol: LEGACY });
    expect(sb.listServers().map((s) => [s.name, s.protocol])).toEqual([['files', LEGACY], ['pinned', LEGACY], ['mem', LEGACY]]);
    // Plain JSON, as the admin API sends it.
    expect(JSON.parse(JSON.stringify(sb.getServer('files'))).protocol).toEqual(LEGACY);
  });

  it('has no protocol key on a server that never connected (disabled, failing, or before start) while a connected one has it', async () => {
    const sb = board({
      off: stdioServer('off', undefined, { enabled: false }),
      missing: { transport: 'stdio', command: '/nonexistent/mcp-server-binary' },
      files: stdioServer('files'),
    });
    const before: ServerStatus = sb.getServer('files')!;
    expect(Object.hasOwn(before, 'protocol')).toBe(false);
    await sb.start();
    expect(sb.getServer('files')!.protocol).toEqual(LEGACY);
    for (const name of ['off', 'missing']) {
      const status = sb.getServer(name)!;
      expect(status.state).not.toBe('connected');
      expect(Object.hasOwn(status, 'protocol')).toBe(false);
      expect(Object.hasOwn(JSON.parse(JSON.stringify(status)), 'protocol')).toBe(false);
    }
  });

  it('shows the protocol again after a reconnect to a new process', async () => {
    const sb = board({ files: stdioServer('files', undefined, { reconnect: { ...FAST.reconnect, maxAttempts: 0 } }) });
    await sb.start();
    const pid = fixturePid(sb.getServer('files')!.stderrTail);
    process.kill(pid, 'SIGKILL');
    expect(await waitGone(pid)).toBe(true);
    await until(() => sb.getServer('files')!.reconnects === 1 && sb.getServer('files')!.state === 'connected', 10_000, 'files to reconnect');
    expect(sb.getServer('files')!.protocol).toEqual(LEGACY);
  });
});

describe('protocol on server.stateChanged', () => {
  it('carries the session’s protocol on every transition to connected and on no other', async () => {
    const sb = board({ files: stdioServer('files', undefined, { reconnect: { ...FAST.reconnect, maxAttempts: 0 } }) }, { mem: inMemoryServer('mem') });
    const events: EventOf<'server.stateChanged'>[] = [];
    sb.on('server.stateChanged', (event) => events.push(event));
    await sb.start();
    const pid = fixturePid(sb.getServer('files')!.stderrTail);
    process.kill(pid, 'SIGKILL');
    await until(() => events.filter((e) => e.server === 'files' && e.to === 'connected').length === 2, 10_000, 'files to reconnect');

    const connected = events.filter((e) => e.to === 'connected');
    expect(connected.map((e) => [e.server, e.protocol])).toEqual(expect.arrayContaining([['files', LEGACY], ['mem', LEGACY]]));
    expect(connected).toHaveLength(3);
    for (const event of events.filter((e) => e.to !== 'connected')) expect(Object.hasOwn(event, 'protocol'), `${event.from} -> ${event.to}`).toBe(false);
    expect(events.some((e) => e.server === 'files' && e.to === 'disconnected')).toBe(true);
  });

  it('writes the protocol into the logger’s state-change line fields', async () => {
    const lines: { message: string; fields: Record<string, unknown> }[] = [];
    const sb = createSwitchboard({ servers: {}, defaults: FAST }, { transports: { mem: inMemoryServer('mem') }, logger: { log: (_level, message, fields) => lines.push({ message, fields: fields ?? {} }) } });
    boards.push(sb);
    await sb.start();
    expect(lines.find((line) => line.message.includes('-> connected'))?.fields.protocol).toEqual(LEGACY);
  });
});
