import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { FAST, until } from '../helpers/switchboard.js';

/**
 * R3-D1/D2: a 2026-07-28-only stdio server that writes one stray non-JSON line to stdout (a
 * startup banner, a log line) before it answers server/discover correctly. The v2 SDK's own probe
 * (ProbeWindow in @modelcontextprotocol/client 2.4.0) passes such a line to onerror and keeps
 * waiting for the answer; the legacy era logs it as a transport error and connects. Ours takes it
 * for a broken probe: under auto the legacy restart is refused with −32022 naming 2026-07-28 and
 * the server ends in a non-retryable `error` whose message says "protocol: auto … reaches it";
 * pinned to 2026-07-28 it is retried for ever and never connects.
 */

const RAW = fileURLToPath(new URL('./modernRawServer.mjs', import.meta.url));
let sb: Switchboard | undefined;
afterEach(async () => {
  await sb?.stop();
  sb = undefined;
});

function open(banner: 'start' | 'discover', protocol: 'auto' | '2026-07-28') {
  const log = join(mkdtempSync(join(tmpdir(), 'r3-stray-')), 'traffic.log');
  sb = createSwitchboard({
    servers: { s: { transport: 'stdio', command: process.execPath, args: [RAW, '--log', log], env: { R3_BANNER: banner }, protocol, reconnect: { maxAttempts: 3 } } as never },
    // The probe waits half of connectMs: room for a child that starts slowly on a loaded machine.
    defaults: { ...FAST, timeouts: { ...FAST.timeouts, connectMs: 10_000 } } as never,
  });
  const processes = () => readFileSync(log, 'utf8').split('\n').filter((l) => l.endsWith(' spawn')).length;
  return { sb, processes };
}

describe.each(['start', 'discover'] as const)('a modern-only stdio server with a stray stdout line (%s)', (banner) => {
  it.each(['auto', '2026-07-28'] as const)('is reached in the modern era under protocol %s, on one process', async (protocol) => {
    const { sb, processes } = open(banner, protocol);
    await sb.start();
    await until(() => ['connected', 'error'].includes(sb.getServer('s')!.state), 10_000, 'a settled state');
    const status = sb.getServer('s')!;
    expect(status.lastError).toBeNull();
    expect(status).toMatchObject({ state: 'connected', protocol: { era: 'modern' } });
    expect(processes()).toBe(1);
    expect((await sb.callTool('do', { mode: 'echo', text: 'hi' })).content).toEqual([{ type: 'text', text: 'hi' }]);
  });
});
