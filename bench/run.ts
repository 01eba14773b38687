/**
 * Benchmark runner: `npm run bench` (full, about 25 minutes) or `npm run bench:quick` (under 2).
 * Measurements are interleaved (DESIGN §9): each target of a cell — floor, switchboard, langchain,
 * mastra — runs in its own fresh Node process, and each round asks every one of them for one window,
 * the order rotated per round, so a busy neighbour during one round moves every target alike. A ratio is the median of
 * the per-round ratios to the floor, printed with its min–max. Client CPU per call is the headline.
 * Every round is kept in bench/results/<latest|quick>.json.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const root = fileURLToPath(new URL('..', import.meta.url));
const measureSource = fileURLToPath(new URL('./lib/measure.ts', import.meta.url));
/** measure.ts bundled once per run beside itself (relative URLs stay valid): each measurement starts plain Node, not tsx (~0.25 s less per process). */
const measureScript = fileURLToPath(new URL('./lib/measure.bundle.mjs', import.meta.url));

import { summary, type Cell, type Result, type Round, type Transport } from './lib/summary.js';
import { interleavedRounds, rotated, type Launch, type RoundPlan } from './lib/windows.js';

const TARGETS = ['floor', 'switchboard', 'langchain', 'mastra'];
const PEERS_OVER: Record<Transport, string[]> = { memory: ['floor', 'switchboard'], stdio: TARGETS, http: TARGETS };
/**
 * Sizes per run. seq: `seqRounds` interleaved windows of `seq` calls per target; conc: `concRounds`
 * short windows of `conc` calls (bench/lib/windows.ts), both after a warm-up of `warmup` calls and
 * ms (see measure.ts). fanout and scale: `processRounds` rounds of fresh processes (fan-out:
 * `fanoutRounds`).
 *
 * Why many short concurrent windows: on this kind of machine allocation-heavy work runs ±25 %
 * faster or slower from one tenth of a second to the next (a plain allocation loop shows it too; a
 * loop without allocation does not), and that spread hardly narrows with longer windows, so what
 * makes a median hold still is the number of windows, not their length. 21 windows of 25 000 calls
 * left each ratio ±0.08–0.18 (95 %) and two runs agreed on 7–11 of 14 headline ratios; 800 windows
 * of 2 000 calls (480 of 300 over HTTP) leave ±0.01–0.04, and two runs agreed on 14 of 14 within
 * 0.04. Windows much shorter than 2 000 calls measure the start after idling instead (PROFILE.md).
 */
const plan = quick
  ? { seqRounds: 5, concRounds: { memory: 14, stdio: 12, http: 8 }, processRounds: 3, fanoutRounds: 1, seq: { memory: 1000, stdio: 500, http: 80 }, conc: { memory: 2000, stdio: 2000, http: 300 }, fanout: [3], scale: 50, warmup: { memory: 2500, stdio: 1500, http: 300, ms: 300 } }
  : { seqRounds: 21, concRounds: { memory: { min: 200, max: 800 }, stdio: { min: 200, max: 800 }, http: { min: 120, max: 480 } }, processRounds: 5, fanoutRounds: 2, seq: { memory: 3000, stdio: 1500, http: 250 }, conc: { memory: 2000, stdio: 2000, http: 300 }, fanout: [10, 50], scale: 1000, warmup: { memory: 5000, stdio: 4000, http: 1500, ms: 1500 } };

/**
 * How precisely a full run pins each concurrent headline ratio: it adds rounds (a quarter of its
 * minimum at a time, a multiple of the targets so every target has led equally often) until half
 * the 95 % interval of every CPU and throughput ratio is at most this, or its maximum is reached.
 * At ±0.025 two runs' medians differ by more than 0.05 in about one ratio of two hundred.
 */
const PRECISION = 0.025;
const HEADLINES = ['cpuUsPerCall', 'callsPerSec'];

