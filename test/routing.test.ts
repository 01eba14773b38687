import { describe, expect, it } from 'vitest';
import type { ToolInfo } from '../machines/types.js';
import { qualifiedName } from '../src/naming.js';
import { ToolIndex } from '../src/routing.js';

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
