import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { fixturePid, waitGone } from '../helpers/processes.js';
import { FAST, until } from '../helpers/switchboard.js';

const FRAMING = fileURLToPath(new URL('../fixtures/framingServer.mjs', import.meta.url));
const KiB = 1024;
const CAP = 64 * KiB;

/**
 * A stdio line over `limits.maxMessageBytes` that cannot be matched to a request: the framing is
 * lost, so the session ends (its process group), its calls settle or replay, and it reconnects.
 */
describe('stdio framing under the size cap', () => {
  let sb: Switchboard | undefined;
  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
  });
  const open = (extra: Record<string, unknown> = {}) => {
    sb = createSwitchboard({
      servers: { raw: { transport: 'stdio', command: process.execPath, args: [FRAMING] } as never },
      // A call deadline far beyond what the test waits: a call that settles settled because of the loss.
      defaults: { ...FAST, limits: { maxMessageBytes: CAP }, timeouts: { ...FAST.timeouts, callMs: 60_000 }, ...extra } as never,
    });
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

  const cases = [
    { mode: 'endless', what: 'an endless line without a newline or an id' },
    { mode: 'stall', what: 'a line past the cap that stops without a newline', bytes: CAP + 10 * KiB },
    { mode: 'endless-response', what: 'an endless response without an id' },
  ];
  for (const { mode, what, bytes } of cases) {
    it(`ends the session on ${what}, fails the call with ConnectionLost and reconnects`, async () => {
      const s = open();
      await s.start();
      const pid = fixturePid(s.getServer('raw')!.stderrTail);
      const result = await settle(s.callTool('do', { mode, bytes }));
      expect(result.code).toBe('ConnectionLost');
      expect(result.ms).toBeLessThan(10_000);
      expect(await waitGone(pid)).toBe(true);
      await until(() => s.getServer('raw')!.state === 'connected', 10_000, 'the reconnect');
      expect(s.getServer('raw')!.reconnects).toBe(1);
      expect(fixturePid(s.getServer('raw')!.stderrTail)).not.toBe(pid);
      expect((await s.callTool('do')).content[0]).toMatchObject({ text: expect.stringContaining('ok from') });
    });
  }

  it('says why the session ended in lastError', async () => {
    const s = open();
    await s.start();
    const changes: { to: string; error?: { code: string; message: string } }[] = [];
    s.on('server.stateChanged', (e) => changes.push(e));
    await settle(s.callTool('do', { mode: 'endless' }));
    await until(() => changes.some((c) => c.to === 'disconnected'), 10_000, 'the loss');
    expect(changes.find((c) => c.to === 'disconnected')!.error).toMatchObject({ code: 'ConnectionLost', message: expect.stringContaining('lost its message framing') });
  });

  it('replays a read-only call cut off by the loss on the new session', async () => {
    const s = open({ replay: 'annotated' });
    await s.start();
    const marker = join(mkdtempSync(join(tmpdir(), 'framing-')), 'once');
    const result = await settle(s.callTool('read', { mode: 'endless', marker }));
    expect(result.code).toBeUndefined();
    expect(result.value).toMatchObject({ content: [{ text: expect.stringContaining('ok from') }] });
    expect(s.getServer('raw')!.reconnects).toBe(1);
  });

  it('ends the session on a complete notification over the cap (it answers no request)', async () => {
    const s = open();
    await s.start();
    const pid = fixturePid(s.getServer('raw')!.stderrTail);
    const result = await settle(s.callTool('do', { mode: 'big-notification', bytes: 2 * CAP }));
    expect(result.code).toBe('ConnectionLost');
    expect(await waitGone(pid)).toBe(true);
    await until(() => s.getServer('raw')!.state === 'connected', 10_000, 'the reconnect');
  });
});
