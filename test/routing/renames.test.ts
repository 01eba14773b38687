import { describe, expect, it } from 'vitest';
import type { ServerCatalog, ToolInfo } from '../../machines/types.js';
import { CatalogIndex } from '../../src/routing/catalogIndex.js';
import { qualifiedName } from '../../src/routing/naming.js';
import type { ToolOverrides } from '../../src/routing/renames.js';

/**
 * Per-server `tools.rename` and `tools.describe` (DESIGN §18) in the catalog index: tools are
 * shown under their new names (and `server__to`), with the new description, and every route
 * leads back to the server's own name; old names are not callable; renames that would make two
 * tools of one server share a name are skipped with a warning.
 */

const tool = (server: string, name: string, description?: string): ToolInfo => ({ name, server, qualifiedName: qualifiedName(server, name), inputSchema: {}, ...(description ? { description } : {}) });
const catalog = (server: string, names: string[]): ServerCatalog => ({ tools: names.map((n) => tool(server, n, `${n} of ${server}`)), prompts: [], resources: [], templates: [] });
const has = (s: string) => ['files', 'web', 'later'].includes(s);

function index(catalogs: Record<string, ServerCatalog>, overrides: Record<string, ToolOverrides>): CatalogIndex {
  return new CatalogIndex(catalogs, { tools: (server) => overrides[server] });
}

describe('tool renames in the catalog index', () => {
  const built = index(
    { files: catalog('files', ['read_file', 'write_file', 'stat']), web: catalog('web', ['search', 'read_file']) },
    { files: { rename: { read_file: 'read', write_file: 'write' }, describe: { read_file: 'Reads a file', stat: 'File facts' } } },
  );

  it('shows a renamed tool under its new name, qualified name and description', () => {
    const shown = built.tools.toolsOf('files');
    expect(shown.map((t) => [t.name, t.qualifiedName, t.description])).toEqual([
      ['read', 'files__read', 'Reads a file'],
      ['write', 'files__write', 'write_file of files'],
      ['stat', 'files__stat', 'File facts'],
    ]);
    // Another server's tool of the old name is untouched.
    expect(built.tools.toolsOf('web').map((t) => t.qualifiedName)).toEqual(['web__search', 'web__read_file']);
  });

  it("routes the new name, bare, qualified or with { server }, to the server's own name", () => {
    expect(built.tools.resolve('files__read', undefined, has)).toEqual({ server: 'files', tool: 'read_file' });
    expect(built.tools.resolve('read', undefined, has)).toEqual({ server: 'files', tool: 'read_file' });
    expect(built.tools.resolve('write', 'files', has)).toEqual({ server: 'files', tool: 'write_file' });
    expect(built.tools.resolve('files__write', 'files', has)).toEqual({ server: 'files', tool: 'write_file' });
    // The route finds its entry again (the facade reads a tool's execution through it).
    expect(built.tools.find({ server: 'files', tool: 'read_file' })?.name).toBe('read');
  });

  it('does not route the old name of a renamed tool', () => {
    expect(() => built.tools.resolve('files__read_file', undefined, has)).toThrow(expect.objectContaining({ code: 'ToolNotFound' }));
    expect(() => built.tools.resolve('read_file', 'files', has)).toThrow(expect.objectContaining({ code: 'ToolNotFound' }));
    // The bare old name now has one owner left: web.
    expect(built.tools.resolve('read_file', undefined, has)).toEqual({ server: 'web', tool: 'read_file' });
  });

  it('swaps two names, each reaching the other tool', () => {
    const swapped = index({ files: catalog('files', ['a', 'b']) }, { files: { rename: { a: 'b', b: 'a' } } });
    expect(swapped.warnings).toEqual([]);
    expect(swapped.tools.toolsOf('files').map((t) => [t.name, t.description])).toEqual([
      ['b', 'a of files'],
      ['a', 'b of files'],
    ]);
    expect(swapped.tools.resolve('files__a', undefined, has)).toEqual({ server: 'files', tool: 'b' });
    expect(swapped.tools.resolve('b', 'files', has)).toEqual({ server: 'files', tool: 'a' });
  });

  it('skips a rename onto a name another tool keeps, and two renames onto one name, with warnings', () => {
    const clash = index({ files: catalog('files', ['a', 'b', 'c', 'd']) }, { files: { rename: { a: 'b', c: 'x', d: 'x' } } });
    expect(clash.tools.toolsOf('files').map((t) => t.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(clash.warnings).toEqual([
      'server "files": tools.rename "a" → "b" skipped: "b" is a tool of this server that keeps its name',
      'server "files": tools.rename "c", "d" → "x" skipped: several tools would be named "x" ("c", "d")',
    ]);
    expect(clash.tools.resolve('files__a', undefined, has)).toEqual({ server: 'files', tool: 'a' });
  });

  it('drops the other half of a swap whose first half was skipped', () => {
    // b → a is skipped (c → a too); then a → b lands on b, which keeps its name: skipped as well.
    const half = index({ files: catalog('files', ['a', 'b', 'c']) }, { files: { rename: { a: 'b', b: 'a', c: 'a' } } });
    expect(half.tools.toolsOf('files').map((t) => t.name)).toEqual(['a', 'b', 'c']);
    expect(half.warnings).toHaveLength(2);
  });

  it('warns about a rename of a tool the server does not list', () => {
    const typo = index({ files: catalog('files', ['read_file']) }, { files: { rename: { raed_file: 'read' } } });
    expect(typo.tools.toolsOf('files').map((t) => t.name)).toEqual(['read_file']);
    expect(typo.warnings).toEqual(['server "files": tools.rename "raed_file" → "read" not applied: the server lists no tool "raed_file" (or its tools filter hides it)']);
  });

  it("gives a renamed tool whose qualified name meets another server's a distinct name that routes back", () => {
    // s_ + x and s + _x (renamed from old) both make s___x.
    const both = index({ s_: catalog('s_', ['x']), s: catalog('s', ['old']) }, { s: { rename: { old: '_x' } } });
    const renamed = both.tools.toolsOf('s')[0]!;
    expect(renamed.qualifiedName).not.toBe('s___x');
    expect(both.tools.resolve(renamed.qualifiedName, undefined, () => true)).toEqual({ server: 's', tool: 'old' });
    expect(() => both.tools.resolve('s___x', undefined, () => true)).toThrow(expect.objectContaining({ code: 'AmbiguousTool' }));
  });

  it("maps a new name to the server's own before its catalog is known, and refuses the old one", () => {
    const unlisted = index({}, { later: { rename: { read_file: 'read' } } });
    expect(unlisted.tools.resolve('later__read', undefined, has)).toEqual({ server: 'later', tool: 'read_file' });
    expect(unlisted.tools.resolve('read', 'later', has)).toEqual({ server: 'later', tool: 'read_file' });
    expect(() => unlisted.tools.resolve('read_file', 'later', has)).toThrow(expect.objectContaining({ code: 'ToolNotFound' }));
    expect(unlisted.tools.resolve('other', 'later', has)).toEqual({ server: 'later', tool: 'other' });
  });

  it('leaves every tool as listed without overrides', () => {
    const plain = index({ files: catalog('files', ['read_file']) }, {});
    expect(plain.tools.toolsOf('files')).toEqual(catalog('files', ['read_file']).tools);
    expect(plain.tools.resolve('files__read_file', undefined, has)).toEqual({ server: 'files', tool: 'read_file' });
  });
});
