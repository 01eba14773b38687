import { fileURLToPath } from 'node:url';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { cellsOf, parseRunOptions, planOf } from '../../bench/lib/plan.js';
import { parseRouteTarget, routeEnough, routeTable, routeTargets } from '../../bench/lib/routeRow.js';
import { difference, type Cell, type Result, type Round } from '../../bench/lib/summary.js';
import { processTables } from '../../bench/lib/tables.js';
import { libraryUrl } from '../../bench/lib/targets.js';
import { emptyLoop, hookLoop, TRACE_TARGETS, tracesTable } from '../../bench/lib/tracesRow.js';
import { interleavedRounds } from '../../bench/lib/windows.js';

/** Rounds where each target's window is given per round. */
const rounds = (values: Record<string, Result[]>): Round[] =>
  Object.values(values)[0]!.map((_, round) => ({
    round,
    order: Object.keys(values),
    results: Object.fromEntries(Object.entries(values).map(([target, list]) => [target, list[round]!])),
  }));
const p50 = (list: number[], heap = 100) => list.map((routeP50Us) => ({ routeP50Us, heapPerServerKB: heap }));
const us = (list: number[]) => list.map((usPerCall) => ({ usPerCall }));

describe('the route and tracing rows in the plan', () => {
  it('measures routing among 1 and N servers and the tracing hooks in interleaved rounds, in the legacy era only', () => {
    for (const quick of [true, false]) {
      const plan = planOf(quick);
      const cells = cellsOf(parseRunOptions(quick ? ['--quick'] : []), plan);
      const route = cells.filter((c) => c.workload === 'route');
      expect(route).toEqual([{ era: 'legacy', workload: 'route', transport: 'memory', size: plan.route.calls, targets: ['floor@1', 'switchboard@1', `floor@${plan.scale}`, `switchboard@${plan.scale}`] }]);
      expect(cells.filter((c) => c.workload === 'traces')).toEqual([{ era: 'legacy', workload: 'traces', transport: 'memory', size: plan.traces.calls, targets: TRACE_TARGETS }]);
      // The fresh-process scale cells (no interval) are gone; enough rounds for an interval of the median.
      expect(cells.some((c) => c.workload === 'scale')).toBe(false);
      const routeRounds = plan.route.rounds;
      expect(typeof routeRounds === 'number' ? routeRounds : routeRounds.min).toBeGreaterThanOrEqual(6);
      expect(plan.traces.rounds).toBeGreaterThanOrEqual(6);
    }
    expect(planOf(false).scale).toBe(1000);
    expect(cellsOf(parseRunOptions(['--era', 'modern']), planOf(true)).some((c) => c.workload === 'route' || c.workload === 'traces')).toBe(false);
  });

  it('adds rounds in a full run until both N ÷ 1 ratios are pinned like the headline ratios', () => {
    expect(planOf(false).route.rounds).toEqual({ min: 120, max: 240, fork: 40 });
    const enough = routeEnough(1000, 0.025);
    const ratios = (n: number, spread: number) =>
      rounds({
        'floor@1': p50(Array(n).fill(10)),
        'switchboard@1': p50(Array(n).fill(10)),
        'floor@1000': p50(Array.from({ length: n }, (_, i) => 10 + (i % 2) * spread)),
        'switchboard@1000': p50(Array.from({ length: n }, (_, i) => 12 + (i % 2) * spread)),
      });
    expect(enough(ratios(20, 0))).toBe(true);
    // Half the rounds at 1.0 and half at 1.5 (floor) — the interval spans both: not yet.
    expect(enough(ratios(20, 5))).toBe(false);
    expect(enough(ratios(5, 0))).toBe(false); // too few rounds for an interval
  });

  it('names a route target by its base and server count', () => {
    expect(routeTargets(1000)).toEqual(['floor@1', 'switchboard@1', 'floor@1000', 'switchboard@1000']);
    expect(parseRouteTarget('switchboard@1000')).toEqual({ base: 'switchboard', servers: 1000 });
    expect(() => parseRouteTarget('switchboard')).toThrow(/<target>@<servers>/);
    expect(() => parseRouteTarget('floor@0')).toThrow(/<target>@<servers>/);
  });
});

