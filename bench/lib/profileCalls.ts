/**
 * A CPU profile of the steady-state call path only (after warm-up), for bench/PROFILE.md:
 *   node --expose-gc --import tsx bench/lib/profileCalls.ts <target> <transport> <seq|conc> <calls> <out.cpuprofile>
 * In the modern era (v2 server, modern targets: bench/lib/registry.ts) with BENCH_ERA=modern.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadTarget } from './registry.js';

const [targetName = 'switchboard', transport = 'memory', workload = 'conc', callsText = '40000', out = 'calls.cpuprofile'] = process.argv.slice(2);
const calls = Number(callsText);
const target = await loadTarget(targetName);
await target.connect([{ name: 's0', transport: transport as 'memory' | 'stdio' }]);
const run = async (n: number) => {
  if (workload === 'seq') {
    for (let i = 0; i < n; i++) await target.call('s0', 'echo', { text: 'hello' });
    return;
  }
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next < n) { next++; await target.call('s0', 'echo', { text: 'hello' }); }
  }));
};
await run(5000);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 50 });
await session.post('Profiler.start');
const cpu = process.cpuUsage();
await run(calls);
const used = process.cpuUsage(cpu);
const { profile } = await session.post('Profiler.stop');
writeFileSync(out, JSON.stringify(profile));
process.stdout.write(`${targetName} ${transport} ${workload}: ${((used.user + used.system) / calls).toFixed(1)} µs CPU per call\n`);
await target.close();
process.exit(0);
