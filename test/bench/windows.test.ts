import { describe, expect, it } from 'vitest';
import { interleavedRounds, type Launch } from '../../bench/lib/windows.js';

/** A real measurement process in miniature: READY, then one JSON line (its pid, its window count) per "window". */
const script = `
process.stdout.write('READY\\n');
let windows = 0;
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'window') process.stdout.write(JSON.stringify({ pid: process.pid, windows: ++windows }) + '\\n');
});
`;
const launch = (): Launch => ({ command: process.execPath, args: ['-e', script], env: process.env, cwd: process.cwd() });
const pidOf = (r: { results: Record<string, unknown> }, t: string) => (r.results[t] as { pid: number }).pid;

describe('interleaved rounds in sets of processes', () => {
  it('starts a fresh process per target every `fork` rounds and records which set measured each round', async () => {
    const rounds = await interleavedRounds(['a', 'b'], { min: 6, max: 6, step: 2, fork: 2, enough: () => false }, launch, () => undefined);
    expect(rounds.map((r) => r.fork)).toEqual([0, 0, 1, 1, 2, 2]);
    for (const t of ['a', 'b']) {
      const pids = rounds.map((r) => pidOf(r, t));
      // one process per set: the same pid within a set, a new one in each next set
      expect(new Set(pids).size).toBe(3);
      expect(pids[0]).toBe(pids[1]);
      expect(pids[2]).not.toBe(pids[1]);
      expect(rounds.map((r) => (r.results[t] as { windows: number }).windows)).toEqual([1, 2, 1, 2, 1, 2]);
    }
    expect(pidOf(rounds[0]!, 'a')).not.toBe(pidOf(rounds[0]!, 'b'));
  }, 30_000);

  it('checks whether it has enough at the end of a set, before starting the next', async () => {
    let asked = 0;
    const rounds = await interleavedRounds(['a'], { min: 2, max: 8, step: 2, fork: 2, enough: (done) => (asked++, done.length >= 4) }, launch, () => undefined);
    expect(rounds).toHaveLength(4);
    expect(new Set(rounds.map((r) => pidOf(r, 'a'))).size).toBe(2);
    expect(asked).toBe(2);
  }, 30_000);

  it('keeps one set without `fork`, and refuses a set that is not a multiple of the step', async () => {
    const rounds = await interleavedRounds(['a'], 3, launch, () => undefined);
    expect(rounds.every((r) => r.fork === undefined)).toBe(true);
    expect(new Set(rounds.map((r) => pidOf(r, 'a'))).size).toBe(1);
    await expect(interleavedRounds(['a'], { min: 2, max: 6, step: 4, fork: 6, enough: () => true }, launch, () => undefined)).rejects.toThrow(/multiple of the step/);
  }, 30_000);
});
