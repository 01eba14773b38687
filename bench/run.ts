/**
 * Benchmark runner: `npm run bench` (full) or `npm run bench:quick` (under 2 minutes, both eras), both
 * eras by default; `-- --era legacy|modern` runs one (DESIGN §9, §9.4). Measurements are
 * interleaved (DESIGN §9): each target of a cell — floor, switchboard, peers — runs in its own
 * fresh Node process, and each round asks every one of them for one window, the order rotated per
 * round, so a busy neighbour during one round moves every target alike. A ratio is the median of
 * the per-round ratios to the floor of the cell's era (legacy: a bare v1 SDK Client; modern: a
 * bare v2 Client pinned to 2026-07-28), printed with its min–max. Client CPU per call is the
 * headline. The route row (1 against N servers, bench/lib/routeRow.ts) and the tracing row (the
 * hooks with no SDK registered, bench/lib/tracesRow.ts) are interleaved the same way, the first
 * against each target's own one-server process. Every round is kept in bench/results/<latest|quick>.json. The cluster row (DESIGN
 * §9.5, bench/lib/clusterRow.ts) runs last, against a redis-server the runner starts and stops;
 * `-- --cluster-only` runs it alone (kept in bench/results/cluster-<latest|quick>.json).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

import { startClusterRedis, type ClusterRedis } from './lib/clusterRow.js';
import { CLUSTER_BASELINE, clusterTable } from './lib/clusterTable.js';
import { modernPeers } from './lib/peers.js';
import { cellsOf, eraOf, parseRunOptions, planOf } from './lib/plan.js';
import { parseRouteTarget, routeEnough } from './lib/routeRow.js';
import { summary, type Cell, type Result, type Round } from './lib/summary.js';
import { tables } from './lib/tables.js';
import { interleavedRounds, rotated, type Launch, type RoundPlan } from './lib/windows.js';

const options = parseRunOptions(process.argv.slice(2));
const { quick } = options;
const root = fileURLToPath(new URL('..', import.meta.url));
const measureSource = fileURLToPath(new URL('./lib/measure.ts', import.meta.url));
/** measure.ts bundled once per run beside itself (relative URLs stay valid): each measurement starts plain Node, not tsx (~0.25 s less per process). */
const measureScript = fileURLToPath(new URL('./lib/measure.bundle.mjs', import.meta.url));

/**
 * The runner's own copy of the build (under bench/results/, ignored by git; inside the repository
 * so the library's packages resolve from node_modules). Every measurement loads it
 * (BENCH_LIBRARY): tests elsewhere in the working tree rebuild dist/ in place, and a measurement
 * that starts during such a rebuild loads half a build.
 */
const librarySnapshot = `${root}/bench/results/dist`;

/** Sizes of this run (bench/lib/plan.ts says why they are what they are). */
const plan = planOf(quick);

/**
 * How precisely a full run pins each concurrent headline ratio: it adds rounds (a set of processes
 * at a time, bench/lib/windows.ts) until half the 95 % interval of every CPU and throughput ratio
 * (with the spread between sets, bench/lib/summary.ts) is at most this, or its maximum is reached.
 * At ±0.025 two runs' medians differ by more than 0.05 in about one ratio of two hundred; a
 * target whose processes run at two speeds (LangChain over stdio, bench/PROFILE.md) reaches no
 * such ± and stops at the maximum, with its ± saying so.
 */
const PRECISION = 0.025;
const HEADLINES = ['cpuUsPerCall', 'callsPerSec'];

/** How many interleaved windows a seq or conc cell measures per target. */
function roundsOf(cell: Cell): number | RoundPlan {
  if (cell.workload === 'route') {
    // Like the concurrent cells: until both N ÷ 1 ratios are within PRECISION, or the maximum.
    const rounds = plan.route.rounds;
    if (typeof rounds === 'number') return rounds;
    const servers = Math.max(...cell.targets.map((t) => parseRouteTarget(t).servers));
    return { ...inSets(rounds, cell.targets.length), enough: routeEnough(servers, PRECISION) };
  }
  if (cell.workload === 'traces') return plan.traces.rounds;
  if (cell.workload !== 'conc' && cell.workload !== 'cluster-conc') return plan.seqRounds;
  const rounds = cell.workload === 'cluster-conc' ? plan.clusterConcRounds[cell.transport as 'memory' | 'http'] : eraOf(cell) === 'modern' ? plan.modernConcRounds[cell.transport] : plan.concRounds[cell.transport];
  if (typeof rounds === 'number') return rounds;
  // The cluster row's ratios are to the switchboard without a cluster (bench/lib/clusterRow.ts).
  const baseline = cell.workload === 'cluster-conc' ? CLUSTER_BASELINE : 'floor';
  const enough = (done: Round[]) =>
    cell.targets.every((t) => t === baseline || HEADLINES.every((metric) => (summary(done, t, metric, baseline).interval ?? Infinity) <= PRECISION));
  return { ...inSets(rounds, cell.targets.length), enough };
}

