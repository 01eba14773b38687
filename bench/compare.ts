/**
 * Compares the headline ratios of two full runs (DESIGN §9: they should agree within ±0.05):
 *   tsx bench/compare.ts <run1.json> <run2.json>
 * Prints a Markdown table: each target's CPU-per-call and throughput ratio to the floor per transport.
 */
import { readFileSync } from 'node:fs';
import { eraOf } from './lib/plan.js';
import { summary, type Cell, type RunFile } from './lib/summary.js';

const [first, second] = process.argv.slice(2).map((file) => JSON.parse(readFileSync(file!, 'utf8')) as RunFile);
if (!first || !second) throw new Error('usage: compare.ts <run1.json> <run2.json>');

const HEADLINES = [
  { metric: 'cpuUsPerCall', label: 'CPU per call' },
  { metric: 'callsPerSec', label: 'throughput, 64 in flight' },
] as const;

const ratioOf = (run: RunFile, like: Cell, target: string, metric: string) => {
  // Runs before the modern rows have no era on their cells: legacy (plan.ts `eraOf`).
  const cell = run.measured.find((m) => m.cell.workload === 'conc' && m.cell.transport === like.transport && eraOf(m.cell) === eraOf(like));
  return cell ? summary(cell.rounds, target, metric) : undefined;
};
const within = (s: ReturnType<typeof summary>) => (s.interval === undefined ? '' : ` ±${s.interval.toFixed(2)}`);

const lines = ['| headline ratio | era | transport | target | run 1 | run 2 | Δ | within ±0.05 | within the runs\' ± |', '| --- | --- | --- | --- | ---: | ---: | ---: | --- | --- |'];
// A run's ± is half the 95 % interval of its median (bench/lib/summary.ts): how far a rerun may move it.
let agree = 0;
let total = 0;
// Δ within the sum of the two runs' ± : the runs agree as closely as each said it would.
let honest = 0;
for (const { metric, label } of HEADLINES) {
  for (const m of first.measured.filter((c) => c.cell.workload === 'conc')) {
    for (const target of m.cell.targets.filter((t) => t !== 'floor')) {
      const a = ratioOf(first, m.cell, target, metric);
      const b = ratioOf(second, m.cell, target, metric);
      if (a?.ratio === undefined || b?.ratio === undefined) continue;
      const delta = Math.abs(a.ratio - b.ratio);
      total++;
      if (delta <= 0.05) agree++;
      const inside = a.interval !== undefined && b.interval !== undefined && delta <= a.interval + b.interval + 0.005;
      if (inside) honest++;
      lines.push(`| ${label} | ${eraOf(m.cell)} | ${m.cell.transport} | ${target} | ${a.ratio.toFixed(2)}×${within(a)} | ${b.ratio.toFixed(2)}×${within(b)} | ${delta.toFixed(2)} | ${delta <= 0.05 ? 'yes' : 'no'} | ${inside ? 'yes' : 'no'} |`);
    }
  }
}
console.log(`${lines.join('\n')}\n\n${agree} of ${total} headline ratios agree within ±0.05; ${honest} of ${total} within the sum of the two runs' ± (to the printed 0.01).`);
