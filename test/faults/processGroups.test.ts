import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { isAlive, markedProcesses, waitGone, waitMarked, waitUnmarked } from '../helpers/processes.js';
import { FAST, RAW_FIXTURE, until } from '../helpers/switchboard.js';

const WRAPPER = fileURLToPath(new URL('../fixtures/wrapper.mjs', import.meta.url));

/**
 * Every way a stdio session ends takes its whole process group with it: an `npx`-style wrapper
 * (test/fixtures/wrapper.mjs) leaves a helper and the real server behind if only the direct child
 * is stopped. Processes are found in /proc by a marker on their command lines.
 */
describe('stdio process groups', () => {
  let sb: Switchboard | undefined;
  let sequence = 0;
  /** No retry within a test: a second attempt would start a new tree with the same marker. */
  const NO_RETRY = { ...FAST, reconnect: { baseMs: 60_000, minMs: 60_000, maxMs: 60_000 } };

  /** A wrapped raw server; `delayMs` is how long the wrapper takes before it starts the server. */
  const wrapped = (delayMs: number, modes: string[] = []) => {
    const marker = `pg-${process.pid}-${++sequence}`;
    const config = { transport: 'stdio', command: process.execPath, args: [WRAPPER, marker, String(delayMs), RAW_FIXTURE, ...modes] };
    return { marker, config };
  };
  const open = (config: Record<string, unknown>, defaults: Record<string, unknown> = NO_RETRY) => {
    sb = createSwitchboard({ servers: { raw: config as never }, defaults: defaults as never });
    return sb;
  };

  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
  });

  it('kills the group of a connect that times out', async () => {
    const { marker, config } = wrapped(0, ['hang-init']);
    const s = open(config, { ...NO_RETRY, timeouts: { ...FAST.timeouts, connectMs: 600 } });
    const started = s.start();
    await waitMarked(marker, 3);
    await started;
    expect(s.getServer('raw')).toMatchObject({ state: 'disconnected', lastError: { code: 'ConnectTimeout' } });
    expect(await waitUnmarked(marker, 5_000)).toEqual([]);
  });

  it('has killed the group when stop() returns during the wrapper start', async () => {
    const { marker, config } = wrapped(60_000);
    const s = open(config);
    void s.start();
    await waitMarked(marker, 2);
    await s.stop();
    expect(markedProcesses(marker)).toEqual([]);
  });

  it('has killed the group when stop() returns during initialize', async () => {
    const { marker, config } = wrapped(0, ['hang-init']);
    const s = open(config, { ...NO_RETRY, timeouts: { ...FAST.timeouts, connectMs: 20_000 } });
    void s.start();
    await waitMarked(marker, 3);
    await s.stop();
    expect(markedProcesses(marker)).toEqual([]);
  });

  it('has killed the group when stop() returns during the tool listing', async () => {
    const { marker, config } = wrapped(0, ['list-hang']);
    const s = open(config, { ...NO_RETRY, timeouts: { ...FAST.timeouts, connectMs: 20_000 } });
    void s.start();
    await until(() => s.getServer('raw')!.stderrTail.includes('LISTING'), 10_000, 'the tools/list request');
    expect(markedProcesses(marker)).toHaveLength(3);
    await s.stop();
    expect(markedProcesses(marker)).toEqual([]);
  });

  it('kills the old group when reconnect() interrupts a connect', async () => {
    const { marker, config } = wrapped(0, ['hang-init']);
    const s = open(config, { ...NO_RETRY, timeouts: { ...FAST.timeouts, connectMs: 20_000 } });
    void s.start();
    const first = await waitMarked(marker, 3);
    s.reconnect('raw');
    for (const pid of first) expect(await waitGone(pid, 5_000)).toBe(true);
    const second = await waitMarked(marker, 3);
    expect(second.some((pid) => first.includes(pid))).toBe(false);
    await s.stop();
    expect(markedProcesses(marker)).toEqual([]);
  });

  for (const mode of ['init-error', 'badversion']) {
    it(`kills the group when initialize fails (${mode})`, async () => {
      const { marker, config } = wrapped(0, [mode]);
      const s = open(config);
      const started = s.start();
      await waitMarked(marker, 3);
      await started;
      expect(s.getServer('raw')!.lastError).toBeDefined();
      expect(await waitUnmarked(marker, 5_000)).toEqual([]);
    });
  }

  it('kills what is left of the group after the server crashes', async () => {
    const { marker, config } = wrapped(0);
    const s = open(config);
    await s.start();
    expect(markedProcesses(marker)).toHaveLength(3);
    await expect(s.callTool('do', { mode: 'crash' })).rejects.toMatchObject({ code: 'ConnectionLost' });
    // The wrapper follows its server out; its helper is the leftover only a group kill reaches.
    expect(await waitUnmarked(marker, 5_000)).toEqual([]);
  });

  it('kills the group on an idle stop', async () => {
    const { marker, config } = wrapped(0);
    const s = open(config, { ...NO_RETRY, limits: { idleTimeoutMs: 300 } });
    await s.start();
    await s.callTool('do');
    await until(() => s.getServer('raw')!.state === 'disconnected', 5_000, 'the idle stop');
    expect(await waitUnmarked(marker, 5_000)).toEqual([]);
  });

  it('has killed the group when stop() or removeServer() returns on a connected server', async () => {
    const one = wrapped(0);
    const two = wrapped(0);
    sb = createSwitchboard({ servers: { one: one.config as never, two: two.config as never }, defaults: NO_RETRY as never });
    await sb.start();
    const pids = [...markedProcesses(one.marker), ...markedProcesses(two.marker)];
    expect(pids).toHaveLength(6);
    await sb.removeServer('one');
    expect(markedProcesses(one.marker)).toEqual([]);
    expect(markedProcesses(two.marker)).toHaveLength(3);
    await sb.stop();
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
