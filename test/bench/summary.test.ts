import { describe, expect, it } from 'vitest';
import { median, medianInterval, setsInterval, summary, type Round } from '../../bench/lib/summary.js';

const rounds = (pairs: [number, number][]): Round[] =>
  pairs.map(([floor, other], round) => ({ round, order: ['floor', 'other'], results: { floor: { cpu: floor }, other: { cpu: other } } }));

describe('benchmark summary', () => {
  it('takes the median of the per-round ratios, not the ratio of medians', () => {
    // per-round ratios 3, 1, 1 → 1; the ratio of the medians (30 / 20) would say 1.5
    const s = summary(rounds([[10, 30], [20, 20], [30, 30]]), 'other', 'cpu');
    expect(s.ratio).toBe(1);
    expect(s.min).toBe(1);
    expect(s.max).toBe(3);
    expect(median([4, 1, 3])).toBe(3);
  });

  it('gives the 95 % interval of the median from order statistics n/2 ± 0.98·√n', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    // ranks floor(50 − 9.8) = 40 and ceil(50 + 9.8) − 1 = 59 (0-based): values 41 and 60
    expect(medianInterval(values)).toBe((60 - 41) / 2);
    expect(medianInterval([...values].reverse())).toBe((60 - 41) / 2);
    expect(medianInterval([1, 2, 3, 4, 5])).toBeUndefined();
    expect(summary(rounds(values.map((v) => [1, v])), 'other', 'cpu').interval).toBe(9.5);
  });

  it('narrows with the number of rounds, the way the benchmark relies on', () => {
    const spread = (n: number) => medianInterval(Array.from({ length: n }, (_, i) => (i * 7919) % n))! / n;
    expect(spread(400)).toBeLessThan(spread(25));
  });
});

describe('benchmark summary over sets of processes', () => {
  const forked = (sets: number[][]): Round[] =>
    sets.flatMap((ratios, fork) => ratios.map((ratio) => ({ fork, order: ['floor', 'other'], results: { floor: { cpu: 10 }, other: { cpu: 10 * ratio } } }))).map((r, round) => ({ ...r, round }));

  it('gives half the 95 % interval of the mean of the sets’ medians (Student’s t)', () => {
    // mean 2, sample sd 1 → t(2 df) · 1 / √3
    expect(setsInterval([1, 2, 3])).toBeCloseTo((4.3 * 1) / Math.sqrt(3), 10);
    expect(setsInterval([1, 3])).toBeUndefined();
    expect(setsInterval(Array.from({ length: 40 }, (_, i) => i % 2))).toBeCloseTo((1.96 * Math.sqrt(40 / 39 / 4)) / Math.sqrt(40), 10);
  });

  it('widens the ratio’s interval by the spread between sets that the pooled rounds hide', () => {
    // four processes, each steady within itself, at 1.00, 1.04, 0.98, 1.06: the pooled order statistics say ±0.02–0.03
    const sets = [1, 1.04, 0.98, 1.06].map((base) => Array.from({ length: 50 }, (_, i) => base + (i % 5) * 0.001));
    const s = summary(forked(sets), 'other', 'cpu');
    const pooled = medianInterval(sets.flat())!;
    expect(s.interval).toBeGreaterThan(pooled);
    expect(s.interval).toBeCloseTo(setsInterval(sets.map((set) => median(set)))!, 10);
    // the same rounds from one process: the pooled interval alone
    const single = forked([sets.flat()]);
    expect(summary(single, 'other', 'cpu').interval).toBe(pooled);
  });

  it('keeps the pooled interval when the sets agree more closely than the rounds vary', () => {
    const sets = [0, 1, 2, 3].map(() => Array.from({ length: 50 }, (_, i) => 1 + ((i * 7) % 50) * 0.002));
    const s = summary(forked(sets), 'other', 'cpu');
    expect(s.interval).toBe(medianInterval(sets.flat()));
  });
});
