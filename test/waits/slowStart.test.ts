import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import type { ServerStateChanged } from '../../machines/serverConnection.js';
import { STDIO_FIXTURE, until } from '../helpers/switchboard.js';
import { V2_SERVER_ENTRY } from '../helpers/v2Servers.js';

/**
 * Slow first starts (issue 22) with real children: a stdio server that keeps writing to stderr
 * while it starts (npx downloading, a banner) is not dead, and gets `timeouts.connectMs` after its
 * last output, up to 3 × connectMs in all; a silent one still times out at connectMs; and a modern
 * server slower to start than the era probe's silence window (at most 5 s) still goes modern on
 * the process it started. Times are measured on the real clock (the children run in real time);
 * the exact arithmetic is the machine's, tested on the simulated clock in test/machines.
 */

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

/** A shell child: `script`, then (when given) the stdio fixture in its place. */
function shell(script: string) {
  return { transport: 'stdio' as const, command: 'sh', args: ['-c', script] };
}

/** Prints a line to stderr every 300 ms, `lines` times (forever without). */
const chatter = (lines?: number) =>
  lines === undefined
    ? 'while true; do echo "still downloading" >&2; sleep 0.3; done'
    : `i=0; while [ $i -lt ${lines} ]; do echo "downloading $i" >&2; i=$((i+1)); sleep 0.3; done`;

/** One server `s` with a 1 s connect deadline and one attempt: its first connect decides. */
async function firstConnect(server: Record<string, unknown>, connectMs = 1_000) {
  const sb = createSwitchboard({
    servers: { s: server as never },
    defaults: { timeouts: { connectMs }, reconnect: { maxAttempts: 1 }, health: { intervalMs: 0 } },
  });
  boards.push(sb);
  const changes: (ServerStateChanged & { ms: number })[] = [];
  const begun = Date.now();
  sb.on('server.stateChanged', (e) => changes.push({ ...e, ms: Date.now() - begun }));
  await sb.start();
  return { sb, changes };
}

describe('a stdio server slower to start than connectMs', () => {
  it('connects when it keeps writing to stderr meanwhile (2.1 s of output, connectMs 1 s)', async () => {
    const { sb, changes } = await firstConnect(shell(`${chatter(7)}; exec "${process.execPath}" "${STDIO_FIXTURE}" lively`));
    expect(changes.map((c) => c.reason)).toEqual(['start', 'ready']);
    expect(sb.getServer('s')).toMatchObject({ state: 'connected', lastError: null });
    // It really needed longer than connectMs.
    expect(changes.at(-1)!.ms).toBeGreaterThan(2_000);
    expect(sb.listTools('s').map((t) => t.name)).toContain('echo');
    expect(sb.getServer('s')!.stderrTail).toContain('downloading 6');
  });

  it('times out at connectMs when it writes nothing and hangs', async () => {
    const { sb, changes } = await firstConnect(shell('exec sleep 30'));
    expect(sb.getServer('s')).toMatchObject({ state: 'error', lastError: { code: 'ConnectTimeout' } });
    const timedOut = changes.find((c) => c.to === 'error')!;
    expect(timedOut.ms).toBeGreaterThanOrEqual(950);
    expect(timedOut.ms).toBeLessThan(1_900);
  });

  it('is cut at 3 × connectMs however long it keeps writing', async () => {
    const { sb, changes } = await firstConnect(shell(chatter()));
    expect(sb.getServer('s')).toMatchObject({ state: 'error', lastError: { code: 'ConnectTimeout' } });
    const timedOut = changes.find((c) => c.to === 'error')!;
    expect(timedOut.ms).toBeGreaterThanOrEqual(2_950);
    expect(timedOut.ms).toBeLessThan(4_500);
  });
});

describe('protocol auto and a modern server slower to start than the 5 s silence window', () => {
  it('goes modern on the process it started (its late server/discover answer is kept)', async () => {
    // connectMs 20 s: half would be 10 s of silence before initialize; the window is 5 s.
    const { sb, changes } = await firstConnect(shell(`sleep 6; exec "${process.execPath}" "${V2_SERVER_ENTRY}" s --modern-only`), 20_000);
    expect(changes.map((c) => c.reason)).toEqual(['start', 'ready']);
    expect(sb.getServer('s')).toMatchObject({ state: 'connected', protocol: { era: 'modern' } });
    expect(sb.getServer('s')!.stderrTail.match(/ pid \d+ up/g)).toHaveLength(1);
    expect(changes.at(-1)!.ms).toBeGreaterThan(6_000);
  }, 30_000);
});

describe('an mcpServers-style stdio server without a connect deadline of its own', () => {
  it('gets the 60 s stdio default, so a cold npx -y start fits', async () => {
    const sb = createSwitchboard({ mcpServers: { s: { command: process.execPath, args: [STDIO_FIXTURE, 's'] } } } as never);
    boards.push(sb);
    await sb.start();
    await until(() => sb.getServer('s')?.state === 'connected', 10_000, 'connected');
    // The machine's deadline is the stdio default (DESIGN §18): the inspector shows it in context.
    const connection = sb.actor.system.get('server:s');
    expect(connection.getSnapshot().context.policy.connectTimeoutMs).toBe(60_000);
  });
});
