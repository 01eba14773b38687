import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { until } from '../helpers/switchboard.js';

/**
 * A stdio command that cannot start at all under `auto`: its first connect breaks the probe and
 * the legacy restart fails too. That outcome is remembered all the same (later attempts start one
 * process each, not two), and the warning says what the server said, not only "closed".
 */

describe('a server that cannot start, under protocol auto', () => {
  let sb: Switchboard | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await sb?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    sb = undefined;
    dir = undefined;
  });

  it('starts two processes on the first attempt, one on each later one, and warns with its stderr', async () => {
    dir = mkdtempSync(join(tmpdir(), 'probe-broken-'));
    const log = join(dir, 'spawns');
    const script = `echo spawn >> "${log}"; echo "Error: Cannot find module '/nope.js'" >&2; exit 1`;
    sb = createSwitchboard({
      servers: { bad: { transport: 'stdio', command: 'sh', args: ['-c', script] } },
      defaults: { health: { intervalMs: 0 }, reconnect: { baseMs: 50, minMs: 20, maxMs: 100 } },
    });
    const warnings: string[] = [];
    let attempts = 0;
    sb.on('server.log', (e) => {
      if (e.level === 'warning') warnings.push(e.message);
    });
    sb.on('server.stateChanged', (e) => {
      if (e.to === 'connecting') attempts++;
    });
    await sb.start();
    const spawns = () => readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
    await until(() => attempts >= 5, 10_000, 'five attempts');
    await sb.stop();
    // The first attempt: the probe's process and (when the probe saw it break) the legacy restart;
    // each later one: one process, the era remembered.
    expect(spawns()).toBeLessThanOrEqual(attempts + 1);
    expect(warnings.filter((w) => w.includes('broke on server/discover'))).toHaveLength(1);
    expect(warnings.find((w) => w.includes('broke on server/discover'))).toContain(`its stderr says: "Error: Cannot find module '/nope.js'"`);
  });
});
