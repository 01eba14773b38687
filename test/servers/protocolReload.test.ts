import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { diffServers, type RegisteredServer } from '../../src/servers/index.js';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { fixturePid, waitGone } from '../helpers/processes.js';
import { stdioServer, until } from '../helpers/switchboard.js';

/**
 * A reload that changes only `protocol` (a server's own or the one it inherits from `defaults`)
 * changes that server (DESIGN §13, §15): it reconnects, and whatever era was remembered for it
 * is forgotten with its record.
 */

/** The running side of a diff: the servers of a config, as their records present them. */
const running = (raw: unknown): RegisteredServer[] =>
  Object.values(resolveConfig(raw).servers).map((config) => ({ name: config.name, config }) as unknown as RegisteredServer);

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

describe('reload: protocol', () => {
  it('counts a server whose protocol alone changed as changed, and an equal one as unchanged', () => {
    const before = { servers: { a: { command: 'x', protocol: '2025-11-25' }, b: { command: 'x' }, c: { command: 'x', protocol: 'auto' } } };
    const after = { servers: { a: { command: 'x', protocol: '2026-07-28' }, b: { command: 'x', protocol: 'auto' }, c: { command: 'x' } } };
    // `b` and `c` resolve to `auto` either way: written or defaulted is the same config.
    expect(diffServers(running(before), resolveConfig(after).servers)).toEqual({ added: [], removed: [], changed: ['a'], unchanged: ['b', 'c'] });
  });

  it('counts a change of defaults.protocol as a change of every server that inherits it', () => {
    const before = { servers: { inherits: { command: 'x' }, pinned: { command: 'x', protocol: '2026-07-28' } } };
    const after = { ...before, defaults: { protocol: '2025-11-25' } };
    expect(diffServers(running(before), resolveConfig(after).servers)).toEqual({ added: [], removed: [], changed: ['inherits'], unchanged: ['pinned'] });
    const mcp = { mcpServers: { files: { command: 'x', protocol: '2025-11-25' } } };
    expect(diffServers(running(mcp), resolveConfig({ mcpServers: { files: { command: 'x' } } }).servers).changed).toEqual(['files']);
  });

  it('restarts a stdio server whose protocol changed in a reload and leaves the others running', async () => {
    const servers = { moved: stdioServer('moved', undefined, { protocol: '2025-11-25' }), kept: stdioServer('kept') };
    const sb = createSwitchboard({ servers, defaults: { health: { intervalMs: 0 }, timeouts: { shutdownMs: 1000 } } });
    boards.push(sb);
    await sb.start();
    const movedPid = fixturePid(sb.getServer('moved')!.stderrTail);
    const keptPid = fixturePid(sb.getServer('kept')!.stderrTail);

    const result = await sb.reload({ servers: { ...servers, moved: { ...servers.moved, protocol: 'auto' } }, defaults: { health: { intervalMs: 0 }, timeouts: { shutdownMs: 1000 } } });
    expect(result).toEqual({ added: [], removed: [], changed: ['moved'], unchanged: ['kept'] });
    expect(await waitGone(movedPid)).toBe(true);
    await until(() => sb.getServer('moved')?.state === 'connected', 10_000, 'moved to reconnect');
    expect(fixturePid(sb.getServer('moved')!.stderrTail)).not.toBe(movedPid);
    expect(fixturePid(sb.getServer('kept')!.stderrTail)).toBe(keptPid);
    expect(sb.getServer('kept')!.reconnects).toBe(0);
  });
});
