import { describe, expect, it } from 'vitest';
import { fuseRanker, measure, substringRanker, testEmbed, toolSearchRanker, TOOLS } from './measure.js';
import { QUERIES } from './fixtures/queries.js';

describe('tool search quality on 3 000 tools', () => {
  it('has a realistic fixture: 3 000 tools, 40+ queries, some with typos', () => {
    expect(TOOLS.length).toBeGreaterThanOrEqual(3000);
    expect(QUERIES.length).toBeGreaterThanOrEqual(40);
    expect(QUERIES.filter((q) => q.typo).length).toBeGreaterThanOrEqual(8);
  });

  it('tolerates typos far better than substring matching and answers within 20 ms (p95)', async () => {
    const lexical = await measure(toolSearchRanker().rank);
    const substring = await measure(substringRanker());
    console.log('lexical', lexical, 'substring', substring);
    expect(lexical.typos1).toBeGreaterThanOrEqual(substring.typos1 + 0.3);
    expect(lexical.typos5).toBeGreaterThanOrEqual(substring.typos5 + 0.3);
    expect(lexical.top5).toBeGreaterThanOrEqual(substring.top5);
    expect(lexical.p95Ms).toBeLessThan(20);
  });

  it('beats fuse.js (the library not chosen) on first place and on latency', async () => {
    const lexical = await measure(toolSearchRanker().rank);
    const fuse = await measure(fuseRanker(), 1);
    console.log('fuse', fuse);
    expect(lexical.top1).toBeGreaterThan(fuse.top1);
    expect(lexical.top5).toBeGreaterThan(fuse.top5);
    expect(lexical.p95Ms * 10).toBeLessThan(fuse.p95Ms);
  }, 120_000);

  it('ranks better in the top 5 with an embedder (hybrid)', async () => {
    const lexical = await measure(toolSearchRanker().rank);
    const hybrid = await measure(toolSearchRanker(testEmbed).rank);
    console.log('hybrid', hybrid);
    expect(hybrid.top5).toBeGreaterThan(lexical.top5);
  });
});
