import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { board, logFile, raw, traffic, useNegotiation } from '../helpers/negotiation.js';
import { until } from '../helpers/switchboard.js';

/**
 * R3-D3: a modern-only stdio server whose first server/discover breaks (it dies once: a crash, an
 * OOM, a stray exit) is restarted in legacy mode, as designed, and refuses that initialize with
 * −32022 naming 2026-07-28. The switchboard knows now that the server speaks 2026-07-28, as in
 * openAfterSilence's case, yet it ends in a non-retryable `error` whose message advises
 * "protocol: auto or "2026-07-28" reaches it" (the protocol is auto already), and it remembers
 * legacy: even reconnect(name) after the server is healthy repeats the refused legacy handshake.
 */

useNegotiation();

describe('a broken probe, then a legacy start refused for 2026-07-28', () => {
  it('goes on in the modern era (retryable, remembered modern), not a non-retryable error', async () => {
    const log = logFile();
    // Every process refuses a legacy initialize naming 2026-07-28; only the first dies on discover.
    writeFileSync(`${log}.modes`, 'die init-refuse');
    const sb = board({ m: raw(log) });
    const starting = sb.start();
    await until(() => traffic(log).length >= 1, 10_000, 'the first process');
    await until(() => traffic(log)[0]!.methods.includes('server/discover'), 10_000, 'the first discover');
    writeFileSync(`${log}.modes`, 'modern init-refuse');
    await starting;
    await until(() => ['connected', 'error'].includes(sb.getServer('m')!.state), 15_000, 'a settled state');
    const status = sb.getServer('m')!;
    expect(status.lastError?.message ?? '').not.toContain('protocol: auto or');
    expect(status).toMatchObject({ state: 'connected', protocol: { era: 'modern' } });
  });
});
