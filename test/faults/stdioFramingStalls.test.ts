import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { SKIP_MS } from '../../src/protocol/v1/transports/stdioFraming.js';
import { fixturePid, waitGone } from '../helpers/processes.js';
import { FAST, until } from '../helpers/switchboard.js';

const STALLING = fileURLToPath(new URL('../fixtures/stallingServer.mjs', import.meta.url));
const CAP = 64 * 1024;
/** Far beyond what a test waits: a call that settles settled because the framing was lost. */
const CALL_MS = 25_000;

/**
 * An oversized stdio line that stalls, trickles, or is continued by another call's answer: it must
 * end within `SKIP_MS` after it passed the cap, and an id read from its edges is trusted only when
 * the line is one message, so a later call is never blamed nor left to its deadline.
 */
describe('stdio framing: oversized lines that stall or have another message glued on', () => {
  let sb: Switchboard | undefined;
  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
  });
  const open = async () => {
    sb = createSwitchboard({
      servers: { raw: { transport: 'stdio', command: process.execPath, args: [STALLING] } as never },
      defaults: { ...FAST, limits: { maxMessageBytes: CAP }, timeouts: { ...FAST.timeouts, callMs: CALL_MS } } as never,
    });
    await sb.start();
    return sb;
  };
  const settle = async (promise: Promise<unknown>) => {
    const started = Date.now();
    const outcome = await promise.then(
      (value) => ({ value, code: undefined as string | undefined, message: '' }),
      (error: { code?: string; message: string }) => ({ value: undefined, code: error.code, message: error.message }),
    );
    return { ...outcome, ms: Date.now() - started };
  };
  const stalled = (s: Switchboard) => until(() => s.getServer('raw')!.stderrTail.includes('stalled'), 10_000, 'the stall');

  for (const mode of ['noid-stall', 'error-noid-stall', 'noid-trickle']) {
    it(`ends the session within the time bound on a ${mode} response without an id, and reconnects`, async () => {
      const s = await open();
      const pid = fixturePid(s.getServer('raw')!.stderrTail);
      const result = await settle(s.callTool('do', { mode }));
      expect(result.code).toBe('ConnectionLost');
      expect(result.ms).toBeLessThan(SKIP_MS + 8_000);
      expect(await waitGone(pid)).toBe(true);
      await until(() => s.getServer('raw')!.state === 'connected', 10_000, 'the reconnect');
      expect(s.getServer('raw')!.lastError?.message ?? '').not.toContain('zzz');
      expect((await s.callTool('do')).content[0]).toMatchObject({ text: expect.stringContaining('ok from') });
    }, 40_000);
  }

  it('never blames a later call whose SDK-style answer (id last) ends a stalled line', async () => {
    const s = await open();
    const pid = fixturePid(s.getServer('raw')!.stderrTail);
    const first = settle(s.callTool('do', { mode: 'noid-stall' }));
    await stalled(s);
    const second = await settle(s.callTool('do', { mode: 'sdk' }));
    expect(second.code).toBe('ConnectionLost');
    expect(second.ms).toBeLessThan(SKIP_MS);
    expect((await first).code).toBe('ConnectionLost');
    expect(await waitGone(pid)).toBe(true);
    await until(() => s.getServer('raw')!.state === 'connected', 10_000, 'the reconnect');
  }, 40_000);

  it('ends the session when another answer ends a stalled line that began with a known id', async () => {
    const s = await open();
    const pid = fixturePid(s.getServer('raw')!.stderrTail);
    const first = await settle(s.callTool('do', { mode: 'head-stall' }));
    expect(first.code).toBe('ProtocolError');
    await stalled(s);
    const second = await settle(s.callTool('do', { mode: 'ok' }));
    expect(second.code).toBe('ConnectionLost');
    expect(second.ms).toBeLessThan(SKIP_MS);
    expect(await waitGone(pid)).toBe(true);
    await until(() => s.getServer('raw')!.state === 'connected', 10_000, 'the reconnect');
    expect((await s.callTool('do')).content[0]).toMatchObject({ text: expect.stringContaining('ok from') });
  }, 40_000);

  it('ends the session within the time bound when a line with a known id stalls', async () => {
    const s = await open();
    const pid = fixturePid(s.getServer('raw')!.stderrTail);
    expect((await settle(s.callTool('do', { mode: 'head-stall' }))).code).toBe('ProtocolError');
    expect(await waitGone(pid, SKIP_MS + 8_000)).toBe(true);
    await until(() => s.getServer('raw')!.state === 'connected', 10_000, 'the reconnect');
  }, 40_000);
});
