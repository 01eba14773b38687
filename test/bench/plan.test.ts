import { describe, expect, it } from 'vitest';
import { CONNECT_TARGETS, MODERN_TARGETS, cellsOf, eraOf, parseRunOptions, planOf } from '../../bench/lib/plan.js';
import type { Cell, Round } from '../../bench/lib/summary.js';
import { connectTable, perCallTable, tables } from '../../bench/lib/tables.js';

/** Rounds of one cell where every target's metric is given per round. */
const rounds = (values: Record<string, number[]>, metric: string): Round[] =>
  values.floor!.map((_, round) => ({
    round,
    order: Object.keys(values),
    results: Object.fromEntries(Object.entries(values).map(([target, list]) => [target, { [metric]: list[round]! }])),
  }));

describe('benchmark runner options', () => {
  it('runs both eras by default and one era with --era', () => {
    expect(parseRunOptions([])).toEqual({ quick: false, eras: ['legacy', 'modern'] });
    expect(parseRunOptions(['--era', 'modern'])).toEqual({ quick: false, eras: ['modern'] });
    expect(parseRunOptions(['--quick', '--era=legacy'])).toEqual({ quick: true, eras: ['legacy'] });
  });

  it('refuses an era it does not know instead of running something else', () => {
    expect(() => parseRunOptions(['--era', 'morden'])).toThrow(/legacy, modern or both/);
    expect(() => parseRunOptions(['--era'])).toThrow(/legacy, modern or both/);
  });

  it('covers a short modern run in the quick run: per-call rows on every transport and the connect row', () => {
    const options = parseRunOptions(['--quick']);
    const modern = cellsOf(options, planOf(true)).filter((cell) => eraOf(cell) === 'modern');
    const kinds = modern.map((cell) => `${cell.workload} ${cell.transport}`);
    expect(kinds).toEqual(['seq memory', 'conc memory', 'seq stdio', 'conc stdio', 'seq http', 'conc http', 'connect stdio', 'connect http']);
  });

  it('measures the modern rows against the v2 floor with the pinned and the auto switchboard, and no v1-only peer', () => {
    const cells = cellsOf({ quick: false, eras: ['modern'] }, planOf(false));
    for (const cell of cells) {
      expect(cell.era).toBe('modern');
      expect(cell.targets).not.toContain('langchain');
      expect(cell.targets).not.toContain('mastra');
      expect(cell.targets).toEqual(cell.workload === 'connect' ? CONNECT_TARGETS.modern : MODERN_TARGETS);
    }
    // A peer that can speak 2026-07-28 joins the stdio and HTTP rows (there is no in-memory peer).
    const withPeer = cellsOf({ quick: true, eras: ['modern'] }, planOf(true), ['mastra']);
    expect(withPeer.filter((c) => c.targets.includes('mastra')).map((c) => `${c.workload} ${c.transport}`)).toEqual(['seq stdio', 'conc stdio', 'seq http', 'conc http']);
  });

  it('keeps the legacy rows as they were, with the connect row beside them', () => {
    const legacy = cellsOf({ quick: true, eras: ['legacy'] }, planOf(true));
    expect(legacy.every((cell) => cell.era === 'legacy')).toBe(true);
    expect(legacy.find((c) => c.workload === 'conc' && c.transport === 'stdio')!.targets).toEqual(['floor', 'switchboard', 'langchain', 'mastra']);
    expect(legacy.filter((c) => c.workload === 'connect').map((c) => c.targets)).toEqual([CONNECT_TARGETS.legacy, CONNECT_TARGETS.legacy]);
    expect(eraOf({ workload: 'conc', transport: 'memory', size: 1, targets: [] })).toBe('legacy');
  });
});

