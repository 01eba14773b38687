import { runBounded } from '../helpers/bounded.js';
import { describe, expect, it } from 'vitest';
import type { ResourceTemplateInfo, ServerCatalog } from '../../machines/types.js';
import { CatalogIndex } from '../../src/routing/catalogIndex.js';

const catalog = (server: string, templates: string[]): ServerCatalog => ({
  tools: [],
  prompts: [],
  resources: [],
  templates: templates.map((uriTemplate): ResourceTemplateInfo => ({ uriTemplate, name: uriTemplate.slice(0, 20), server })),
});

interface Outcome {
  server?: string;
  code?: string;
  message?: string;
  steps: number;
  gaveUp: boolean;
}

const resolve = (index: CatalogIndex, uri: string): Outcome => {
  try {
    return { server: index.resolveResource(uri, undefined, () => true).server, ...index.lastTemplateWork };
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { code, message: message.slice(-160), ...index.lastTemplateWork };
  }
};

/**
 * Builds an index in a child process (killed after `boundMs`) from `catalogs`, a JS expression
 * that may call `t(server, templates)`, and resolves `uris` (a JS expression). Hostile catalogs are
 * generated there: a megabyte of templates does not fit in an argument. The bound only proves the
 * work does not hang; the work itself is measured in steps.
 */
function resolveInChild(catalogs: string, uris: string, options = '{}', boundMs = 20_000): Promise<{ killed: boolean; warnings?: string[]; out?: Outcome[] }> {
  const script = `
    const { CatalogIndex } = await import(${JSON.stringify(new URL('../../dist/src/routing/catalogIndex.js', import.meta.url).href)});
    const t = (server, list) => ({ tools: [], prompts: [], resources: [], templates: list.map((uriTemplate, i) => ({ uriTemplate, name: 't' + i, server })) });
    const index = new CatalogIndex(${catalogs}, ${options});
    const out = (${uris}).map((uri) => {
      try { return { server: index.resolveResource(uri, undefined, () => true).server, ...index.lastTemplateWork }; }
      catch (e) { return { code: e.code, message: e.message.slice(-160), ...index.lastTemplateWork }; }
    });
    process.stdout.write(JSON.stringify({ warnings: index.warnings, out }));`;
  return runBounded(script, boundMs).then(({ stdout, killed }) => (killed ? { killed } : { killed, ...JSON.parse(stdout) }));
}

/** TEMPLATE_LIMITS.maxSteps (test/uriTemplateMatch.test.ts checks the defaults). */
const maxSteps = 1_500_000;
const LONG = 100_000;
/** A run may pass the budget by one uri scan (indexOf) or one character of one template's states. */
const overshoot = LONG + 10_000;

