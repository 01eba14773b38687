import { runBounded } from '../helpers/bounded.js';
import { describe, expect, it } from 'vitest';
import type { ResourceTemplateInfo, ServerCatalog, ToolInfo } from '../../machines/types.js';
import { qualifiedName } from '../../src/routing/naming.js';
import { CatalogIndex, ToolIndex } from '../../src/routing/catalogIndex.js';

const tool = (server: string, name: string): ToolInfo => ({ name, server, qualifiedName: qualifiedName(server, name), inputSchema: {} });

describe('ToolIndex', () => {
  const long = 'a.very/long-tool-name-'.repeat(5);
  const index = new ToolIndex({
    files: [tool('files', 'echo'), tool('files', 'read'), tool('files', long)],
    web: [tool('web', 'echo'), tool('web', 'search')],
  });
  const has = (s: string) => s === 'files' || s === 'web' || s === 'down';

  it('routes a unique bare name, a qualified name and an explicit server', () => {
    expect(index.resolve('search', undefined, has)).toEqual({ server: 'web', tool: 'search' });
    expect(index.resolve('files__echo', undefined, has)).toEqual({ server: 'files', tool: 'echo' });
    expect(index.resolve('echo', 'web', has)).toEqual({ server: 'web', tool: 'echo' });
    expect(index.resolve('web__echo', 'web', has)).toEqual({ server: 'web', tool: 'echo' });
  });

  it('maps a shortened, hashed qualified name back to the exact tool', () => {
    const q = qualifiedName('files', long);
    expect(q.length).toBeLessThanOrEqual(64);
    expect(index.resolve(q, undefined, has)).toEqual({ server: 'files', tool: long });
  });

  it('names both servers of an ambiguous name and refuses unknown ones', () => {
    expect(() => index.resolve('echo', undefined, has)).toThrow(/"files" and "web"/);
    expect(() => index.resolve('nope', undefined, has)).toThrow(expect.objectContaining({ code: 'ToolNotFound' }));
    expect(() => index.resolve('echo', 'nope', has)).toThrow(expect.objectContaining({ code: 'ServerNotFound' }));
    expect(() => index.resolve('nope', 'web', has)).toThrow(expect.objectContaining({ code: 'ToolNotFound' }));
  });

  it('admits a call for a server whose catalog is not known yet', () => {
    expect(index.resolve('anything', 'down', has)).toEqual({ server: 'down', tool: 'anything' });
  });
});

const catalog = (server: string, templates: string[], uris: string[] = []): ServerCatalog => ({
  tools: [],
  prompts: [],
  resources: uris.map((uri) => ({ uri, name: uri, server })),
  templates: templates.map((uriTemplate): ResourceTemplateInfo => ({ uriTemplate, name: uriTemplate, server })),
});

/** The built module (vitest's globalSetup builds dist/) of `path`, as a file URL for a child process. */
const built = (path: string) => new URL(`../../dist/src/${path}`, import.meta.url).href;