describe('benchmark tables per era', () => {
  const cell = (era: 'legacy' | 'modern', workload: Cell['workload'], targets: string[]): Cell => ({ era, workload, transport: 'stdio', size: 10, targets });

  it('gives every era its own floor: a modern ratio is to the v2 floor, never to the legacy one', () => {
    const measured = [
      { cell: cell('legacy', 'conc', ['floor', 'switchboard']), rounds: rounds({ floor: [10, 10, 10], switchboard: [13, 13, 13] }, 'cpuUsPerCall') },
      { cell: cell('legacy', 'seq', ['floor', 'switchboard']), rounds: rounds({ floor: [100, 100, 100], switchboard: [110, 110, 110] }, 'p50Us') },
      { cell: cell('modern', 'conc', MODERN_TARGETS), rounds: rounds({ floor: [40, 40, 40], switchboard: [44, 44, 44], 'switchboard-auto': [48, 48, 48] }, 'cpuUsPerCall') },
      { cell: cell('modern', 'seq', MODERN_TARGETS), rounds: rounds({ floor: [200, 200, 200], switchboard: [230, 230, 230], 'switchboard-auto': [260, 260, 260] }, 'p50Us') },
    ];
    const modern = perCallTable(measured, 'modern').join('\n');
    expect(modern).toContain('| stdio | switchboard (2026-07-28) | 44 | 1.10× (1.10–1.10) |');
    expect(modern).toContain('| stdio | switchboard (auto) | 48 | 1.20× (1.20–1.20) |');
    expect(modern).toMatch(/\| stdio \| switchboard \(auto\) .*\| 260 \| – \| 60 \|$/m);
    const legacy = perCallTable(measured, 'legacy').join('\n');
    expect(legacy).toContain('| stdio | switchboard | 13 | 1.30× (1.30–1.30) |');
    expect(legacy).not.toContain('2026-07-28');
  });

  it('shows what each connect cost on the wire and how many round trips auto adds to the pinned era', () => {
    const result = (roundTrips: number, wire: string, again: number, againWire: string) => ({ connectMs: 100, connectRoundTrips: roundTrips, connectWire: wire, reconnectMs: 50, reconnectRoundTrips: again, reconnectWire: againWire });
    const connect = {
      cell: cell('legacy', 'connect', CONNECT_TARGETS.legacy),
      rounds: [0, 1].map((round) => ({
        round,
        order: CONNECT_TARGETS.legacy,
        results: {
          floor: result(2, '1 proc: initialize 1, tools/list 1', 2, '1 proc: initialize 1, tools/list 1'),
          'switchboard-legacy': result(2, '1 proc: initialize 1, tools/list 1', 2, '1 proc: initialize 1, tools/list 1'),
          switchboard: result(3, '1 proc: initialize 1, server/discover 1, tools/list 1', 2, '1 proc: initialize 1, tools/list 1'),
        },
      })),
    };
    const text = connectTable([connect], 'legacy').join('\n');
    expect(text).toContain('| stdio | switchboard (auto) | 100 | 1 proc: initialize 1, server/discover 1, tools/list 1 | 50 | 1 proc: initialize 1, tools/list 1 |');
    expect(text).toContain('- stdio: auto − pinned = 1 round trip(s) on the first connect, 0 on a reconnect');
    expect(connectTable([connect], 'modern')).toEqual([]);
  });

  it('names the peers left out of the modern rows under the modern heading', () => {
    const text = tables([], planOf(true), ['modern'], { modern: ['Peers in the modern era: none; skipped, cannot speak 2026-07-28: mastra (v1 only).'] });
    expect(text).toContain('### Modern era (2026-07-28)');
    expect(text).toContain('> Peers in the modern era: none; skipped, cannot speak 2026-07-28: mastra (v1 only).');
    expect(text).not.toContain('Legacy era');
  });

  it('measures a full run’s concurrent cells in at least four sets of processes, each a whole number of rotations', () => {
    const plan = planOf(false);
    const sets = (rounds: number | { min: number; max: number; fork: number }) => (typeof rounds === 'number' ? { min: 0, max: 0, fork: 0 } : rounds);
    const rows = [plan.concRounds, plan.modernConcRounds, plan.clusterConcRounds].flatMap((row) => Object.values(row).map(sets));
    expect(rows).toHaveLength(8);
    for (const { min, max, fork } of rows) {
      expect(min / fork).toBeGreaterThanOrEqual(4);
      expect(Number.isInteger(min / fork) && Number.isInteger(max / fork)).toBe(true);
    }
    // every legacy target leads equally often in each set (4 targets over stdio and HTTP, 3 in the modern rows)
    expect([sets(plan.concRounds.stdio).fork % 4, sets(plan.concRounds.http).fork % 4, sets(plan.modernConcRounds.memory).fork % 3, sets(plan.modernConcRounds.http).fork % 3]).toEqual([0, 0, 0, 0]);
  });
});
