import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellsOf, CLUSTER_TARGETS, parseRunOptions, planOf } from '../../bench/lib/plan.js';
import { startClusterRedis, type ClusterRedis } from '../../bench/lib/clusterRow.js';
import { CLUSTER_BASELINE, CLUSTER_TARGET, clusterTable, redisTraffic, verdict } from '../../bench/lib/clusterTable.js';
import type { Cell, Result, Round } from '../../bench/lib/summary.js';

/** Rounds where each target's window is given per round (the fields of its JSON line). */
const rounds = (values: Record<string, Result[]>): Round[] =>
  values[CLUSTER_BASELINE]!.map((_, round) => ({
    round,
    order: Object.keys(values),
    results: Object.fromEntries(Object.entries(values).map(([target, list]) => [target, list[round]!])),
  }));
const cell = (workload: Cell['workload'], transport: Cell['transport'], size: number): Cell => ({ era: 'legacy', workload, transport, size, targets: CLUSTER_TARGETS });

describe('the cluster row in the plan', () => {
  it('runs last in the legacy era, in memory and over HTTP, against the switchboard without a cluster', () => {
    const cells = cellsOf(parseRunOptions([]), planOf(false));
    expect(cells.slice(-4).map((c) => `${c.era} ${c.workload} ${c.transport}`)).toEqual(['legacy cluster-seq memory', 'legacy cluster-conc memory', 'legacy cluster-seq http', 'legacy cluster-conc http']);
    expect(cells.filter((c) => c.workload.startsWith('cluster-')).every((c) => c.targets[0] === CLUSTER_BASELINE && c.targets[1] === CLUSTER_TARGET)).toBe(true);
    // The quick run leaves the row out; `--cluster-only --quick` measures it in memory only.
    // --cluster-only: the row alone; a modern-only run has none.
    expect(cellsOf(parseRunOptions(['--quick']), planOf(true)).some((c) => c.workload.startsWith('cluster-'))).toBe(false);
    expect(cellsOf(parseRunOptions(['--cluster-only', '--quick']), planOf(true)).map((c) => `${c.workload} ${c.transport}`)).toEqual(['cluster-seq memory', 'cluster-conc memory']);
    expect(cellsOf(parseRunOptions(['--cluster-only']), planOf(false)).map((c) => `${c.workload} ${c.transport}`)).toEqual(['cluster-seq memory', 'cluster-conc memory', 'cluster-seq http', 'cluster-conc http']);
    expect(cellsOf(parseRunOptions(['--era', 'modern']), planOf(false)).some((c) => c.workload.startsWith('cluster-'))).toBe(false);
  });
});