describe('CatalogIndex: resource templates', () => {
  const owner = (templates: Record<string, string[]>, uri: string) => {
    const index = new CatalogIndex(Object.fromEntries(Object.entries(templates).map(([server, list]) => [server, catalog(server, list)])));
    try {
      return index.resolveResource(uri, undefined, () => true).server;
    } catch (error) {
      return (error as { code: string }).code;
    }
  };

  it('matches each RFC 6570 operator with its own characters and prefix', () => {
    const cases: [string, string, boolean][] = [
      ['item://{id}', 'item://42', true],
      ['item://{id}', 'item://', false],
      ['item://{id}', 'item://a/b', false],
      ['item://{id}', 'item://a?b', false],
      ['file:///{+path}', 'file:///a/b/c?d#e', true],
      ['file:///{+path}', 'file:///', false],
      ['doc://x{#part}', 'doc://x#intro/1', true],
      ['doc://x{#part}', 'doc://xintro', false],
      ['tree://root{/seg}', 'tree://root/a', true],
      ['tree://root{/seg}', 'tree://root/a/b', false],
      ['tree://root{/seg*}', 'tree://root/a/b/c', true],
      ['name://f{.ext}', 'name://f.json', true],
      ['name://f{.ext}', 'name://fjson', false],
      ['pair://{x,y}', 'pair://1,2', true],
      ['one://{x}', 'one://1,2', false],
      ['m://p{;a,b}', 'm://p;a=1;b=2', true],
      ['s://{q}{?limit,page}', 's://cats?page=2&limit=10', true],
      ['s://{q}{?limit,page}', 's://cats', true],
      ['s://{q}{?limit}', 's://cats?other=1', false],
      ['s://{q}{?limit}{&page}', 's://cats?limit=1&page=2', true],
      ['broken://{x', 'broken://{x', false],
      ['pair://{x,y}', 'pair://1,2,3', true],
      ['pair://{x,y}', 'pair://1,', false],
      ['t://r{/x,y}', 't://r/a,b', true],
      ['t://r{/x*}', 't://r/a/b,c/d', true],
      ['t://r{/x*}', 't://r/a//b', false],
      ['q://s{?x*}', 'q://s?a=1&b&c=', true],
      ['q://s{?x,y}', 'q://s?y=1&x=2&y=', true],
      ['q://s{?x,y}', 'q://s?x=1&', false],
      ['q://s{?x}{&y}', 'q://s&y=3', true],
      ['d://{x}/{y}.{z}', 'd://a/b.c', true],
      ['d://{x}/{y}.{z}', 'd://a/b', false],
      ['plain://literal', 'plain://literal', true],
      ['plain://literal', 'plain://literal2', false],
      ['é://{x}', 'é://ü', true],
    ];
    for (const [template, uri, matches] of cases) expect({ template, uri, matches: owner({ a: [template] }, uri) === 'a' }).toEqual({ template, uri, matches });
  });

  it('finds the owner of a listed uri first, and names both owners of a uri two templates match', () => {
    const index = new CatalogIndex({ a: catalog('a', ['x://{id}'], ['x://listed']), b: catalog('b', ['x://{+rest}']) });
    expect(index.resolveResource('x://listed', undefined, () => true)).toEqual({ server: 'a', tool: 'x://listed' });
    expect(() => index.resolveResource('x://7', undefined, () => true)).toThrow(expect.objectContaining({ code: 'AmbiguousResource', servers: ['a', 'b'] }));
    expect(index.resolveResource('x://7/8', undefined, () => true)).toEqual({ server: 'b', tool: 'x://7/8' });
  });

  it('matches a template built to backtrack in linear time, beside another server\'s uri', async () => {
    // Sixteen {+x} in a row: as a regex, sixteen (.+) that try every split of the uri.
    const plus = 'abcdefghijklmnop'.split('').map((v) => `{+${v}}`).join('');
    const hostile = [`${plus}!`, `${plus}!{+q}`, `x{/a*}{/b*}{/c*}{/d*}{/e*}{/f*}{/g*}{/h*}!`, `{a,b,c,d,e,f,g,h,i,j,k,l}!{+z}`];
    const script = `
      const { CatalogIndex } = await import(${JSON.stringify(built('routing/catalogIndex.js'))});
      const templates = (server, list) => list.map((uriTemplate) => ({ uriTemplate, name: 't', server }));
      const empty = { tools: [], prompts: [], resources: [] };
      const index = new CatalogIndex({ evil: { ...empty, templates: templates('evil', ${JSON.stringify(hostile)}) }, items: { ...empty, templates: templates('items', ['item://{id}', 'x{/p*}']) } });
      const owners = ['item://' + 'a'.repeat(20000), 'x' + '/a'.repeat(20000)].map((uri) => index.resolveResource(uri, undefined, () => true).server);
      process.stdout.write(JSON.stringify(owners));`;
    const { stdout, killed } = await runBounded(script);
    expect(killed).toBe(false);
    expect(JSON.parse(stdout)).toEqual(['items', 'items']);
  }, 30_000);
});
