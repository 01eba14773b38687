/**
 * What a benchmark run measures: its options (`--quick`, `--era`, `--cluster-only`), its sizes and
 * its cells, per era (DESIGN §9, §9.4), and the cluster row (§9.5). Pure, so the runner's choices are testable without running it.
 */
import type { Cell, Transport } from './summary.js';
import { routeTargets } from './routeRow.js';
import type { Era } from './targets.js';
import { TRACE_TARGETS } from './tracesRow.js';

/** Options of `npm run bench` / `npm run bench:quick`. */
export interface RunOptions {
  /** `--quick`: the short plan (under 2 minutes for both eras). Default false. */
  quick: boolean;
  /** `--era legacy|modern|both` (also `--era=modern`): which era's rows. Default both. */
  eras: Era[];
  /** `--cluster-only`: only the cluster row (DESIGN §9.5), e.g. after a change to src/cluster/. Default false. */
  clusterOnly?: boolean;
}

/** Parses the runner's arguments; an unknown era throws (a typo must not silently run something else). */
export function parseRunOptions(argv: string[]): RunOptions {
  const quick = argv.includes('--quick');
  let era = 'both';
  argv.forEach((arg, i) => {
    if (arg === '--era') era = argv[i + 1] ?? '';
    else if (arg.startsWith('--era=')) era = arg.slice('--era='.length);
  });
  if (era !== 'legacy' && era !== 'modern' && era !== 'both') throw new Error(`--era must be legacy, modern or both, not "${era}"`);
  if (argv.includes('--cluster-only')) return { quick, eras: ['legacy'], clusterOnly: true };
  return { quick, eras: era === 'both' ? ['legacy', 'modern'] : [era] };
}

/**
 * Sizes per run. seq: `seqRounds` interleaved windows of `seq` calls per target, after a warm-up of
 * `warmup` calls and ms (see measure.ts); conc: short windows of `conc` calls (bench/lib/windows.ts),
 * `concRounds` in the legacy rows (the headline, against the peers), `modernConcRounds` in the
 * modern rows and `clusterConcRounds` in the cluster row (their budgets are wider and a full run
 * must fit twice in a working session), after a warm-up of `warmupConc` calls (and `warmup.ms`):
 * over stdio and in memory the switchboard's CPU per call kept falling for 50 000–70 000 calls
 * (V8 tiering up its longer path; the floor settles in 10 000), so 80 000, the same for every target. fanout: `fanoutRounds` rounds of fresh processes; connect: `connectRounds`.
 * route (bench/lib/routeRow.ts): `route.rounds` interleaved windows of `route.calls` sequential
 * calls per target, among 1 and `scale` in-memory servers; a full run adds rounds (like the
 * concurrent cells, in 3–6 sets of processes of 40 rounds) until both N ÷ 1 ratios are within
 * ±0.025 (95 %) or it reaches the maximum: 41 windows of 2 000 calls left the switchboard's ratio
 * ±0.07, per-round ratios 0.5–3.2; with one process per target two full runs read 1.27× ±0.04
 * and 1.21× ±0.01. traces (bench/lib/tracesRow.ts):
 * `traces.rounds` interleaved windows of `traces.calls` calls' worth of tracing hooks.
 *
 * Why many short concurrent windows: on this kind of machine allocation-heavy work runs ±25 %
 * faster or slower from one tenth of a second to the next (a plain allocation loop shows it too; a
 * loop without allocation does not), and that spread hardly narrows with longer windows, so what
 * makes a median hold still is the number of windows, not their length. 21 windows of 25 000 calls
 * left each ratio ±0.08–0.18 (95 %) and two runs agreed on 7–11 of 14 headline ratios; 800 windows
 * of 2 000 calls (480 of 300 over HTTP) leave ±0.01–0.04, and two runs agreed on 14 of 14 within
 * 0.04. Windows much shorter than 2 000 calls measure the start after idling instead (PROFILE.md).
 *
 * Why sets of processes (`fork`: a fresh process per target every that many rounds): with one
 * process per target for a whole cell, two runs of one commit disagreed by up to 0.05 where each
 * run's interval said ±0.02 (24 of 26 ratios within 0.05): the floor's stdio client cost 15.9 µs per
 * call in one run's process and 15.4 in the other's, in every quarter of each run alike. A
 * process keeps its own speed; more windows of the same process do not average it out, more
 * processes do. A full run measures 4–8 sets in the legacy and modern rows (4–5 in the cluster
 * row), each warmed up like the first, and its ± includes the spread between them. The modern
 * rows had 6 and 5 sets at most in the first two runs with sets and stopped there short of ±0.025
 * (up to ±0.09 over HTTP, ±0.06 over stdio); their one disagreement beyond 0.05 was over HTTP.
 */
