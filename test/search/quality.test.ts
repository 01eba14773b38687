import { describe, expect, it } from 'vitest';
import { fuseRanker, measure, substringRanker, testEmbed, toolSearchRanker, TOOLS, type Figures } from './measure.js';
import { QUERIES } from './fixtures/queries.js';

/**
 * Figures on 64 queries (12 with typos) over 3 000 tools, when these bounds were set: lexical top1
 * 0.48, top5 0.77, typos top1 0.92, typos top5 1.0; substring top1 0.22, top5 0.48, typos top1
 * 0.17, typos top5 0.33; hybrid (test embedder) top1 0.50, top5 0.78; fuse.js top1 0.13, top5 0.14.
 * The bounds leave a small margin (one or two queries) below them.
 */
let lexicalFigures: Figures | undefined;
const lexical = async (): Promise<Figures> => (lexicalFigures ??= await measure(toolSearchRanker().rank));

describe('tool search quality on 3 000 tools', () => {
  it('has a realistic fixture: 3 000 tools, 60+ queries, some with typos', () => {
    expect(TOOLS.length).toBeGreaterThanOrEqual(3000);
    expect(QUERIES.length).toBeGreaterThanOrEqual(60);
    expect(QUERIES.filter((q) => q.typo).length).toBeGreaterThanOrEqual(12);
    expect(new Set(QUERIES.map((q) => q.q)).size).toBe(QUERIES.length);
    const names = new Set(TOOLS.map((t) => t.qualifiedName));
    expect(QUERIES.filter((q) => !names.has(q.expect))).toEqual([]);
  });

  it('beats substring matching clearly on first place and on typos, and answers within 20 ms (p95)', async () => {
    const ours = await lexical();
    const substring = await measure(substringRanker());
    console.log('lexical', ours, 'substring', substring);
    expect(ours.top1).toBeGreaterThanOrEqual(0.45);
    expect(ours.top1).toBeGreaterThanOrEqual(substring.top1 + 0.2);
    expect(ours.top5).toBeGreaterThanOrEqual(0.72);
    expect(ours.top5).toBeGreaterThanOrEqual(substring.top5 + 0.2);
    expect(ours.typos1).toBeGreaterThanOrEqual(substring.typos1 + 0.6);
    expect(ours.typos5).toBeGreaterThanOrEqual(substring.typos5 + 0.5);
    expect(ours.p95Ms).toBeLessThan(20);
  });

  it('beats fuse.js (the library not chosen) on first place and on latency', async () => {
    const ours = await lexical();
    const fuse = await measure(fuseRanker(), 1);
    console.log('fuse', fuse);
    expect(ours.top1).toBeGreaterThanOrEqual(fuse.top1 + 0.3);
    expect(ours.top5).toBeGreaterThanOrEqual(fuse.top5 + 0.5);
    expect(ours.typos1).toBeGreaterThanOrEqual(fuse.typos1 + 0.25);
    expect(ours.p95Ms * 10).toBeLessThan(fuse.p95Ms);
  }, 120_000);

  it('ranks better with an embedder (hybrid): higher in the top 5, never lower on first place', async () => {
    const ours = await lexical();
    const hybrid = await measure(toolSearchRanker(testEmbed).rank);
    console.log('hybrid', hybrid);
    expect(hybrid.top1).toBeGreaterThanOrEqual(ours.top1);
    expect(hybrid.top5).toBeGreaterThan(ours.top5);
    expect(hybrid.top5).toBeGreaterThanOrEqual(0.75);
    expect(hybrid.typos5).toBeGreaterThanOrEqual(ours.typos5 - 0.1);
  });
});
