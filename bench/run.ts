/**
 * Benchmark runner: `npm run bench` (full, under 10 minutes) or `npm run bench:quick` (under a
 * minute). Every measurement runs in a fresh Node process; each is repeated and the median kept.
 * Prints a table with ratios to the floor (a bare SDK Client per server with a Map router) and
 * writes bench/results/latest.json.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const root = fileURLToPath(new URL('..', import.meta.url));
const measureScript = fileURLToPath(new URL('./lib/measure.ts', import.meta.url));

type Result = Record<string, number | string>;
interface Job {
  workload: 'seq' | 'conc' | 'fanout' | 'scale';
  target: string;
  transport: string;
  size: number;
  repeats: number;
}

const TARGETS = ['floor', 'switchboard', 'langchain', 'mastra'];
const NO_MEMORY = new Set(['langchain', 'mastra']);
const sizes = quick
  ? { seq: { memory: 200, stdio: 200, http: 100 }, conc: { memory: 1000, stdio: 1000, http: 300 }, fanout: [3], scale: 50, repeats: 1 }
  : { seq: { memory: 5000, stdio: 5000, http: 1000 }, conc: { memory: 20000, stdio: 20000, http: 3000 }, fanout: [1, 10, 50], scale: 1000, repeats: 3 };

function ensurePeers(): void {
  if (existsSync(`${root}/bench/peers/node_modules/@langchain/mcp-adapters`) && existsSync(`${root}/bench/peers/node_modules/@mastra/mcp`)) return;
  process.stderr.write('installing the peers into bench/peers (once)...\n');
  execFileSync('npm', ['ci', '--prefix', `${root}/bench/peers`, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' });
}

function measure(job: Job): Result | { error: string } {
  const runs: Result[] = [];
  for (let i = 0; i < job.repeats; i++) {
    const out = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', measureScript, job.workload, job.target, job.transport, String(job.size), '64'], {
      cwd: root,
      env: { ...process.env, BENCH_WARMUP: quick ? '50' : '200' },
      encoding: 'utf8',
      timeout: 180_000,
    });
    const line = out.stdout.split('\n').find((l) => l.startsWith('{'));
    if (!line) return { error: (out.stderr || out.error?.message || 'no output').split('\n').slice(-3).join(' ') };
    runs.push(JSON.parse(line) as Result);
  }
  const median: Result = { ...runs[0]! };
  for (const key of Object.keys(median)) {
    if (typeof median[key] !== 'number' || key === 'size') continue;
    const values = runs.map((r) => r[key] as number).sort((a, b) => a - b);
    median[key] = values[Math.floor(values.length / 2)]!;
  }
  return median;
}

function jobs(): Job[] {
  const list: Job[] = [];
  for (const transport of ['memory', 'stdio', 'http'] as const) {
    for (const target of TARGETS) {
      if (transport === 'memory' && NO_MEMORY.has(target)) continue;
      list.push({ workload: 'seq', target, transport, size: sizes.seq[transport], repeats: sizes.repeats });
      list.push({ workload: 'conc', target, transport, size: sizes.conc[transport], repeats: sizes.repeats });
    }
  }
  // Fan-out is dominated by process start-up, so one run each keeps the full bench under 10 minutes.
  for (const n of sizes.fanout) for (const target of TARGETS) list.push({ workload: 'fanout', target, transport: 'stdio', size: n, repeats: 1 });
  for (const target of ['floor', 'switchboard']) {
    // The one-server routing baseline is part of the full run only (it keeps the quick run under a minute).
    if (!quick) list.push({ workload: 'scale', target, transport: 'memory', size: 1, repeats: sizes.repeats });
    list.push({ workload: 'scale', target, transport: 'memory', size: sizes.scale, repeats: sizes.repeats });
  }
  return list;
}

const fmt = (n: unknown, digits = 0) => (typeof n === 'number' ? n.toFixed(digits) : '–');
const ratio = (a: unknown, b: unknown) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? `${(a / b).toFixed(2)}×` : '–');

function main(): void {
  ensurePeers();
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  const started = Date.now();
  const results: (Result & { error?: string })[] = [];
  for (const job of jobs()) {
    const result = { ...job, ...measure(job) } as Result & { error?: string };
    results.push(result);
    process.stderr.write(`${job.workload} ${job.target} ${job.transport} ${job.size}: ${result.error ?? 'ok'}\n`);
  }
  const find = (workload: string, target: string, transport: string, size?: number) =>
    results.find((r) => r.workload === workload && r.target === target && r.transport === transport && (size === undefined || r.size === size));

  const lines: string[] = [];
  lines.push(`| transport | target | seq p50 µs | seq p99 µs | seq calls/s | CPU µs/call | 64-in-flight calls/s | × floor (64 in flight) |`);
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const transport of ['memory', 'stdio', 'http']) {
    for (const target of TARGETS) {
      const seq = find('seq', target, transport);
      const conc = find('conc', target, transport);
      if (!seq && !conc) continue;
      lines.push(
        `| ${transport} | ${target} | ${fmt(seq?.p50Us)} | ${fmt(seq?.p99Us)} | ${fmt(seq?.callsPerSec)} | ${fmt(seq?.cpuUsPerCall)} | ${fmt(conc?.callsPerSec)} | ${ratio(conc?.callsPerSec, find('conc', 'floor', transport)?.callsPerSec)} |`,
      );
    }
  }
  lines.push('', '| fan-out (stdio) | target | ready ms | × floor | RSS MB |', '| --- | --- | ---: | ---: | ---: |');
  for (const n of sizes.fanout) {
    for (const target of TARGETS) {
      const r = find('fanout', target, 'stdio', n);
      lines.push(`| ${n} servers | ${target} | ${fmt(r?.readyMs)} | ${ratio(r?.readyMs, find('fanout', 'floor', 'stdio', n)?.readyMs)} | ${fmt(r?.rssMB, 1)} |`);
    }
  }
  lines.push('', '| scale (in memory) | target | route p50 µs, 1 server | route p50 µs, N servers | heap KB per server |', '| --- | --- | ---: | ---: | ---: |');
  for (const target of ['floor', 'switchboard']) {
    const one = find('scale', target, 'memory', 1);
    const many = find('scale', target, 'memory', sizes.scale);
    lines.push(`| N = ${sizes.scale} | ${target} | ${fmt(one?.routeP50Us, 1)} | ${fmt(many?.routeP50Us, 1)} | ${fmt(many?.heapPerServerKB, 1)} |`);
  }
  const table = lines.join('\n');
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  console.log(`\n${quick ? 'Quick' : 'Full'} benchmark, ${machine}, ${((Date.now() - started) / 1000).toFixed(0)} s\n\n${table}\n`);
  const errors = results.filter((r) => r.error);
  for (const e of errors) console.log(`failed: ${e.workload} ${e.target} ${e.transport} ${e.size}: ${e.error}`);
  mkdirSync(`${root}/bench/results`, { recursive: true });
  writeFileSync(`${root}/bench/results/${quick ? 'quick' : 'latest'}.json`, JSON.stringify({ machine, quick, at: new Date().toISOString(), results }, null, 2));
}

main();
