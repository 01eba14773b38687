/**
 * The connect row (DESIGN §9.4, §15): what a first connect and a reconnect cost, timed in the
 * client and counted on the server's side of the wire. The benchmark server appends "<pid> start"
 * per process and "<pid> <method>" per request it receives to a wire log (bench/benchServer*.mjs);
 * this reads the lines written during each phase. So the row shows, per target, how many
 * processes a connect started and which requests it sent (`server/discover`, `initialize`,
 * `tools/list`, ...), beside the milliseconds: `auto` may cost one round trip more than a pinned
 * era on the first connect and nothing on a reconnect (the remembered verdict).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ServerSpec, Target } from './targets.js';

/** What the server saw during one phase. */
export interface WireCount {
  /** Server processes started (stdio: one per spawn, the SDK's probe sibling included). */
  processes: number;
  /** Requests received, by method (notifications are not counted). */
  methods: Record<string, number>;
}

/** Counts the lines of a wire log (`<pid> start` / `<pid> <method>`), leaving out `ignore`d methods. */
export function countWire(lines: string[], ignore: ReadonlySet<string> = new Set()): WireCount {
  const count: WireCount = { processes: 0, methods: {} };
  for (const line of lines) {
    const what = line.slice(line.indexOf(' ') + 1);
    if (!what || line.indexOf(' ') < 0) continue;
    if (what === 'start') count.processes++;
    else if (!ignore.has(what)) count.methods[what] = (count.methods[what] ?? 0) + 1;
  }
  return count;
}

/** A compact text of a count, e.g. "1 proc: server/discover 1, tools/list 1". */
export function wireText(count: WireCount): string {
  const methods = Object.entries(count.methods)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([method, n]) => `${method} ${n}`);
  return `${count.processes} proc${methods.length ? `: ${methods.join(', ')}` : ''}`;
}

/** Round trips before the first call: every request the phase sent. */
export const roundTrips = (count: WireCount) => Object.values(count.methods).reduce((sum, n) => sum + n, 0);

/** The wire log read from `offset` (bytes): the new lines and the next offset. */
function readSince(file: string, offset: number): { lines: string[]; offset: number } {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // Not written yet: nothing arrived.
  }
  const fresh = text.slice(offset);
  return { lines: fresh.split('\n').filter(Boolean), offset: text.length };
}

/**
 * One connect row measurement of `target` against one server: a first connect, one call, a
 * reconnect, one call. Each phase's wire count is read after a call that follows it, so requests
 * a client sends just after its connect resolved (a listen stream) are counted with the connect;
 * the calls themselves (`tools/call`) are left out.
 */
export async function measureConnect(target: Target, spec: ServerSpec, wireLog: string, expectEra: string): Promise<Record<string, number | string>> {
  const calls = new Set(['tools/call']);
  let mark = readSince(wireLog, 0).offset;
  const phase = async (work: () => Promise<void>) => {
    const started = performance.now();
    await work();
    const ms = performance.now() - started;
    await target.call(spec.name, 'echo', { text: 'hello' });
    const read = readSince(wireLog, mark);
    mark = read.offset;
    return { ms, wire: countWire(read.lines, calls) };
  };
  const first = await phase(() => target.connect([spec]));
  const era = target.era?.(spec.name);
  if (era !== undefined && era !== expectEra) throw new Error(`connected in the ${era} era, not ${expectEra}`);
  if (!target.reconnect) throw new Error('target has no reconnect');
  const again = await phase(() => target.reconnect!(spec.name));
  return {
    era: era ?? 'unknown',
    connectMs: first.ms,
    connectProcesses: first.wire.processes,
    connectRoundTrips: roundTrips(first.wire),
    connectWire: wireText(first.wire),
    reconnectMs: again.ms,
    reconnectProcesses: again.wire.processes,
    reconnectRoundTrips: roundTrips(again.wire),
    reconnectWire: wireText(again.wire),
  };
}