/** How many interleaved windows a seq or conc cell measures per target. */
function roundsOf(cell: Cell): number | RoundPlan {
  if (cell.workload !== 'conc') return plan.seqRounds;
  const rounds = plan.concRounds[cell.transport];
  if (typeof rounds === 'number') return rounds;
  const enough = (done: Round[]) =>
    cell.targets.every((t) => t === 'floor' || HEADLINES.every((metric) => (summary(done, t, metric).interval ?? Infinity) <= PRECISION));
  const step = cell.targets.length * Math.ceil(rounds.min / 4 / cell.targets.length);
  return { ...rounds, step, enough };
}
const roundsText = (r: number | RoundPlan) => (typeof r === 'number' ? String(r) : `${r.min}–${r.max}`);

function ensurePeers(): void {
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

/** How the measurement process of one target of one cell starts. */
function launch(cell: Cell, target: string): Launch {
  const node = [process.execPath, '--expose-gc', measureScript, cell.workload, target, cell.transport, String(cell.size), '64'];
  const [command, ...args] = pinned ? ['taskset', '-c', '1', ...node] : node;
  return {
    command: command!,
    args,
    cwd: root,
    env: { ...process.env, BENCH_WARMUP: String(plan.warmup[cell.transport]), BENCH_WARMUP_MS: String(plan.warmup.ms), ...(pinned ? { BENCH_SERVER_CPU: '0' } : {}) },
  };
}

/** One fresh process for one target of a fanout or scale cell; its one JSON line. */
function measureOnce(cell: Cell, target: string): Result | { error: string } {
  const { command, args, cwd, env } = launch(cell, target);
  const out = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 180_000 });
  const line = out.stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) return { error: (out.stderr || out.error?.message || 'no output').split('\n').slice(-3).join(' ') };
  return JSON.parse(line) as Result;
}

