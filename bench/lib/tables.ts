/**
 * The benchmark's Markdown tables from measured rounds (bench/run.ts prints them): per era the
 * per-call rows (CPU, throughput, sequential latency; ratios to that era's floor) and the connect
 * row; fan-out and scale for the legacy era.
 */
import { eraOf, type Plan } from './plan.js';
import { routeTable } from './routeRow.js';
import { median, summary, type Cell, type Result, type Round } from './summary.js';
import type { Era } from './targets.js';
import { tracesTable } from './tracesRow.js';

/** One measured cell. */
export interface Measured {
  cell: Cell;
  rounds: Round[];
}

/** How a target is named in the tables of an era (the connect row names the legacy switchboard's `protocol` too). */
export function targetLabel(era: Era, target: string, connect = false): string {
  if (era === 'legacy') {
    if (target === 'switchboard-legacy') return 'switchboard (2025-11-25)';
    if (target === 'switchboard' && connect) return 'switchboard (auto)';
    return target;
  }
  const labels: Record<string, string> = {
    floor: 'floor (v2 Client, pinned)',
    'sdk-auto': 'v2 Client, SDK auto',
    switchboard: 'switchboard (2026-07-28)',
    'switchboard-auto': 'switchboard (auto)',
  };
  return labels[target] ?? target;
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '–' : n.toFixed(digits));
/** "1.44× ±0.03 (1.02–2.40)": the median ratio, half its 95 % interval, the per-round min–max. */
export const ratioText = (s: ReturnType<typeof summary>) =>
  s.ratio === undefined ? '–' : `${s.ratio.toFixed(2)}×${s.interval === undefined ? '' : ` ±${s.interval.toFixed(2)}`} (${s.min!.toFixed(2)}–${s.max!.toFixed(2)})`;

const finder = (measured: Measured[], era: Era) => (workload: string, transport: string, size?: number) =>
  measured.find((m) => eraOf(m.cell) === era && m.cell.workload === workload && m.cell.transport === transport && (size === undefined || m.cell.size === size));

/** Client CPU per call, throughput with 64 in flight and sequential latency, per transport, of one era. */
export function perCallTable(measured: Measured[], era: Era): string[] {
  const find = finder(measured, era);
  const lines = ['| transport | target | CPU µs/call (64 in flight) | × floor | calls/s, 64 in flight | × floor | seq p50 µs | seq p99 µs | p50 − floor µs |', '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
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
      lines.push(`| ${transport} | ${targetLabel(era, target)} | ${fmt(cpu.value)} | ${ratioText(cpu)} | ${fmt(tput.value)} | ${ratioText(tput)} | ${fmt(p50.value)} | ${fmt(p99.value)} | ${fmt(overhead)} |`);
    }
  }
  return lines;
}

/** The most frequent value of a text field over the rounds (wire counts are the same every round unless something changed). */
function usual(rounds: Round[], target: string, field: string): string {
  const seen = new Map<string, number>();
  for (const round of rounds) {
    const value = (round.results[target] as Result | undefined)?.[field];
    if (typeof value === 'string') seen.set(value, (seen.get(value) ?? 0) + 1);
  }
  const best = [...seen].sort((a, b) => b[1] - a[1])[0];
  if (!best) return '–';
  return best[1] === rounds.length ? best[0] : `${best[0]} (${best[1]} of ${rounds.length})`;
}

/** The median of a numeric field over the rounds that have it. */
function medianOf(rounds: Round[], target: string, field: string): number | undefined {
  const values = rounds.map((r) => (r.results[target] as Result | undefined)?.[field]).filter((v): v is number => typeof v === 'number');
  return values.length ? median(values) : undefined;
}

/**
 * The connect row of one era: per transport and target, a first connect and a reconnect (ms,
 * median over fresh processes) and what the server saw (processes, requests by method), then how
 * many round trips `auto` adds to the pinned era's connect.
 */