export function planOf(quick: boolean) {
  return quick
    ? { seqRounds: 4, concRounds: { memory: 14, stdio: 12, http: 6 }, modernConcRounds: { memory: 10, stdio: 10, http: 4 }, clusterConcRounds: { memory: 14, http: 8 }, processRounds: 3, fanoutRounds: 1, connectRounds: 1, seq: { memory: 1000, stdio: 500, http: 80 }, conc: { memory: 2000, stdio: 2000, http: 300 }, fanout: [] as number[], scale: 50, route: { rounds: 6, calls: 500 }, traces: { rounds: 9, calls: 200_000 }, warmup: { memory: 2500, stdio: 1500, http: 300, ms: 300 }, warmupConc: { memory: 6000, stdio: 6000, http: 300 } }
    : { seqRounds: 21, concRounds: { memory: { min: 400, max: 800, fork: 100 }, stdio: { min: 400, max: 800, fork: 100 }, http: { min: 240, max: 480, fork: 60 } }, modernConcRounds: { memory: { min: 264, max: 528, fork: 66 }, stdio: { min: 264, max: 528, fork: 66 }, http: { min: 168, max: 336, fork: 42 } }, clusterConcRounds: { memory: { min: 256, max: 320, fork: 64 }, http: { min: 160, max: 200, fork: 40 } }, processRounds: 5, fanoutRounds: 2, connectRounds: 9, seq: { memory: 3000, stdio: 1500, http: 250 }, conc: { memory: 2000, stdio: 2000, http: 300 }, fanout: [10, 50], scale: 1000, route: { rounds: { min: 120, max: 240, fork: 40 }, calls: 1000 }, traces: { rounds: 101, calls: 200_000 }, warmup: { memory: 5000, stdio: 4000, http: 1500, ms: 1500 }, warmupConc: { memory: 80_000, stdio: 80_000, http: 3000 } };
}
export type Plan = ReturnType<typeof planOf>;

/** The legacy rows' targets: the v1 floor, the switchboard on its defaults, and the peers. */
export const LEGACY_TARGETS = ['floor', 'switchboard', 'langchain', 'mastra'];
const LEGACY_OVER: Record<Transport, string[]> = { memory: ['floor', 'switchboard'], stdio: LEGACY_TARGETS, http: LEGACY_TARGETS };
/** The modern rows' targets (bench/lib/registry.ts): the v2 floor pinned to 2026-07-28, the switchboard pinned and on `auto`. */
export const MODERN_TARGETS = ['floor', 'switchboard', 'switchboard-auto'];
/**
 * The connect row's targets. Modern: beside the pinned floor, the v2 Client's own `auto` (its base
 * stdio transport probes on a second process). Legacy: the switchboard pinned to 2025-11-25 (no
 * probe) and on `auto` against the v1 server: what `auto` costs where it is most expensive.
 */
export const CONNECT_TARGETS: Record<Era, string[]> = { legacy: ['floor', 'switchboard-legacy', 'switchboard'], modern: ['floor', 'sdk-auto', 'switchboard', 'switchboard-auto'] };

/**
 * The cells of a run, legacy first. `modernPeers` are the peers that can speak 2026-07-28 (none of
 * the installed ones today: bench/lib/peers.ts says why); they join the modern stdio and HTTP rows.
 */
export function cellsOf(options: RunOptions, plan: Plan, modernPeers: string[] = []): Cell[] {
  if (options.clusterOnly) return clusterCells(plan, options.quick);
  const list: Cell[] = [];
  for (const era of options.eras) {
    for (const transport of ['memory', 'stdio', 'http'] as const) {
      const targets = era === 'legacy' ? LEGACY_OVER[transport] : transport === 'memory' ? MODERN_TARGETS : [...MODERN_TARGETS, ...modernPeers];
      list.push({ era, workload: 'seq', transport, size: plan.seq[transport], targets });
      list.push({ era, workload: 'conc', transport, size: plan.conc[transport], targets });
    }
    for (const transport of ['stdio', 'http'] as const) list.push({ era, workload: 'connect', transport, size: 1, targets: CONNECT_TARGETS[era] });
    if (era !== 'legacy') continue;
    for (const n of plan.fanout) list.push({ era, workload: 'fanout', transport: 'stdio', size: n, targets: LEGACY_TARGETS });
    // Routing among 1 and N servers, interleaved like the per-call rows (its size: calls per window).
    list.push({ era, workload: 'route', transport: 'memory', size: plan.route.calls, targets: routeTargets(plan.scale) });
    // Tracing with no SDK registered (the same hooks in both eras; measured once).
    list.push({ era, workload: 'traces', transport: 'memory', size: plan.traces.calls, targets: TRACE_TARGETS });
  }
  // The cluster row last (its Redis starts only then), with the legacy rows of a full run; the
  // quick run leaves it to `--cluster-only --quick` (its windows there were too few to resolve
  // §9.5's budgets anyway, and it kept the quick run over two minutes).
  if (options.eras.includes('legacy') && !options.quick) list.push(...clusterCells(plan, options.quick));
  return list;
}

/** The cluster row's targets: the legacy switchboard without and with a `cluster:` block; the first is the baseline. */
export const CLUSTER_TARGETS = ['switchboard', 'switchboard-cluster'];

/**
 * The cluster row (DESIGN §9.5, bench/lib/clusterRow.ts), legacy era: sequential and 64 in flight,
 * in memory (the cheapest clean call path: what a cluster adds to every call) and over HTTP (the
 * transport whose breaker the cluster shares), with the sizes and rounds of the per-call rows.
 * The quick run measures it in memory only: its 8 HTTP windows leave a ratio ±0.2, four times
 * the budget, for ~20 s more.
 */
export function clusterCells(plan: Plan, quick = false): Cell[] {
  return (quick ? (['memory'] as const) : (['memory', 'http'] as const)).flatMap((transport): Cell[] => [
    { era: 'legacy', workload: 'cluster-seq', transport, size: plan.seq[transport], targets: CLUSTER_TARGETS },
    { era: 'legacy', workload: 'cluster-conc', transport, size: plan.conc[transport], targets: CLUSTER_TARGETS },
  ]);
}

/** The era of a cell; cells of runs before the modern rows have none and are legacy. */
export const eraOf = (cell: Cell): Era => cell.era ?? 'legacy';