/** Bundles measure.ts (and the targets) with esbuild, packages left as imports. */
async function bundleMeasure(): Promise<void> {
  const { build } = await import('esbuild');
  await build({ entryPoints: [measureSource], outfile: measureScript, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
}

function cells(): Cell[] {
  const list: Cell[] = [];
  for (const transport of ['memory', 'stdio', 'http'] as const) {
    list.push({ workload: 'seq', transport, size: plan.seq[transport], targets: PEERS_OVER[transport] });
    list.push({ workload: 'conc', transport, size: plan.conc[transport], targets: PEERS_OVER[transport] });
  }
  for (const n of plan.fanout) list.push({ workload: 'fanout', transport: 'stdio', size: n, targets: TARGETS });
  // The one-server routing baseline is part of the full run only (it keeps the quick run short).
  if (!quick) list.push({ workload: 'scale', transport: 'memory', size: 1, targets: ['floor', 'switchboard'] });
  list.push({ workload: 'scale', transport: 'memory', size: plan.scale, targets: ['floor', 'switchboard'] });
  return list;
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '–' : n.toFixed(digits));
/** "1.44× ±0.03 (1.02–2.40)": the median ratio, half its 95 % interval, the per-round min–max. */
const ratioText = (s: ReturnType<typeof summary>) =>
  s.ratio === undefined ? '–' : `${s.ratio.toFixed(2)}×${s.interval === undefined ? '' : ` ±${s.interval.toFixed(2)}`} (${s.min!.toFixed(2)}–${s.max!.toFixed(2)})`;

function tables(measured: { cell: Cell; rounds: Round[] }[]): string {
  const find = (workload: string, transport: string, size?: number) =>
    measured.find((m) => m.cell.workload === workload && m.cell.transport === transport && (size === undefined || m.cell.size === size));
  const lines: string[] = [];
  lines.push('| transport | target | CPU µs/call (64 in flight) | × floor | calls/s, 64 in flight | × floor | seq p50 µs | seq p99 µs | p50 − floor µs |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const transport of ['memory', 'stdio', 'http'] as const) {
    const conc = find('conc', transport);
    const seq = find('seq', transport);
    if (!conc || !seq) continue;
    for (const target of conc.cell.targets) {
      const cpu = summary(conc.rounds, target, 'cpuUsPerCall');
      const tput = summary(conc.rounds, target, 'callsPerSec');
      const p50 = summary(seq.rounds, target, 'p50Us');
      const p99 = summary(seq.rounds, target, 'p99Us');
      const floorP50 = summary(seq.rounds, 'floor', 'p50Us').value;
      const overhead = p50.value !== undefined && floorP50 !== undefined ? p50.value - floorP50 : undefined;
      lines.push(`| ${transport} | ${target} | ${fmt(cpu.value)} | ${ratioText(cpu)} | ${fmt(tput.value)} | ${ratioText(tput)} | ${fmt(p50.value)} | ${fmt(p99.value)} | ${fmt(overhead)} |`);
    }
  }
  lines.push('', '| fan-out (stdio) | target | ready ms | × floor | RSS MB |', '| --- | --- | ---: | ---: | ---: |');
  for (const n of plan.fanout) {
    const cell = find('fanout', 'stdio', n);
    for (const target of TARGETS) {
      const none = { value: undefined, ratio: undefined, interval: undefined, min: undefined, max: undefined };
      const ready = cell ? summary(cell.rounds, target, 'readyMs') : none;
      const rss = cell ? summary(cell.rounds, target, 'rssMB') : none;
      lines.push(`| ${n} servers | ${target} | ${fmt(ready.value)} | ${ratioText(ready)} | ${fmt(rss.value, 1)} |`);
    }
  }
  lines.push('', '| scale (in memory) | target | route p50 µs, 1 server | route p50 µs, N servers | heap KB per server |', '| --- | --- | ---: | ---: | ---: |');
  for (const target of ['floor', 'switchboard']) {
    const one = find('scale', 'memory', 1);
    const many = find('scale', 'memory', plan.scale);
    const oneP50 = one ? summary(one.rounds, target, 'routeP50Us').value : undefined;
    const manyP50 = many ? summary(many.rounds, target, 'routeP50Us').value : undefined;
    const heap = many ? summary(many.rounds, target, 'heapPerServerKB').value : undefined;
    lines.push(`| N = ${plan.scale} | ${target} | ${fmt(oneP50, 1)} | ${fmt(manyP50, 1)} | ${fmt(heap, 1)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  ensurePeers();
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  await bundleMeasure();
  const started = Date.now();
  const measured = cells().map((cell) => ({ cell, rounds: [] as Round[] }));
  for (const m of measured) {
    const { workload, transport, size } = m.cell;
    if (workload === 'seq' || workload === 'conc') {
      m.rounds = await interleavedRounds(m.cell.targets, roundsOf(m.cell), (target) => launch(m.cell, target), (status) =>
        process.stderr.write(`${workload} ${transport} ${size} (${roundsText(roundsOf(m.cell))} rounds): ${status}\n`),
      );
      continue;
    }
    const rounds = workload === 'fanout' ? plan.fanoutRounds : plan.processRounds;
    for (let round = 0; round < rounds; round++) {
      const order = rotated(m.cell.targets, round);
      const results: Round['results'] = {};
      for (const target of order) results[target] = measureOnce(m.cell, target);
      m.rounds.push({ round, order, results });
      const errors = Object.entries(results).filter(([, r]) => 'error' in r);
      process.stderr.write(`round ${round + 1}/${rounds} ${workload} ${transport} ${size}: ${errors.length ? errors.map(([t, r]) => `${t}: ${(r as { error: string }).error}`).join('; ') : 'ok'}\n`);
    }
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}${pinned ? ', client pinned to core 1, servers to core 0' : ', unpinned'}`;
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const conc = measured.filter((m) => m.cell.workload === 'conc').map((m) => `${m.cell.transport} ${m.rounds.length}`).join(', ');
  console.log(`\n${quick ? 'Quick' : 'Full'} benchmark, interleaved windows per target: concurrent ${conc}, sequential ${plan.seqRounds} (fan-out and scale: ${plan.processRounds} rounds of fresh processes), ${machine}, ${seconds} s\n\n${tables(measured)}\n`);
  mkdirSync(`${root}/bench/results`, { recursive: true });
  writeFileSync(`${root}/bench/results/${quick ? 'quick' : 'latest'}.json`, JSON.stringify({ machine, quick, at: new Date().toISOString(), plan, measured }, null, 2));
}

await main();
