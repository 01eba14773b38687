/**
 * One measurement in a fresh Node process (the runner starts one per measurement):
 *   measure.ts <workload> <target> <transport> <size> [inflight]
 * Prints one JSON line with the result.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { BENCH_SERVER, type ServerSpec, type Target } from './targets.js';
import { loadTarget } from './registry.js';

const [workload = 'seq', targetName = 'floor', transport = 'memory', sizeText = '1000', inflightText = '64'] = process.argv.slice(2);
const size = Number(sizeText);
const inflight = Number(inflightText);
/** Calls before measuring, so JIT and connection pools are warm (the quick run uses fewer). */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 200);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

async function startHttpServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [BENCH_SERVER, 'http'], { stdio: ['ignore', 'pipe', 'inherit'] });
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

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function withTarget<T>(specs: ServerSpec[], work: (target: Target) => Promise<T>): Promise<T> {
  const target = await loadTarget(targetName);
  await target.connect(specs);
  try {
    return await work(target);
  } finally {
    await target.close();
  }
}

async function main(): Promise<Record<string, unknown>> {
  let http: { url: string; child: ChildProcess } | undefined;
  const spec = async (name: string): Promise<ServerSpec> => {
    if (transport !== 'http') return { name, transport: transport as ServerSpec['transport'] };
    http ??= await startHttpServer();
    return { name, transport: 'http', url: http.url };
  };
  try {
    if (workload === 'seq' || workload === 'conc') {
      return await withTarget([await spec('s0')], async (target) => {
        for (let i = 0; i < WARMUP; i++) await target.call('s0', 'echo', { text: 'warm' });
        if (workload === 'seq') {
          const latencies: number[] = [];
          const cpu = process.cpuUsage();
          const started = performance.now();
          for (let i = 0; i < size; i++) {
            const t = performance.now();
            await target.call('s0', 'echo', { text: 'hello' });
            latencies.push((performance.now() - t) * 1000);
          }
          const elapsed = performance.now() - started;
          const used = process.cpuUsage(cpu);
          latencies.sort((a, b) => a - b);
          return { p50Us: percentile(latencies, 50), p99Us: percentile(latencies, 99), callsPerSec: (size / elapsed) * 1000, cpuUsPerCall: (used.user + used.system) / size };
        }
        let next = 0;
        const cpu = process.cpuUsage();
        const started = performance.now();
        await Promise.all(
          Array.from({ length: inflight }, async () => {
            while (next < size) {
              next++;
              await target.call('s0', 'echo', { text: 'hello' });
            }
          }),
        );
        const elapsed = performance.now() - started;
        const used = process.cpuUsage(cpu);
        return { callsPerSec: (size / elapsed) * 1000, cpuUsPerCall: (used.user + used.system) / size };
      });
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
  }
}

const result = await main();
process.stdout.write(`${JSON.stringify({ workload, target: targetName, transport, size, ...result })}\n`);
process.exit(0);
