import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { fixturePid, waitGone } from '../helpers/processes.js';
import { FAST, recordEvents, until } from '../helpers/switchboard.js';

/**
 * A stdio server whose pipes break while it keeps running (src/protocol/v1/transports/stdio.ts):
 * stdout ended or stdin broken ends the session at once, as a crash does, instead of leaving its
 * calls to their deadline with the process still up.
 */

const PIPES = fileURLToPath(new URL('../fixtures/pipesServer.mjs', import.meta.url));
/** Long enough that waiting for it is told apart from ending at once with room to spare. */
const CALL_MS = 20_000;
const CONNECT_MS = 20_000;

/** The pid the running server announced (stderr is a pipe of its own: wait for the line). */
async function announcedPid(s: Switchboard): Promise<number> {
  await until(() => /pipes pid \d+ up/.test(s.getServer('pipes')!.stderrTail), 10_000, 'the pid on stderr');
  return fixturePid(s.getServer('pipes')!.stderrTail);
}

describe('stdio servers whose pipes break', () => {
  let sb: Switchboard | undefined;
  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
  });

  const open = (modes: string[] = [], reconnect: Record<string, number> = FAST.reconnect) => {
    sb = createSwitchboard({
      servers: { pipes: { transport: 'stdio', command: process.execPath, args: [PIPES, ...modes] } },
      defaults: { ...FAST, reconnect, timeouts: { ...FAST.timeouts, callMs: CALL_MS, connectMs: CONNECT_MS } },
    });
    return sb;
  };

  const timed = async (promise: Promise<unknown>) => {
    const started = Date.now();
    const code = await promise.then(
      () => 'ok',
      (error: { code?: string }) => error.code,
    );
    return { code, ms: Date.now() - started };
  };

  it('fails the call at once when the server closes its stdout and keeps running, kills its group and reconnects', async () => {
    const s = open();
    await s.start();
    const pid = await announcedPid(s);
    const outcome = await timed(s.callTool('do', { mode: 'close-stdout' }));
    expect(outcome.code).toBe('ConnectionLost');
    expect(outcome.ms).toBeLessThan(CALL_MS / 2);
    expect(await waitGone(pid)).toBe(true);
    await until(() => s.getServer('pipes')!.state === 'connected' && fixturePid(s.getServer('pipes')!.stderrTail) !== pid, 10_000, 'reconnect');
    await expect(s.callTool('do')).resolves.toMatchObject({ content: [{ type: 'text', text: 'ok' }] });
  });

  it('replays a read-only call cut off by a closed stdout on the new session (the usual replay rules)', async () => {
    const s = open();
    await s.start();
    const pid = await announcedPid(s);
    // `read` is annotated read-only (default replay: annotated): cut off by the lost session, it is
    // sent once more after the reconnect, where the new process closes its stdout too; then it settles.
    const outcome = await timed(s.callTool('read', { mode: 'close-stdout' }));
    expect(outcome.code).toBe('ConnectionLost');
    expect(outcome.ms).toBeLessThan(CALL_MS / 2);
    // stderr is a pipe of its own: its lines may arrive after the call settled.
    await until(() => (s.getServer('pipes')!.stderrTail.match(/CALLED close-stdout/g)?.length ?? 0) >= 2, 10_000, 'the replay on stderr');
    expect(s.getServer('pipes')!.stderrTail.match(/CALLED close-stdout/g)?.length).toBe(2);
    expect(await waitGone(pid)).toBe(true);
  });

  it('fails the next call at once when the server closed its stdin (EPIPE), kills it and reconnects', async () => {
    const s = open();
    await s.start();
    const pid = await announcedPid(s);
    await expect(s.callTool('do', { mode: 'close-stdin' })).resolves.toMatchObject({ content: [{ text: 'closing stdin' }] });
    const outcome = await timed(s.callTool('do'));
    expect(outcome.code).toBe('ConnectionLost');
    expect(outcome.ms).toBeLessThan(CALL_MS / 2);
    expect(await waitGone(pid)).toBe(true);
    await until(() => s.getServer('pipes')!.state === 'connected' && fixturePid(s.getServer('pipes')!.stderrTail) !== pid, 10_000, 'reconnect');
    await expect(s.callTool('do')).resolves.toMatchObject({ content: [{ type: 'text', text: 'ok' }] });
  });

  it('fails a connect at once when the server closes its stdout during initialize, and retries by the backoff policy', async () => {
    // A backoff long enough that the next attempt cannot start within the test.
    const s = open(['close-stdout-on-init'], { baseMs: 60_000, minMs: 60_000, maxMs: 60_000 });
    const events = recordEvents(s);
    const started = Date.now();
    await s.start();
    await until(() => events.some((e) => e.type === 'server.stateChanged' && e.to === 'disconnected'), CONNECT_MS, 'the failed connect');
    expect(Date.now() - started).toBeLessThan(CONNECT_MS / 2);
    expect(s.getServer('pipes')!.lastError).toMatchObject({ code: 'ConnectionClosed' });
    expect(s.getServer('pipes')).toMatchObject({ state: 'disconnected', substate: 'backoff' });
    expect(await waitGone(await announcedPid(s))).toBe(true);
  });
});
