/**
 * The route row (DESIGN §9 item 3: "with 1,000 registered servers a call routes as fast as with
 * one"), measured like the per-call rows: one live process per target — the floor and the
 * switchboard, each with 1 and with N in-memory servers (targets `floor@1`, `switchboard@1000`,
 * …) — connected and warmed up once, then interleaved windows of sequential calls spread over the
 * first ten servers (bench/lib/measure.ts `route`). The headline is each target's p50 with N
 * servers over its own p50 with one, round by round: the median of the per-round ratios with half
 * its 95 % interval and the min–max, like the headline ratios. Heap per server is measured once
 * per process before its warm-up (it moves by less than 0.1 KB between runs).
 */
import { summary, type Round } from './summary.js';
import { ratioText, type Measured } from './tables.js';

/** The bases of the route row: the floor and the switchboard on its defaults (legacy era). */
export const ROUTE_BASES = ['floor', 'switchboard'];

/** A route target's name: its base and how many servers it connects. */
export const routeTarget = (base: string, servers: number) => `${base}@${servers}`;

/** `switchboard@1000` → `{ base: 'switchboard', servers: 1000 }`; a name without `@n` throws. */
export function parseRouteTarget(name: string): { base: string; servers: number } {
  const match = /^(.+)@(\d+)$/.exec(name);
  if (!match || Number(match[2]) < 1) throw new Error(`a route target is <target>@<servers>, not "${name}"`);
  return { base: match[1]!, servers: Number(match[2]) };
}

/** The targets of a route cell among `servers`: every base with one server, then with `servers`. */
export const routeTargets = (servers: number): string[] => [...ROUTE_BASES.map((b) => routeTarget(b, 1)), ...ROUTE_BASES.map((b) => routeTarget(b, servers))];

/** Whether `rounds` pin every base's N ÷ 1 ratio among `servers` to within ±`precision` (half the 95 % interval). */
export const routeEnough =
  (servers: number, precision: number) =>
  (rounds: Round[]): boolean =>
    ROUTE_BASES.every((base) => (summary(rounds, routeTarget(base, servers), 'routeP50Us', routeTarget(base, 1)).interval ?? Infinity) <= precision);

const fmt = (n: number | undefined, digits = 1) => (n === undefined ? '–' : n.toFixed(digits));

/** The route table: per base, p50 with 1 and with N servers, N ÷ 1 with its interval, heap per server. */
export function routeTable(measured: Measured[]): string[] {
  const cell = measured.find((m) => m.cell.workload === 'route');
  if (!cell) return [];
  const servers = Math.max(...cell.cell.targets.map((t) => parseRouteTarget(t).servers));
  const lines = [
    `| route (in memory, sequential, ${cell.rounds.length} rounds) | target | p50 µs, 1 server | p50 µs, ${servers} servers | ${servers} ÷ 1 (median of per-round ratios) | heap KB per server |`,
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const base of ROUTE_BASES) {
    const one = routeTarget(base, 1);
    const many = routeTarget(base, servers);
    if (!cell.cell.targets.includes(one) || !cell.cell.targets.includes(many)) continue;
    const error = cell.rounds.map((r) => r.results[many] ?? r.results[one]).find((r): r is { error: string } => !!r && 'error' in r);
    const ratio = summary(cell.rounds, many, 'routeP50Us', one);
    lines.push(
      `| N = ${servers} | ${base} | ${fmt(summary(cell.rounds, one, 'routeP50Us').value)} | ${fmt(summary(cell.rounds, many, 'routeP50Us').value)} | ${ratio.ratio === undefined && error ? `failed: ${error.error.slice(0, 120)}` : ratioText(ratio)} | ${fmt(summary(cell.rounds, many, 'heapPerServerKB').value)} |`,
    );
  }
  return lines;
}
