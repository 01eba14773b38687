import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { issuesOf } from './issues.js';


describe('config messages', () => {
  it('names a misspelled key in an mcpServers entry instead of a missing transport', () => {
    const issues = issuesOf(() => resolveConfig({ mcpServers: { files: { comand: 'npx', args: ['-y', 'server'] } } }));
    expect(issues).toEqual([{ path: 'mcpServers.files.comand', message: 'unknown key (did you mean "command"?)' }]);
  });

  it('says what an mcpServers entry with neither command nor url needs', () => {
    expect(issuesOf(() => resolveConfig({ mcpServers: { files: { args: ['x'] } } }))).toEqual([
      { path: 'mcpServers.files', message: 'needs "command" (stdio) or "url" (http, sse)' },
    ]);
  });

  it('keeps unknown keys of a usable mcpServers entry as warnings, with a hint', () => {
    const config = resolveConfig({ mcpServers: { files: { command: 'npx', arg: ['x'], autoApprove: [] } } });
    expect(config.warnings).toEqual(['mcpServers.files.arg: unknown key ignored (did you mean "args"?)', 'mcpServers.files.autoApprove: unknown key ignored']);
  });

  it('reports problems of an mcpServers file by its own key paths', () => {
    const issues = issuesOf(() => resolveConfig({ mcpServers: { web: { url: 'ftp://x' }, files: { command: '' } } }));
    expect(issues.map((i) => i.path).sort()).toEqual(['mcpServers.files.command', 'mcpServers.web.url']);
  });

  it('names an unknown key beside a missing or bad transport in our own format', () => {
    expect(issuesOf(() => resolveConfig({ servers: { files: { comand: 'npx' } } }))).toEqual([
      { path: 'servers.files.comand', message: 'unknown key (did you mean "command"?)' },
    ]);
    expect(issuesOf(() => resolveConfig({ servers: { files: { transport: 'pigeon', colour: 'red' } } }))).toEqual([
      { path: 'servers.files.colour', message: 'unknown key' },
      { path: 'servers.files.transport', message: 'must be one of stdio, http, sse' },
    ]);
    expect(issuesOf(() => resolveConfig({ servers: { files: { args: ['x'] } } }))).toEqual([
      { path: 'servers.files.transport', message: 'required: give "command" (stdio) or "url" (http), or set transport' },
    ]);
  });

  it('suggests the key meant when the transport is known too', () => {
    const issues = issuesOf(() => resolveConfig({ servers: { files: { transport: 'stdio', command: 'x', timeout: { callMs: 5 } } } }));
    expect(issues).toEqual([{ path: 'servers.files.timeout', message: 'unknown key (did you mean "timeouts"?)' }]);
  });

  it('says "required" for every missing required key', () => {
    const issues = issuesOf(() =>
      resolveConfig({ servers: { files: { transport: 'stdio' }, web: { transport: 'http' }, old: { transport: 'sse' } } }),
    );
    expect(issues).toEqual([
      { path: 'servers.files.command', message: 'required' },
      { path: 'servers.web.url', message: 'required' },
      { path: 'servers.old.url', message: 'required' },
    ]);
    expect(issuesOf(() => resolveConfig({}))).toEqual([{ path: 'servers', message: 'required' }]);
    expect(JSON.stringify(issues)).not.toMatch(/received undefined/);
  });
});