/**
 * A fresh set of processes every `fork` rounds (a multiple of the targets, so every target has
 * led equally often in each set), the stopping check at the end of each set, `min` and `max`
 * whole sets.
 */
function inSets(rounds: { min: number; max: number; fork: number }, targets: number) {
  const fork = targets * Math.ceil(rounds.fork / targets);
  return { min: fork * Math.ceil(rounds.min / fork), max: fork * Math.ceil(rounds.max / fork), step: fork, fork };
}
const roundsText = (r: number | RoundPlan) => (typeof r === 'number' ? String(r) : `${r.min}–${r.max}`);

function ensurePeers(): void {
  // Only the legacy rows run the peers (none of the installed ones speaks 2026-07-28).
  if (!options.eras.includes('legacy') || options.clusterOnly) return;
  if (existsSync(`${root}/bench/peers/node_modules/@langchain/mcp-adapters`) && existsSync(`${root}/bench/peers/node_modules/@mastra/mcp`)) return;
  process.stderr.write('installing the peers into bench/peers (once)...\n');
  execFileSync('npm', ['ci', '--prefix', `${root}/bench/peers`, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' });
}

/**
 * The measured client runs pinned to core 1 and every server it starts to core 0 (`taskset`, when
 * the machine has it and two cores): no target's server competes with its client for a core, and
 * the placement is the same for every target.
 */
const pinned = cpus().length >= 2 && spawnSync('taskset', ['-c', '1', 'true']).status === 0;

/** The Redis of the cluster row (bench/lib/clusterRow.ts), started before its first cell and stopped at the end of the run. */
let clusterRedis: ClusterRedis | undefined;
/** Why the cluster row could not start its Redis, once it tried. */
let clusterFailure: string | undefined;

/** How the measurement process of one target of one cell starts (a cluster cell measures like seq / conc, with Redis's URL). */
function launch(cell: Cell, target: string): Launch {
  const workload = cell.workload.replace(/^cluster-/, '');
  const node = [process.execPath, '--expose-gc', measureScript, workload, target, cell.transport, String(cell.size), '64'];
  const [command, ...args] = pinned ? ['taskset', '-c', '1', ...node] : node;
  return {
    command: command!,
    args,
    cwd: root,
    env: { ...process.env, BENCH_LIBRARY: `${librarySnapshot}/src/index.js`, BENCH_ERA: eraOf(cell), BENCH_WARMUP: String(workload === 'conc' ? plan.warmupConc[cell.transport] : plan.warmup[cell.transport]), BENCH_WARMUP_MS: String(plan.warmup.ms), ...(pinned ? { BENCH_SERVER_CPU: '0' } : {}), ...(clusterRedis ? { BENCH_REDIS_URL: clusterRedis.url } : {}) },
  };
}

/** One fresh process for one target of a fanout, connect or (older plans') scale cell; its one JSON line. */
function measureOnce(cell: Cell, target: string): Result | { error: string } {
  const { command, args, cwd, env } = launch(cell, target);
  const out = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 180_000 });
  const line = out.stdout.split('\n').find((l) => l.startsWith('{'));
  // Node ends an uncaught error's report with its version line: keep the error's own line too.
  const stderr = (out.stderr || out.error?.message || 'no output').split('\n').filter((l) => l.trim() && !l.startsWith('Node.js v'));
  if (!line) return { error: [...stderr.filter((l) => /Error|error/.test(l)).slice(0, 1), ...stderr.slice(-2)].join(' ').slice(0, 500) };
  return JSON.parse(line) as Result;
}

