import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard, type SwitchboardEvent, type SwitchboardInput } from '../../src/index.js';
import { fixturePid, isAlive } from '../helpers/processes.js';
import { stdioServer, until } from '../helpers/switchboard.js';

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

const defaults = { health: { intervalMs: 0 }, timeouts: { shutdownMs: 2_000 } };

/** Configs built in tests (some invalid on purpose) are checked at run time, not by the type. */
function config(servers: Record<string, unknown>, extra: Record<string, unknown> = {}): SwitchboardInput {
  return { servers, defaults, ...extra } as SwitchboardInput;
}

async function started(servers: Record<string, unknown>) {
  const sb = createSwitchboard(config(servers));
  boards.push(sb);
  const events: SwitchboardEvent[] = [];
  for (const type of ['config.reloaded', 'config.rejected', 'server.stateChanged'] as const) sb.on(type, (e: SwitchboardEvent) => events.push(e));
  await sb.start();
  return { sb, events };
}

const pidOf = (sb: Switchboard, name: string) => fixturePid(sb.getServer(name)!.stderrTail);

describe('config reload', () => {
  it('keeps an unchanged server untouched, restarts a changed one, starts an added one and stops a removed one', async () => {
    const { sb, events } = await started({ same: stdioServer('same'), edited: stdioServer('edited'), gone: stdioServer('gone') });
    for (let i = 0; i < 3; i++) await sb.callTool('echo', { text: 'x' }, { server: 'same' });
    await until(() => sb.getServer('same')!.breaker!.bufferedCalls === 3, 5_000, 'outcomes recorded');
    const pids = { same: pidOf(sb, 'same'), edited: pidOf(sb, 'edited'), gone: pidOf(sb, 'gone') };
    const connectedAt = sb.getServer('same')!.connectedAt;

    const result = await sb.reload(config({ same: stdioServer('same'), edited: stdioServer('edited', undefined, { env: { EXTRA: '1' } }), fresh: stdioServer('fresh') }));

    expect(result).toEqual({ added: ['fresh'], removed: ['gone'], changed: ['edited'], unchanged: ['same'] });
    expect(events.filter((e) => e.type === 'config.reloaded')).toEqual([{ type: 'config.reloaded', ...result }]);
    // Unchanged: same process, same session, same breaker window, no state change at all.
    expect(pidOf(sb, 'same')).toBe(pids.same);
    expect(sb.getServer('same')).toMatchObject({ state: 'connected', connectedAt, reconnects: 0, breaker: { bufferedCalls: 3 } });
    expect(events.some((e) => e.type === 'server.stateChanged' && e.server === 'same' && e.reason !== 'start' && e.reason !== 'ready')).toBe(false);
    // Removed: its process is gone when reload() resolves, and it is forgotten.
    expect(isAlive(pids.gone)).toBe(false);
    expect(sb.getServer('gone')).toBeUndefined();
    expect(isAlive(pids.edited)).toBe(false);
    await until(() => sb.getServer('edited')?.state === 'connected' && sb.getServer('fresh')?.state === 'connected', 10_000, 'edited and fresh to connect');
    expect(pidOf(sb, 'edited')).not.toBe(pids.edited);
    expect((await sb.callTool('env', { key: 'EXTRA' }, { server: 'edited' })).content).toEqual([{ type: 'text', text: '1' }]);
    expect((await sb.callTool('whoami', {}, { server: 'fresh' })).content).toEqual([{ type: 'text', text: 'fresh' }]);
    await expect(sb.callTool('whoami', {}, { server: 'gone' })).rejects.toMatchObject({ code: 'ServerNotFound' });
  });

  it('refuses a bad config with ConfigError and config.rejected, and changes nothing', async () => {
    const { sb, events } = await started({ a: stdioServer('a') });
    const pid = pidOf(sb, 'a');
    await expect(sb.reload(config({ a: stdioServer('a'), b: { transport: 'stdio' } }))).rejects.toMatchObject({ code: 'ConfigError' });
    const rejected = events.filter((e) => e.type === 'config.rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ issues: [expect.objectContaining({ path: 'servers.b.command' })] });
    expect(events.some((e) => e.type === 'config.reloaded')).toBe(false);
    expect(sb.listServers().map((s) => s.name)).toEqual(['a']);
    expect(pidOf(sb, 'a')).toBe(pid);
    expect(sb.getServer('a')!.state).toBe('connected');
  });

  it('lets a call in flight on a changed server finish within shutdownMs, and stops a longer one', async () => {
    const { sb } = await started({ busy: stdioServer('busy') });
    const quick = sb.callTool('slow', { ms: 200 }, { server: 'busy' });
    const long = sb.callTool('slow', { ms: 20_000 }, { server: 'busy', timeoutMs: 30_000 });
    const reloading = sb.reload(config({ busy: stdioServer('busy', undefined, { env: { V: '2' } }) }, { defaults: { ...defaults, timeouts: { shutdownMs: 1_000 } } }));
    await expect(quick).resolves.toMatchObject({ content: [{ type: 'text', text: 'slept 200' }] });
    await expect(long).rejects.toMatchObject({ code: 'Stopped' });
    expect((await reloading).changed).toEqual(['busy']);
  });

  it('reloads from a config file, and applies new defaults to servers added later', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-reload-'));
    try {
      const file = join(dir, 'switchboard.json');
      writeFileSync(file, JSON.stringify(config({ a: stdioServer('a') })));
      const sb = createSwitchboard({ configPath: file });
      boards.push(sb);
      await sb.start();
      writeFileSync(file, JSON.stringify({ servers: { a: stdioServer('a') }, defaults: { ...defaults, timeouts: { callMs: 1234 } } }));
      const result = await sb.reload({ configPath: file });
      expect(result.changed).toEqual(['a']);
      sb.addServer('b', stdioServer('b'));
      expect(sb.getServer('b')).toBeDefined();
      await until(() => sb.getServer('b')!.state === 'connected', 10_000, 'b to connect');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