describe('CatalogIndex: the work of routing one uri by templates is bounded', () => {
  it('routes a legit uri beside 1 000 templates of 250 expressions and {/a*}×1000, with one warning', async () => {
    const evil = `[...Array.from({ length: 1000 }, (_, i) => '{+v' + i + '}' + '{+a}'.repeat(249) + '{#z}'), '{/a*}'.repeat(1000)]`;
    const uris = `['file:///' + 'd/'.repeat(50) + 'x.txt', 'file:///' + 'd/'.repeat(${LONG / 2}) + 'x.txt', 'file:///' + 'd/'.repeat(500) + 'x#z']`;
    const { killed, warnings, out } = await resolveInChild(`{ evil: t('evil', ${evil}), files: t('files', ['file:///{+path}']) }`, uris);
    expect(killed).toBe(false);
    for (const outcome of out!) expect(outcome).toEqual({ server: 'files', steps: expect.any(Number), gaveUp: false });
    // Over the caps, the evil templates cost nothing at all: only the legit one ran.
    expect(out![1]!.steps).toBeLessThan(8 * LONG);
    expect(warnings).toEqual([expect.stringMatching(/^server "evil": .*\(1000 more than 16 expressions, 1 longer than 1024 characters\).*\{ server \}/)]);
  }, 30_000);

  it('gives up within the step budget on 1 000 templates under the caps, keeping the match it found', async () => {
    const evil = `Array.from({ length: 1000 }, (_, i) => 'abcdefghijklmno'.split('').map((v) => '{+' + v + i + '}').join('') + '{p}')`;
    const uris = `['file:///' + 'a'.repeat(${LONG}), 'q://' + 'a'.repeat(${LONG}) + '/', 'q://short/']`;
    const { killed, out } = await resolveInChild(`{ evil: t('evil', ${evil}), files: t('files', ['file:///{+path}']) }`, uris);
    expect(killed).toBe(false);
    const [found, none, short] = out!;
    // Both servers match the first uri: the legit template (a literal prefix) is tried first.
    expect(found).toEqual({ server: 'files', steps: expect.any(Number), gaveUp: true });
    expect(none).toEqual({ code: 'ResourceNotFound', message: expect.stringMatching(/template matching gave up after 1500000 steps/), steps: expect.any(Number), gaveUp: true });
    for (const { steps } of [found!, none!]) expect(steps).toBeLessThanOrEqual(maxSteps + overshoot);
    expect(short).toEqual({ code: 'ResourceNotFound', message: expect.not.stringMatching(/gave up/), steps: expect.any(Number), gaveUp: false });
  }, 30_000);

  it('tries templates with a matching literal prefix first, then those with the fewest expressions', () => {
    const hostile = Array.from({ length: 50 }, (_, i) => `{+a${i}}{+b}{+c}{+d}`);
    // The hostile server is listed first, and each of its templates matches both uris.
    const limits = { templateLimits: { maxSteps: 5_000 } };
    const prefixed = new CatalogIndex({ evil: catalog('evil', hostile), files: catalog('files', ['file:///{+path}']) }, limits);
    expect(resolve(prefixed, `file:///${'x'.repeat(200)}`)).toEqual({ server: 'files', steps: expect.any(Number), gaveUp: true });
    expect(prefixed.lastTemplateWork.steps).toBeLessThanOrEqual(5_000 + 1_000);
    const bare = new CatalogIndex({ evil: catalog('evil', hostile), any: catalog('any', ['{+all}']) }, limits);
    expect(resolve(bare, `q://${'x'.repeat(200)}`)).toEqual({ server: 'any', steps: expect.any(Number), gaveUp: true });
    expect(bare.lastTemplateWork.steps).toBeLessThanOrEqual(5_000 + 1_000);
    // With the default budget every template is tried, and the uri is ambiguous as it should be.
    const full = new CatalogIndex({ evil: catalog('evil', hostile), files: catalog('files', ['file:///{+path}']) });
    expect(resolve(full, `file:///${'x'.repeat(200)}`)).toMatchObject({ code: 'AmbiguousResource', gaveUp: false });
  });

  it('resolves 100 KB uris of every operator well within the budget', () => {
    const cases: [string, string][] = [
      ['file:///{+path}', `file:///${'d/'.repeat(LONG / 2)}x`],
      ['tree://root{/seg*}', `tree://root${'/ab'.repeat(LONG / 3)}`],
      ['item://{id}', `item://${'i'.repeat(LONG)}`],
      ['s://{q}{?limit,page}', `s://${'q'.repeat(LONG)}?page=2&limit=10`],
      ['doc://x{#part}', `doc://x#${'p/'.repeat(LONG / 2)}`],
      ['m://p{;a,b}', `m://p;a=${'1'.repeat(LONG)};b=2`],
      ['f://{x}{.ext}', `f://${'n'.repeat(LONG)}.json`],
    ];
    const index = new CatalogIndex(Object.fromEntries(cases.map(([template], i) => [`s${i}`, catalog(`s${i}`, [template])])));
    cases.forEach(([template, uri], i) => {
      expect({ template, ...resolve(index, uri) }).toEqual({ template, server: `s${i}`, steps: expect.any(Number), gaveUp: false });
      expect(index.lastTemplateWork.steps).toBeLessThan(0.65 * maxSteps);
    });
  });

  it('prefilters by literal pieces: 10 000 templates that cannot match cost about a scan of the uri each', () => {
    const pieces = Array.from({ length: 10_000 }, (_, i) => `{+a}/piece${i}/{+b}{?q}`);
    const index = new CatalogIndex({ evil: catalog('evil', pieces), files: catalog('files', ['file:///{+path}']) });
    const uri = 'x://no/such/pieces/here';
    expect(resolve(index, uri)).toMatchObject({ code: 'ResourceNotFound', gaveUp: false });
    expect(index.lastTemplateWork.steps).toBeLessThanOrEqual(10_001 * (uri.length + 2));
    // A uri no template's literal prefix fits costs about one step a template.
    expect(resolve(index, 'file:///a')).toMatchObject({ server: 'files' });
  });

  it('keeps working when compiled templates do not fit the cache', () => {
    const index = new CatalogIndex({ files: catalog('files', ['file:///{+path}', 'tree://{/seg*}']) }, { maxCachedStates: 0 });
    for (let i = 0; i < 3; i++) {
      expect(resolve(index, 'file:///a/b')).toMatchObject({ server: 'files', gaveUp: false });
      expect(resolve(index, 'tree://a')).toMatchObject({ code: 'ResourceNotFound' });
    }
  });
});
