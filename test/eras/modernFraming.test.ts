import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { fixturePid, waitGone } from '../helpers/processes.js';
import { FAST, until } from '../helpers/switchboard.js';

/**
 * R3-2 probe: the legacy stdio framing suite's cases (test/faults/stdioFraming.test.ts) against a
 * raw 2026-07-28-only server: the era probe's verdict is remembered, and the framing, the size cap,
 * replay and the breaker behave as in legacy.
 */

const RAW = fileURLToPath(new URL('./modernRawServer.mjs', import.meta.url));
const KiB = 1024;
const CAP = 64 * KiB;

let sb: Switchboard | undefined;
afterEach(async () => {
  await sb?.stop();
  sb = undefined;
});
const open = (extra: Record<string, unknown> = {}) => {
  const log = join(mkdtempSync(join(tmpdir(), 'r3-modern-')), 'traffic.log');
  sb = createSwitchboard({
    servers: { raw: { transport: 'stdio', command: process.execPath, args: [RAW, '--log', log] } as never },
    defaults: { ...FAST, limits: { maxMessageBytes: CAP }, timeouts: { ...FAST.timeouts, callMs: 60_000 }, ...extra } as never,
  });
  return { sb, discovers: () => readFileSync(log, 'utf8').split('\n').filter((l) => l.endsWith(' server/discover')).length };
};
const settle = async (promise: Promise<unknown>) => {
  const started = Date.now();
  const outcome = await promise.then(
    (value) => ({ value, code: undefined as string | undefined, message: '' }),
    (error: { code?: string; message: string }) => ({ value: undefined, code: error.code, message: error.message }),
  );
  return { ...outcome, ms: Date.now() - started };
};

describe('modern stdio framing under the size cap', () => {
  for (const { mode, bytes } of [{ mode: 'endless' }, { mode: 'stall', bytes: CAP + 10 * KiB }, { mode: 'endless-response' }]) {
    it(`ends the session on ${mode}, fails the call with ConnectionLost and reconnects in the modern era without a new probe`, async () => {
      const { sb: s, discovers } = open();
      await s.start();
      expect(s.getServer('raw')!.protocol).toMatchObject({ era: 'modern' });
      const pid = fixturePid(s.getServer('raw')!.stderrTail);
      const result = await settle(s.callTool('do', { mode, bytes }));
      expect(result.code).toBe('ConnectionLost');
      expect(result.ms).toBeLessThan(10_000);
      expect(await waitGone(pid)).toBe(true);
      await until(() => s.getServer('raw')!.state === 'connected', 10_000, 'the reconnect');
      expect(s.getServer('raw')!.protocol).toMatchObject({ era: 'modern' });
      expect(discovers()).toBe(1);
      expect((await s.callTool('do')).content[0]).toMatchObject({ text: expect.stringContaining('ok from') });
    });
  }

  it('replays a read-only call cut off by the loss on the new session', async () => {
    const { sb: s } = open({ replay: 'annotated' });
    await s.start();
    const marker = join(mkdtempSync(join(tmpdir(), 'r3-framing-')), 'once');
    const result = await settle(s.callTool('read', { mode: 'endless', marker }));
    expect(result.code).toBeUndefined();
    expect(result.value).toMatchObject({ content: [{ text: expect.stringContaining('ok from') }] });
    expect(s.getServer('raw')!.reconnects).toBe(1);
  });

  it('does not replay a call of a tool without readOnlyHint cut off by a crash', async () => {
    const { sb: s } = open({ replay: 'annotated' });
    await s.start();
    const marker = join(mkdtempSync(join(tmpdir(), 'r3-framing-')), 'once');
    const result = await settle(s.callTool('do', { mode: 'crash', marker }));
    expect(result.code).toBe('ConnectionLost');
  });

  it('fails a complete answer over the cap with ProtocolError and keeps the session', async () => {
    const { sb: s } = open();
    await s.start();
    const pid = fixturePid(s.getServer('raw')!.stderrTail);
    const result = await settle(s.callTool('do', { mode: 'huge', bytes: 3 * CAP }));
    expect(result.code).toBe('ProtocolError');
    expect((await s.callTool('do')).content[0]).toMatchObject({ text: `ok from ${pid}` });
  });

  it('ends the session on a complete notification over the cap', async () => {
    const { sb: s } = open();
    await s.start();
    const pid = fixturePid(s.getServer('raw')!.stderrTail);
    const result = await settle(s.callTool('do', { mode: 'big-notification', bytes: CAP + KiB }));
    expect(result.code).toBe('ConnectionLost');
    expect(await waitGone(pid)).toBe(true);
    await until(() => s.getServer('raw')!.state === 'connected', 10_000, 'the reconnect');
  });
});
