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

/** A metric of one target in one cell: the median over rounds, and its per-round ratio to `baseline` (the floor unless said). */
export function summary(rounds: Round[], target: string, metric: string, baseline = 'floor') {
  const value = (r: Round, t: string) => (r.results[t] as Result | undefined)?.[metric];
  const values = rounds.map((r) => value(r, target)).filter((v): v is number => typeof v === 'number');
  const ratios = rounds
    .map((r) => [value(r, target), value(r, baseline)] as const)
    .filter((p): p is readonly [number, number] => typeof p[0] === 'number' && typeof p[1] === 'number' && p[1] > 0)
    .map(([v, f]) => v / f);
  return {
    value: values.length ? median(values) : undefined,
    ratio: ratios.length ? median(ratios) : undefined,
    interval: medianInterval(ratios),
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
