/** The benchmark's result shapes and how rounds are summarized; shared by run.ts and compare.ts. */

export type Result = Record<string, number | string>;
export type Transport = 'memory' | 'stdio' | 'http';

export interface Cell {
  /** The MCP era of the cell's rows (DESIGN §9.4); absent in runs before the modern rows: legacy. */
  era?: 'legacy' | 'modern';
  /**
   * `cluster-seq` / `cluster-conc`: the cluster row (bench/lib/clusterRow.ts), measured like seq /
   * conc against `switchboard`, not the floor. `route`: sequential calls among 1 and N in-memory
   * servers (targets `floor@1`, `switchboard@1000`, …, bench/lib/routeRow.ts). `traces`: the
   * tracing hooks with no SDK registered against an empty loop (targets `hooks`, `empty`). `scale`:
   * runs before the route row (fresh processes, no interval).
   */
  workload: 'seq' | 'conc' | 'fanout' | 'scale' | 'connect' | 'cluster-seq' | 'cluster-conc' | 'route' | 'traces';
  transport: Transport;
  size: number;
  targets: string[];
}

export interface Round {
  round: number;
  /** Which set of processes measured this round (bench/lib/windows.ts `RoundPlan.fork`); absent: one set for the whole cell. */
  fork?: number;
  order: string[];
  results: Record<string, Result | { error: string }>;
}

/** One benchmark run as bench/results/*.json keeps it. */
export interface RunFile {
  machine: string;
  at: string;
  measured: { cell: Cell; rounds: Round[] }[];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Half the width of the distribution-free 95 % confidence interval of the median of `values`: the
 * order statistics n/2 ± 0.98·√n (the normal approximation to the binomial). It tells how far a
 * second run's median can be expected to move; undefined below 6 values.
 */
export function medianInterval(values: number[]): number | undefined {
  const n = values.length;
  if (n < 6) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const spread = 0.98 * Math.sqrt(n);
  const low = sorted[Math.max(0, Math.floor(n / 2 - spread))]!;
  const high = sorted[Math.min(n - 1, Math.ceil(n / 2 + spread) - 1)]!;
  return (high - low) / 2;
}

/** Student's t at 97.5 % for 1–30 degrees of freedom (index = degrees of freedom); 1.96 beyond. */
const T975 = [NaN, 12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.2, 2.18, 2.16, 2.14, 2.13, 2.12, 2.11, 2.1, 2.09, 2.09, 2.08, 2.07, 2.07, 2.06, 2.06, 2.06, 2.05, 2.05, 2.05, 2.04];

/**
 * Half the 95 % interval of the mean of `medians` (one per set of processes: Student's t times
 * the standard error over sets), undefined below 3 sets. The sets' medians differ by what the
 * rounds within a set vary and by each process's own speed, so this bounds both; the order
 * statistics of the pooled rounds (medianInterval) see only the first.
 */
export function setsInterval(medians: number[]): number | undefined {
  const n = medians.length;
  if (n < 3) return undefined;
  const mean = medians.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(medians.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return ((T975[n - 1] ?? 1.96) * sd) / Math.sqrt(n);
}

/**
 * A metric of one target in one cell: the median over rounds, and its per-round ratio to
 * `baseline` (the floor unless said). The ratio's interval: half the 95 % interval of its median
 * (medianInterval); where the rounds came from 3 or more sets of processes (`Round.fork`), the
 * wider of that and the interval over the sets' own medians (setsInterval), so a process's own
 * speed counts in the ±.
 */
export function summary(rounds: Round[], target: string, metric: string, baseline = 'floor') {
  const value = (r: Round, t: string) => (r.results[t] as Result | undefined)?.[metric];
  const values = rounds.map((r) => value(r, target)).filter((v): v is number => typeof v === 'number');
  const pairs = rounds
    .map((r) => [value(r, target), value(r, baseline), r.fork] as const)
    .filter((p): p is readonly [number, number, number | undefined] => typeof p[0] === 'number' && typeof p[1] === 'number' && p[1] > 0);
  const ratios = pairs.map(([v, f]) => v / f);
  const sets = new Map<number, number[]>();
  for (const [v, f, fork] of pairs) {
    if (fork === undefined) continue;
    const list = sets.get(fork) ?? [];
    list.push(v / f);
    sets.set(fork, list);
  }
  const pooled = medianInterval(ratios);
  const across = setsInterval([...sets.values()].map(median));
  return {
    value: values.length ? median(values) : undefined,
    ratio: ratios.length ? median(ratios) : undefined,
    interval: pooled === undefined || across === undefined ? pooled : Math.max(pooled, across),
    min: ratios.length ? Math.min(...ratios) : undefined,
    max: ratios.length ? Math.max(...ratios) : undefined,
  };
}

/**
 * A metric of `target` minus the same metric of `baseline`, round by round (both measured in the
 * same round, interleaved): the median of the per-round differences, half its 95 % interval and
 * the per-round min–max. For a cost too small for a ratio to a whole call to resolve (the tracing
 * hooks: a fraction of a µs beside a call of ~50).
 */
export function difference(rounds: Round[], target: string, metric: string, baseline: string) {
  const value = (r: Round, t: string) => (r.results[t] as Result | undefined)?.[metric];
  const diffs = rounds
    .map((r) => [value(r, target), value(r, baseline)] as const)
    .filter((p): p is readonly [number, number] => typeof p[0] === 'number' && typeof p[1] === 'number')
    .map(([v, b]) => v - b);
  return {
    value: diffs.length ? median(diffs) : undefined,
    interval: medianInterval(diffs),
    min: diffs.length ? Math.min(...diffs) : undefined,
    max: diffs.length ? Math.max(...diffs) : undefined,
  };
}