describe('the cluster row table', () => {
  it('says a verdict only when the interval is on one side of the budget', () => {
    expect(verdict(0.02, 0.01, 0.05)).toBe('yes');
    expect(verdict(0.08, 0.01, 0.05)).toBe('**no**');
    expect(verdict(0.04, 0.03, 0.05)).toBe('not resolved (±0.030)');
    expect(verdict(-3, undefined, 5)).toBe('yes (median only)');
    // A latency difference is two-sided: far below zero is noise, not a pass.
    expect(verdict(-680, undefined, 5, true)).toBe('not resolved (median only, far below zero: noise)');
    expect(verdict(-4, 3, 5, true)).toBe('not resolved (±3.0)');
    expect(verdict(-1, 3, 5, true)).toBe('yes');
    expect(verdict(-4, 3, 5)).toBe('yes');
    expect(verdict(undefined, 1, 5)).toBe('–');
  });

  it('nets out the background rate from the raw commands of the windows', () => {
    // Two windows of 1 000 calls, 500 ms each, 12 commands each; background 20/s: 10 per window is background.
    const window: Result = { cpuUsPerCall: 40, callsPerSec: 2000, redisCommands: 12, windowMs: 500, redisBackgroundPerSec: 20 };
    const traffic = redisTraffic(rounds({ [CLUSTER_BASELINE]: [{}, {}], [CLUSTER_TARGET]: [window, window] }), 1000)!;
    expect(traffic.rawPer100).toBeCloseTo(1.2);
    expect(traffic.netPer100).toBeCloseTo(0.2);
    expect(traffic.backgroundPerSec).toBe(20);
  });

  it('compares the cluster target with the switchboard without one and judges §9.5', () => {
    const conc = rounds({
      [CLUSTER_BASELINE]: Array.from({ length: 8 }, () => ({ cpuUsPerCall: 40, callsPerSec: 20_000 })),
      [CLUSTER_TARGET]: Array.from({ length: 8 }, () => ({ cpuUsPerCall: 41.2, callsPerSec: 19_800, redisCommands: 1, windowMs: 100, redisBackgroundPerSec: 10 })),
    });
    const seq = rounds({
      [CLUSTER_BASELINE]: Array.from({ length: 8 }, () => ({ p50Us: 30 })),
      [CLUSTER_TARGET]: Array.from({ length: 8 }, () => ({ p50Us: 32, redisCommands: 0, windowMs: 50, redisBackgroundPerSec: 10 })),
    });
    const text = clusterTable([
      { cell: cell('cluster-seq', 'memory', 1000), rounds: seq },
      { cell: cell('cluster-conc', 'memory', 2000), rounds: conc },
    ]).join('\n');
    expect(text).toContain('| memory | switchboard + cluster | 41 | 1.03× ±0.00 (1.03–1.03) | 19800 | 0.99× ±0.00 (0.99–0.99) | 32 | 2.0 ±0.0 | 0.050 / 0.000 | 0.000 / 0.000 |');
    expect(text).toContain('| p50 − no cluster ≤ 5 µs | memory | 2.0 ±0.0 µs | yes |');
    expect(text).toContain('| CPU per call ≤ 1 + 0.05× | memory | 1.03× ±0.00 (1.03–1.03) | yes |');
    expect(text).toContain('| Redis commands per 100 calls (net) ≤ 1 | memory | 0.000 | yes |');
    // A cluster that costs 10 % more CPU fails the budget.
    const costly = rounds({
      [CLUSTER_BASELINE]: Array.from({ length: 8 }, () => ({ cpuUsPerCall: 40, callsPerSec: 20_000 })),
      [CLUSTER_TARGET]: Array.from({ length: 8 }, () => ({ cpuUsPerCall: 44, callsPerSec: 18_000, redisCommands: 40, windowMs: 100, redisBackgroundPerSec: 10 })),
    });
    const bad = clusterTable([
      { cell: cell('cluster-seq', 'memory', 1000), rounds: seq },
      { cell: cell('cluster-conc', 'memory', 2000), rounds: costly },
    ]).join('\n');
    expect(bad).toContain('| CPU per call ≤ 1 + 0.05× | memory | 1.10× ±0.00 (1.10–1.10) | **no** |');
    expect(bad).toContain('| Redis commands per 100 calls (net) ≤ 1 | memory | 1.950 | **no** |');
  });

  it('says why the row was not measured when Redis did not start', () => {
    const failed = (workload: Cell['workload']) => ({
      cell: cell(workload, 'memory', 1000),
      rounds: [{ round: 0, order: CLUSTER_TARGETS, results: { [CLUSTER_BASELINE]: { error: 'redis-server did not start: ENOENT' }, [CLUSTER_TARGET]: { error: 'redis-server did not start: ENOENT' } } }],
    });
    const text = clusterTable([failed('cluster-seq'), failed('cluster-conc')]).join('\n');
    expect(text).toContain('- cluster-conc memory: failed: redis-server did not start: ENOENT');
    expect(text).toContain('| p50 − no cluster ≤ 5 µs | memory | – µs | – |');
  });
});

describe('counting Redis commands around the cluster target windows', () => {
  let redis: ClusterRedis;
  let other: ReturnType<typeof createClient>;
  beforeAll(async () => {
    redis = await startClusterRedis();
    other = createClient({ url: redis.url });
    await other.connect();
  });
  afterAll(async () => {
    await other?.quit();
    await redis?.stop();
  });

  it('counts exactly the commands of a window, and the background between windows', async () => {
    const around = redis.counting();
    const window = (commands: number) => async () => {
      for (let i = 0; i < commands; i++) await other.set(`k${i}`, 'v');
      return { cpuUsPerCall: 1, callsPerSec: 1 } as Result;
    };
    const first = (await around(CLUSTER_TARGET, window(7))) as Result;
    expect(first.redisCommands).toBe(7);
    expect(first.redisBackgroundPerSec).toBeUndefined();
    // Between windows: 5 commands while the target sits idle (the other target's turn is not counted as its own).
    const baseline = (await around(CLUSTER_BASELINE, window(5))) as Result;
    expect(baseline.redisCommands).toBeUndefined();
    const second = (await around(CLUSTER_TARGET, window(3))) as Result;
    expect(second.redisCommands).toBe(3);
    expect(second.redisBackgroundPerSec).toBeGreaterThan(0);
    // An error passes through untouched.
    expect(await around(CLUSTER_TARGET, async () => ({ error: 'boom' }))).toEqual({ error: 'boom' });
  });
});
