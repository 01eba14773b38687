/**
 * The tracing row (issue 25 item 1): what the tracing hooks cost a call when no OpenTelemetry SDK
 * is registered. The hooks every call runs (start the span, set the era, inject into `_meta`, end
 * it; src/traces/calls.ts, loaded from the runner's copy of the build) against the same loop
 * without them, each in its own live process, in interleaved windows like every per-call row; the
 * figure is the median of the per-round differences (µs per call) with its interval.
 *
 * Why not two switchboard targets, with and without tracing: the product has no switch to compile
 * tracing out (and the bench must not change it), and a registered no-op provider against none
 * measures two no-op paths against each other, not what tracing costs. And a per-call pair could
 * not resolve it anyway: the hooks cost ~0.2 µs, while a call's CPU ratio is pinned to ±0.02 of
 * ~50 µs, ±1 µs. So the hooks are timed alone, and set beside a whole call of the same run.
 */
import { median, difference, summary } from './summary.js';
import type { Measured } from './tables.js';

type TraceHooks = typeof import('../../src/traces/index.js');

/** The row's baseline and target. */
export const TRACE_TARGETS = ['empty', 'hooks'];

const call = { server: 's0', kind: 'tool', tool: 'echo', method: undefined };
const meta = { 'example.com/tenant': 't1' };

/**
 * `n` calls' worth of tracing: every other call carries a `_meta` (no `traceparent`), as in
 * bench/traces.ts. Returns a count the caller must use, so no loop is optimized away.
 */
export function hookLoop(hooks: TraceHooks, n: number): number {
  let sink = 0;
  for (let i = 0; i < n; i++) {
    const span = hooks.startCallSpan(call, i & 1 ? meta : undefined);
    hooks.setCallEra(span, 'legacy', '2025-11-25');
    if (hooks.injectCallContext(span, meta) !== meta) sink++;
    hooks.endCallSpan(span, { ok: true, isError: false });
    if (i & 1) sink++;
  }
  return sink;
}

/** The same loop without the hooks. */
export function emptyLoop(n: number): number {
  let sink = 0;
  for (let i = 0; i < n; i++) if ((i & 1 ? meta : undefined) !== undefined) sink++;
  return sink;
}

const fmt = (n: number | undefined, digits = 3) => (n === undefined ? '–' : n.toFixed(digits));

/**
 * The tracing table: the hooks' cost per call (median of per-round differences, ± half its 95 %
 * interval, min–max), both loops, and its share of a whole switchboard call of the same run (the
 * in-memory client CPU per call with 64 in flight, legacy era, when measured).
 */
export function tracesTable(measured: Measured[]): string[] {
  const cell = measured.find((m) => m.cell.workload === 'traces');
  if (!cell) return [];
  const error = cell.rounds.flatMap((r) => Object.values(r.results)).find((r): r is { error: string } => !!r && 'error' in r);
  const d = difference(cell.rounds, 'hooks', 'usPerCall', 'empty');
  const conc = measured.find((m) => (m.cell.era ?? 'legacy') === 'legacy' && m.cell.workload === 'conc' && m.cell.transport === 'memory');
  const whole = conc ? summary(conc.rounds, 'switchboard', 'cpuUsPerCall').value : undefined;
  const share = d.value !== undefined && whole ? `${((d.value / whole) * 100).toFixed(2)} % of ${whole.toFixed(0)} µs` : '–';
  const cost =
    d.value === undefined ? (error ? `failed: ${error.error.slice(0, 120)}` : '–') : `${fmt(d.value)}${d.interval === undefined ? '' : ` ±${fmt(d.interval)}`} (${fmt(d.min)}–${fmt(d.max)})`;
  const perCall = (t: string) => {
    const values = cell.rounds.map((r) => (r.results[t] as Record<string, unknown> | undefined)?.usPerCall).filter((v): v is number => typeof v === 'number');
    return values.length ? fmt(median(values)) : '–';
  };
  return [
    `| tracing, no SDK registered (${cell.rounds.length} rounds of ${cell.cell.size} calls) | hooks µs/call | empty loop µs/call | hooks − empty µs/call | share of a switchboard call (CPU, in memory, 64 in flight) |`,
    '| --- | ---: | ---: | ---: | ---: |',
    `| start span, set era, inject \`_meta\`, end span | ${perCall('hooks')} | ${perCall('empty')} | ${cost} | ${share} |`,
  ];
}