describe('the route table', () => {
  it('gives each target its N ÷ 1 ratio as the median of per-round ratios, with its interval and spread', () => {
    // switchboard: per-round ratios 2.5, 1, 1, 1, 1, 1 → 1.00; the ratio of the medians (60 / 50) would say 1.2.
    const measured = [
      {
        cell: { era: 'legacy', workload: 'route', transport: 'memory', size: 500, targets: routeTargets(1000) } as Cell,
        rounds: rounds({
          'floor@1': p50([20, 20, 20, 20, 20, 20]),
          'switchboard@1': p50([40, 40, 40, 60, 60, 60]),
          'floor@1000': p50([30, 30, 30, 30, 30, 30], 83),
          'switchboard@1000': p50([100, 40, 40, 60, 60, 60], 106),
        }),
      },
    ];
    const text = routeTable(measured).join('\n');
    expect(text).toContain('| N = 1000 | floor | 20.0 | 30.0 | 1.50× ±0.00 (1.50–1.50) | 83.0 |');
    expect(text).toContain('| N = 1000 | switchboard | 50.0 | 60.0 | 1.00× ±0.75 (1.00–2.50) | 106.0 |');
    expect(text).toContain('6 rounds');
    // The legacy tables print it in place of the old scale table.
    const tables = processTables(measured, planOf(false), ['floor', 'switchboard']).join('\n');
    expect(tables).toContain('| route (in memory, sequential, 6 rounds)');
    expect(tables).not.toContain('| scale (in memory)');
  });

  it('says why a target failed instead of printing a ratio', () => {
    const failed = { error: 'did not get ready: boom' };
    const measured = [{ cell: { era: 'legacy', workload: 'route', transport: 'memory', size: 5, targets: routeTargets(10) } as Cell, rounds: rounds({ 'floor@1': p50([1]), 'switchboard@1': [failed], 'floor@10': p50([2]), 'switchboard@10': [failed] }) }];
    expect(routeTable(measured).join('\n')).toContain('| N = 10 | switchboard | – | – | failed: did not get ready: boom |');
  });
});

describe('the tracing row', () => {
  it('reports the median of per-round differences with its interval, and its share of a whole call of the same run', () => {
    // differences 0.10, 0.20, 0.20, 0.20, 0.20, 0.90 → 0.20; the difference of the medians (0.75 − 0.5) would say 0.25.
    const cell = { era: 'legacy', workload: 'traces', transport: 'memory', size: 200_000, targets: TRACE_TARGETS } as Cell;
    const measured = [
      { cell, rounds: rounds({ empty: us([0.5, 0.5, 0.5, 0.6, 0.6, 0.1]), hooks: us([0.6, 0.7, 0.7, 0.8, 0.8, 1.0]) }) },
      { cell: { era: 'legacy', workload: 'conc', transport: 'memory', size: 2000, targets: ['floor', 'switchboard'] } as Cell, rounds: rounds({ floor: [{ cpuUsPerCall: 30 }], switchboard: [{ cpuUsPerCall: 50 }] }) },
    ];
    const d = difference(measured[0]!.rounds, 'hooks', 'usPerCall', 'empty');
    expect(d.value).toBeCloseTo(0.2, 10);
    expect(d.min).toBeCloseTo(0.1, 10);
    expect(d.max).toBeCloseTo(0.9, 10);
    expect(d.interval).toBeCloseTo((0.9 - 0.1) / 2, 10);
    const text = tracesTable(measured).join('\n');
    expect(text).toContain('| 0.750 | 0.500 | 0.200 ±0.400 (0.100–0.900) | 0.40 % of 50 µs |');
    expect(processTables([...measured, { cell: { era: 'legacy', workload: 'route', transport: 'memory', size: 5, targets: routeTargets(10) }, rounds: [] }], planOf(true), []).join('\n')).toContain('tracing, no SDK registered');
    expect(tracesTable([])).toEqual([]);
  });

  it('times the build’s own call hooks: with an SDK registered, the measured loop records one span per call', async () => {
    const hooks = (await import(new URL('./traces/index.js', libraryUrl).href)) as typeof import('../../src/traces/index.js');
    // No SDK: nothing recorded, and the loop still runs every hook.
    expect(hookLoop(hooks, 10)).toBe(5);
    expect(emptyLoop(10)).toBe(5);
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    try {
      hookLoop(hooks, 10);
      const spans = exporter.getFinishedSpans();
      expect(spans).toHaveLength(10);
      expect(spans[0]!.name).toBe('tools/call echo');
      expect(spans[0]!.attributes['mcp_switchboard.era']).toBe('legacy');
    } finally {
      trace.disable();
    }
  });

  it('measures both rows end to end through the runner’s interleaved windows', async () => {
    const measure = fileURLToPath(new URL('../../bench/lib/measure.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
    const launch = (workload: string, size: number) => (target: string) => ({
      command: tsx,
      args: [measure, workload, target, 'memory', String(size), '64'],
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, BENCH_WARMUP: '20', BENCH_WARMUP_MS: '0' },
    });
    const [route, traces] = await Promise.all([
      interleavedRounds(['floor@1', 'floor@3'], 6, launch('route', 30), () => undefined),
      interleavedRounds(TRACE_TARGETS, 6, launch('traces', 5_000), () => undefined),
    ]);
    const routeText = routeTable([{ cell: { era: 'legacy', workload: 'route', transport: 'memory', size: 30, targets: ['floor@1', 'floor@3'] }, rounds: route }]).join('\n');
    expect(routeText).toMatch(/\| N = 3 \| floor \| \d+\.\d \| \d+\.\d \| \d+\.\d\d× ±\d+\.\d\d \(/);
    expect(route.every((r) => typeof (r.results['floor@3'] as Result).heapPerServerKB === 'number')).toBe(true);
    const d = difference(traces, 'hooks', 'usPerCall', 'empty');
    expect(d.value).toBeGreaterThan(0);
    expect(d.interval).toBeDefined();
  }, 60_000);
});