export function connectTable(measured: Measured[], era: Era): string[] {
  const cells = measured.filter((m) => eraOf(m.cell) === era && m.cell.workload === 'connect');
  if (cells.length === 0) return [];
  const lines = ['| connect | target | first ms | first: server saw | reconnect ms | reconnect: server saw |', '| --- | --- | ---: | --- | ---: | --- |'];
  const extra: string[] = [];
  for (const { cell, rounds } of cells) {
    for (const target of cell.targets) {
      const error = rounds.map((r) => r.results[target]).find((r): r is { error: string } => !!r && 'error' in r);
      if (error && !rounds.some((r) => typeof (r.results[target] as Result | undefined)?.connectMs === 'number')) {
        lines.push(`| ${cell.transport} | ${targetLabel(era, target, true)} | – | failed: ${error.error.slice(0, 120)} | – | – |`);
        continue;
      }
      lines.push(
        `| ${cell.transport} | ${targetLabel(era, target, true)} | ${fmt(medianOf(rounds, target, 'connectMs'))} | ${usual(rounds, target, 'connectWire')} | ${fmt(medianOf(rounds, target, 'reconnectMs'))} | ${usual(rounds, target, 'reconnectWire')} |`,
      );
    }
    const pinned = era === 'legacy' ? 'switchboard-legacy' : 'switchboard';
    const auto = era === 'legacy' ? 'switchboard' : 'switchboard-auto';
    const diff = (field: string) => {
      const a = medianOf(rounds, auto, field);
      const p = medianOf(rounds, pinned, field);
      return a === undefined || p === undefined ? '–' : String(a - p);
    };
    extra.push(`${cell.transport}: auto − pinned = ${diff('connectRoundTrips')} round trip(s) on the first connect, ${diff('reconnectRoundTrips')} on a reconnect`);
  }
  return [...lines, '', ...extra.map((line) => `- ${line}`)];
}

/** Fan-out, then routing among 1 and N servers and the tracing hooks (legacy era; runs before the route row: scale). */
export function processTables(measured: Measured[], plan: Plan, targets: string[]): string[] {
  const find = finder(measured, 'legacy');
  const none = { value: undefined, ratio: undefined, interval: undefined, min: undefined, max: undefined };
  const lines = ['| fan-out (stdio) | target | ready ms | × floor | RSS MB |', '| --- | --- | ---: | ---: | ---: |'];
  for (const n of plan.fanout) {
    const cell = find('fanout', 'stdio', n);
    if (!cell) continue;
    for (const target of targets) {
      const ready = cell ? summary(cell.rounds, target, 'readyMs') : none;
      const rss = cell ? summary(cell.rounds, target, 'rssMB') : none;
      lines.push(`| ${n} servers | ${target} | ${fmt(ready.value)} | ${ratioText(ready)} | ${fmt(rss.value, 1)} |`);
    }
  }
  const route = routeTable(measured.filter((m) => eraOf(m.cell) === 'legacy'));
  if (route.length) {
    lines.push('', ...route);
    const traces = tracesTable(measured);
    if (traces.length) lines.push('', ...traces);
    return lines;
  }
  // Runs before the route row: the scale cells (fresh processes, no interval).
  lines.push('', '| scale (in memory) | target | route p50 µs, 1 server | route p50 µs, N servers | heap KB per server |', '| --- | --- | ---: | ---: | ---: |');
  for (const target of ['floor', 'switchboard']) {
    const one = find('scale', 'memory', 1);
    const many = find('scale', 'memory', plan.scale);
    if (!many) continue;
    const oneP50 = one ? summary(one.rounds, target, 'routeP50Us').value : undefined;
    const manyP50 = summary(many.rounds, target, 'routeP50Us').value;
    const heap = summary(many.rounds, target, 'heapPerServerKB').value;
    lines.push(`| N = ${plan.scale} | ${target} | ${fmt(oneP50, 1)} | ${fmt(manyP50, 1)} | ${fmt(heap, 1)} |`);
  }
  return lines;
}

/** Every table of a run, era by era; `notes` per era are printed under its heading (e.g. skipped peers). */
export function tables(measured: Measured[], plan: Plan, eras: Era[], notes: Partial<Record<Era, string[]>> = {}): string {
  const out: string[] = [];
  for (const era of eras) {
    out.push(era === 'legacy' ? '### Legacy era (2025-11-25): floor = bare v1 SDK Client' : '### Modern era (2026-07-28): floor = bare v2 Client pinned to 2026-07-28, v2 server', '');
    for (const note of notes[era] ?? []) out.push(`> ${note}`, '');
    out.push(...perCallTable(measured, era), '');
    const connect = connectTable(measured, era);
    if (connect.length) out.push(...connect, '');
    if (era === 'legacy') out.push(...processTables(measured, plan, ['floor', 'switchboard', 'langchain', 'mastra']), '');
  }
  return out.join('\n').trimEnd();
}
