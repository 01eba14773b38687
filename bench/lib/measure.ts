/**
 * One target's measurements in a fresh Node process:
 *   measure.ts <workload> <target> <transport> <size> [inflight]
 * in the era of BENCH_ERA (`legacy`, the default, or `modern`: the v2 benchmark server and the
 * modern targets, bench/lib/registry.ts). fanout, scale and connect print one JSON line with the
 * result. seq, conc, route and traces warm up, print READY, then run one window of <size> calls
 * for every "window" line on stdin and print its JSON line, until stdin ends (the runner
 * interleaves the windows of every target's process). route: <target> is `floor@1000` and the
 * like (bench/lib/routeRow.ts); traces: `hooks` or `empty` (bench/lib/tracesRow.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { measureConnect } from './connectRow.js';
import { benchEra, libraryUrl, serverCommand, type ServerSpec, type Target } from './targets.js';
import { parseRouteTarget } from './routeRow.js';
import { emptyLoop, hookLoop } from './tracesRow.js';
import { loadTarget } from './registry.js';

const [workload = 'seq', targetName = 'floor', transport = 'memory', sizeText = '1000', inflightText = '64'] = process.argv.slice(2);
const size = Number(sizeText);
const inflight = Number(inflightText);
/**
 * Warm-up before measuring: at least this many calls and this many ms, so the JIT has compiled the
 * call path and the heap has grown to its working size. A host pays the steady state; the first
 * few thousand calls of a process measure V8's tiers instead (measured: a switchboard call costs
 * 2–3× more CPU in its first 1 000 calls than after 4 000), which made short runs disagree.
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 4000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1500);

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

async function startHttpServer(): Promise<{ url: string; child: ChildProcess }> {
  const { command, args } = serverCommand('http');
  // stdin is a pipe only so that the server exits with this process, however it ends.
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  return { url: `http://127.0.0.1:${port}/mcp`, child };
}

/** Prints READY, then one JSON line of `measure()` per "window" line on stdin, until stdin ends or says otherwise. */
async function windows(measure: () => Promise<Record<string, number>>): Promise<void> {
  process.stdout.write('READY\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line !== 'window') break;
    process.stdout.write(`${JSON.stringify(await measure())}\n`);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * A row of one era must measure that era: a target that reports another (a switchboard on `auto`
 * that fell back to `initialize`, a client that was never upgraded) fails the measurement instead
 * of filling the modern rows with legacy numbers.
 */
function checkEra(target: Target, server: string): void {
  const era = target.era?.(server);
  if (era !== undefined && era !== benchEra()) throw new Error(`${targetName} connected in the ${era} era, not ${benchEra()}`);
}

async function withTarget<T>(specs: ServerSpec[], work: (target: Target) => Promise<T>, name = targetName): Promise<T> {
  const target = await loadTarget(name);
  await target.connect(specs);
  try {
    checkEra(target, specs[0]!.name);
    return await work(target);
  } finally {
    await target.close();
  }
}

async function main(): Promise<Record<string, unknown>> {
  let http: { url: string; child: ChildProcess } | undefined;
  // The connect row counts the server's side of the wire (bench/lib/connectRow.ts); set before any server starts.
  const wireLog = workload === 'connect' ? join(tmpdir(), `bench-wire-${process.pid}.log`) : undefined;
  if (wireLog) process.env.BENCH_WIRE_LOG = wireLog;
  const spec = async (name: string): Promise<ServerSpec> => {
    if (transport !== 'http') return { name, transport: transport as ServerSpec['transport'] };
    http ??= await startHttpServer();
    return { name, transport: 'http', url: http.url };
  };
  try {
    if (workload === 'seq' || workload === 'conc') {
      return await withTarget([await spec('s0')], async (target) => {
        const call = () => target.call('s0', 'echo', { text: 'hello' });
        const latencies: number[] = [];
        /** `n` calls the way the workload makes them: one after another, or `inflight` at a time. */
        const run = async (n: number, timed: boolean) => {
          if (workload === 'seq') {
            for (let i = 0; i < n; i++) {
              const t = performance.now();
              await call();
              if (timed) latencies.push((performance.now() - t) * 1000);
            }
            return;
          }
          let next = 0;
          await Promise.all(
            Array.from({ length: inflight }, async () => {
              while (next < n) {
                next++;
                await call();
              }
            }),
          );
        };
        // Warm up in the measured shape: concurrent calls take paths (and heap sizes) a sequential warm-up never reaches.
        const warmUntil = performance.now() + WARMUP_MS;
        const batch = Math.min(500, Math.max(inflight, WARMUP));
        for (let done = 0; done < WARMUP || performance.now() < warmUntil; done += batch) await run(batch, false);
        // Interleaved windows: the runner keeps every target's process alive and asks each in
        // turn for one window ("window" on stdin), so a noisy neighbour moves every target of a
        // round alike; one JSON line per window, then "done".
        process.stdout.write('READY\n');
        for await (const line of createInterface({ input: process.stdin })) {
          if (line !== 'window') break;
          latencies.length = 0;
          const cpu = process.cpuUsage();
          const started = performance.now();
          await run(size, workload === 'seq');
          const elapsed = performance.now() - started;
          const used = process.cpuUsage(cpu);
          const window: Record<string, number> = { cpuUsPerCall: (used.user + used.system) / size, callsPerSec: (size / elapsed) * 1000 };
          if (workload === 'seq') {
            latencies.sort((x, y) => x - y);
            window.p50Us = percentile(latencies, 50);
            window.p99Us = percentile(latencies, 99);
          }
          process.stdout.write(`${JSON.stringify(window)}\n`);
        }
        return { windows: 'done' };
      });
    }
    if (workload === 'route') {
      // One process per target and server count; heap per server measured once, before the warm-up.
      const { base, servers } = parseRouteTarget(targetName);
      gc();
      gc();
      const before = process.memoryUsage().heapUsed;
      const specs = await Promise.all(Array.from({ length: servers }, (_, i) => spec(`s${i}`)));
      return await withTarget(
        specs,
        async (target) => {
          gc();
          gc();
          const heapPerServerKB = (process.memoryUsage().heapUsed - before) / servers / 1024;
          const spread = Math.min(servers, 10);
          const latencies: number[] = [];
          const run = async (n: number) => {
            for (let i = 0; i < n; i++) {
              const t = performance.now();
              await target.call(`s${i % spread}`, 'tool_3', {});
              latencies.push((performance.now() - t) * 1000);
            }
          };
          const warmUntil = performance.now() + WARMUP_MS;
          for (let done = 0; done < WARMUP || performance.now() < warmUntil; done += 500) await run(500);
          await windows(async () => {
            latencies.length = 0;
            const cpu = process.cpuUsage();
            await run(size);
            const used = process.cpuUsage(cpu);
            latencies.sort((x, y) => x - y);
            return { routeP50Us: percentile(latencies, 50), routeP99Us: percentile(latencies, 99), cpuUsPerCall: (used.user + used.system) / size, heapPerServerKB };
          });
          return { windows: 'done' };
        },
        base,
      );
    }
    if (workload === 'traces') {
      // The build's own tracing module (the runner's copy), with no OpenTelemetry SDK registered in this process.
      const hooks = (await import(new URL('./traces/index.js', libraryUrl).href)) as typeof import('../../src/traces/index.js');
      if (targetName !== 'hooks' && targetName !== 'empty') throw new Error(`unknown traces target ${targetName}`);
      const loop = targetName === 'hooks' ? (n: number) => hookLoop(hooks, n) : emptyLoop;
      let sink = 0;
      const warmUntil = performance.now() + WARMUP_MS;
      while (performance.now() < warmUntil) sink += loop(10_000);
      await windows(async () => {
        const cpu = process.cpuUsage();
        const started = performance.now();
        sink += loop(size);
        const elapsed = performance.now() - started;
        const used = process.cpuUsage(cpu);
        return { usPerCall: (elapsed * 1000) / size, cpuUsPerCall: (used.user + used.system) / size };
      });
      return { windows: 'done', sink };
    }
    if (workload === 'fanout') {
      const specs = await Promise.all(Array.from({ length: size }, (_, i) => spec(`s${i}`)));
      const started = performance.now();
      const target = await loadTarget(targetName);
      await target.connect(specs);
      const readyMs = performance.now() - started;
      const rssMB = process.memoryUsage().rss / 2 ** 20;
      await target.call('s0', 'tool_1', {});
      await target.close();
      return { readyMs, rssMB };
    }
    if (workload === 'connect') {
      const target = await loadTarget(targetName);
      try {
        return await measureConnect(target, await spec('s0'), wireLog!, benchEra());
      } finally {
        await target.close();
      }
    }
    if (workload === 'scale') {
      gc();
      gc();
      const before = process.memoryUsage().heapUsed;
      const specs = await Promise.all(Array.from({ length: size }, (_, i) => spec(`s${i}`)));
      return await withTarget(specs, async (target) => {
        gc();
        gc();
        const heapPerServerKB = (process.memoryUsage().heapUsed - before) / size / 1024;
        for (let i = 0; i < WARMUP; i++) await target.call('s0', 'tool_3', {});
        const latencies: number[] = [];
        for (let i = 0; i < 2000; i++) {
          const t = performance.now();
          await target.call(`s${i % Math.min(size, 10)}`, 'tool_3', {});
          latencies.push((performance.now() - t) * 1000);
        }
        latencies.sort((a, b) => a - b);
        return { heapPerServerKB, routeP50Us: percentile(latencies, 50) };
      });
    }
    throw new Error(`unknown workload ${workload}`);
  } finally {
    http?.child.kill('SIGTERM');
    if (wireLog) rmSync(wireLog, { force: true });
  }
}

const result = await main();
process.stdout.write(`${JSON.stringify({ workload, target: targetName, era: benchEra(), transport, size, ...result })}\n`);
process.exit(0);