/** Copies dist/ to the runner's snapshot and loads it once, copying again (up to 5 times) while a concurrent rebuild leaves it broken. */
async function snapshotLibrary(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    rmSync(librarySnapshot, { recursive: true, force: true });
    cpSync(`${root}/dist`, librarySnapshot, { recursive: true });
    // A fresh process per check: a failed import stays cached in this one.
    const check = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(`${librarySnapshot}/src/index.js`)})`], { cwd: root, encoding: 'utf8' });
    if (check.status === 0) return;
    if (attempt === 5) throw new Error(`the build in dist/ does not load: ${check.stderr.split('\n').find((l) => /Error/.test(l)) ?? check.stderr}`);
    process.stderr.write('dist/ changed while it was copied (a rebuild elsewhere?): copying again\n');
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  }
}

/** Bundles measure.ts (and the targets) with esbuild, packages left as imports. */
async function bundleMeasure(): Promise<void> {
  const { build } = await import('esbuild');
  await build({ entryPoints: [measureSource], outfile: measureScript, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
}

/** Measures every cell in order; the cluster row's cells start its Redis first (stopped by main). */
async function measureCells(measured: { cell: Cell; rounds: Round[] }[]): Promise<void> {
  for (const m of measured) {
    const { workload, transport, size } = m.cell;
    const era = eraOf(m.cell);
    if (workload === 'cluster-seq' || workload === 'cluster-conc') {
      if (!clusterRedis && clusterFailure === undefined) {
        // No redis-server here (or it would not start): the row says so; the rest of the run stands.
        clusterRedis = await startClusterRedis().catch((error: unknown) => {
          clusterFailure = `redis-server did not start: ${(error as Error)?.message ?? String(error)}`.slice(0, 300);
          return undefined;
        });
      }
      if (!clusterRedis) {
        process.stderr.write(`${era} ${workload} ${transport} ${size}: not measured, ${clusterFailure}\n`);
        m.rounds = [{ round: 0, order: m.cell.targets, results: Object.fromEntries(m.cell.targets.map((t) => [t, { error: clusterFailure! }])) }];
        continue;
      }
      m.rounds = await interleavedRounds(
        m.cell.targets,
        roundsOf(m.cell),
        (target) => launch(m.cell, target),
        (status) => process.stderr.write(`${era} ${workload} ${transport} ${size} (${roundsText(roundsOf(m.cell))} rounds): ${status}\n`),
        // One count per cell: the background rate is the idle time of this cell's cluster process.
        clusterRedis.counting(),
      );
      continue;
    }
    if (workload === 'seq' || workload === 'conc' || workload === 'route' || workload === 'traces') {
      m.rounds = await interleavedRounds(m.cell.targets, roundsOf(m.cell), (target) => launch(m.cell, target), (status) =>
        process.stderr.write(`${era} ${workload} ${transport} ${size} (${roundsText(roundsOf(m.cell))} rounds): ${status}\n`),
      );
      continue;
    }
    const rounds = workload === 'fanout' ? plan.fanoutRounds : workload === 'connect' ? plan.connectRounds : plan.processRounds;
    for (let round = 0; round < rounds; round++) {
      const order = rotated(m.cell.targets, round);
      const results: Round['results'] = {};
      for (const target of order) results[target] = measureOnce(m.cell, target);
      m.rounds.push({ round, order, results });
      const errors = Object.entries(results).filter(([, r]) => 'error' in r);
      process.stderr.write(`round ${round + 1}/${rounds} ${era} ${workload} ${transport} ${size}: ${errors.length ? errors.map(([t, r]) => `${t}: ${(r as { error: string }).error}`).join('; ') : 'ok'}\n`);
    }
  }
}

async function main(): Promise<void> {
  ensurePeers();
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  await snapshotLibrary();
  await bundleMeasure();
  const started = Date.now();
  // Peers join the modern rows only if they can speak 2026-07-28; the output says which were left out and why.
  const modern = modernPeers();
  const notes = { modern: [`Peers in the modern era: ${modern.peers.length ? modern.peers.join(', ') : 'none'}${modern.skipped.length ? `; skipped, cannot speak 2026-07-28: ${modern.skipped.join('; ')}` : ''}.`] };
  const measured = cellsOf(options, plan, modern.peers).map((cell) => ({ cell, rounds: [] as Round[] }));
  try {
    await measureCells(measured);
  } finally {
    await clusterRedis?.stop();
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}${pinned ? ', client pinned to core 1, servers to core 0' : ', unpinned'}`;
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const conc = measured.filter((m) => m.cell.workload === 'conc' || m.cell.workload === 'cluster-conc').map((m) => `${m.cell.workload === 'conc' ? eraOf(m.cell) : 'cluster'} ${m.cell.transport} ${m.rounds.length}`).join(', ');
  // `--cluster-only` prints (and keeps) the cluster row alone, beside the last whole run's file.
  const output = options.clusterOnly ? clusterTable(measured) : [tables(measured, plan, options.eras, notes), '', ...clusterTable(measured)];
  const file = `${options.clusterOnly ? 'cluster-' : ''}${quick ? 'quick' : 'latest'}.json`;
  console.log(
    `\n${quick ? 'Quick' : 'Full'} benchmark (${options.eras.join(' and ')} era), interleaved windows per target: concurrent ${conc}, sequential ${plan.seqRounds}, route ${measured.find((m) => m.cell.workload === 'route')?.rounds.length ?? 0}, tracing ${plan.traces.rounds} (fan-out: ${plan.fanoutRounds} rounds of fresh processes, connect: ${plan.connectRounds}), ${machine}, ${seconds} s\n\n${output.join('\n').trimEnd()}\n`,
  );
  mkdirSync(`${root}/bench/results`, { recursive: true });
  writeFileSync(`${root}/bench/results/${file}`, JSON.stringify({ machine, quick, eras: options.eras, at: new Date().toISOString(), plan, notes, measured }, null, 2));
}

await main();
