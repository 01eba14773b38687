import { describe, expect, it } from 'vitest';
import { resolveConfig, STDIO_CONNECT_MS } from '../../src/config/index.js';
import { issuesOf } from './issues.js';

/**
 * Settings of the first hour (DESIGN §18, issue 22): a stdio server's own connect deadline for a
 * cold `npx -y`, `admission.waitForReconnectMs`, `gateway.initialWaitMs` and `profiles`, per-server
 * `tools.rename` / `tools.describe`, and our settings inside an `mcpServers` file, checked as
 * strictly as in our format.
 */

describe('first-hour settings', () => {
  it('gives a stdio server a connect deadline that fits a cold npx -y, unless the config sets one', () => {
    const config = resolveConfig({
      servers: {
        cold: { command: 'npx', args: ['-y', 'x'] },
        web: { url: 'https://example.com/mcp' },
        pinned: { command: 'node', timeouts: { connectMs: 3000 } },
      },
    });
    expect(config.servers.cold!.timeouts.connectMs).toBe(STDIO_CONNECT_MS);
    expect(config.servers.web!.timeouts.connectMs).toBe(10_000);
    expect(config.servers.pinned!.timeouts.connectMs).toBe(3000);
    const withDefaults = resolveConfig({ servers: { cold: { command: 'npx' } }, defaults: { timeouts: { connectMs: 20_000 } } });
    expect(withDefaults.servers.cold!.timeouts.connectMs).toBe(20_000);
  });

  it('takes admission.waitForReconnectMs in defaults and per server (default 5 000, 0 = never wait)', () => {
    const config = resolveConfig({ servers: { a: { command: 'x' }, b: { command: 'x', admission: { waitForReconnectMs: 0 } } }, defaults: { admission: { waitForReconnectMs: 2000 } } });
    expect(config.servers.a!.admission.waitForReconnectMs).toBe(2000);
    expect(config.servers.b!.admission.waitForReconnectMs).toBe(0);
    expect(resolveConfig({ servers: { a: { command: 'x' } } }).servers.a!.admission.waitForReconnectMs).toBe(5000);
    expect(issuesOf(() => resolveConfig({ servers: { a: { command: 'x', admission: { waitForReconectMs: 1 } } } }))).toEqual([
      { path: 'servers.a.admission.waitForReconectMs', message: 'unknown key (did you mean "waitForReconnectMs"?)' },
    ]);
  });

  it('takes gateway.initialWaitMs and profiles, naming a bad profile', () => {
    const config = resolveConfig({ servers: { a: { command: 'x' } }, gateway: { profiles: { coding: { servers: ['a'], tools: { deny: ['*delete*'] } } } } });
    expect(config.gateway.initialWaitMs).toBe(15_000);
    expect(config.gateway.profiles).toEqual({ coding: { servers: ['a'], tools: { deny: ['*delete*'] } } });
    expect(issuesOf(() => resolveConfig({ servers: {}, gateway: { profiles: { 'a b': {} } } })).map((i) => i.path)).toEqual(['gateway.profiles.a b']);
    expect(issuesOf(() => resolveConfig({ servers: {}, gateway: { profiles: { p: { server: ['a'] } } } }))).toEqual([{ path: 'gateway.profiles.p.server', message: 'unknown key (did you mean "servers"?)' }]);
  });

  it('takes tools.rename and tools.describe on a server', () => {
    const config = resolveConfig({ servers: { gh: { command: 'x', tools: { rename: { search_issues: 'find_issues' }, describe: { find_issues: 'Search GitHub issues' } } } } });
    expect(config.servers.gh!.tools).toEqual({ rename: { search_issues: 'find_issues' }, describe: { find_issues: 'Search GitHub issues' } });
    expect(issuesOf(() => resolveConfig({ servers: { gh: { command: 'x', tools: { rename: { a: 'has space' } } } } })).map((i) => i.path)).toEqual(['servers.gh.tools.rename.a']);
  });

  it('takes our settings inside an mcpServers file, per server and at the top, as strictly as in our format', () => {
    const config = resolveConfig({
      mcpServers: {
        memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'], timeouts: { connectMs: 90_000 }, tools: { deny: ['delete_*'] }, autoApprove: ['read_graph'] },
      },
      defaults: { reconnect: { maxMs: 5000 } },
      gateway: { initialWaitMs: 30_000 },
      admin: { port: 7301 },
      globalShortcut: 'Ctrl+M',
    });
    expect(config.servers.memory!.timeouts.connectMs).toBe(90_000);
    expect(config.servers.memory!.tools).toEqual({ deny: ['delete_*'] });
    expect(config.servers.memory!.reconnect.maxMs).toBe(5000);
    expect(config.gateway.initialWaitMs).toBe(30_000);
    expect(config.admin.port).toBe(7301);
    // Keys hosts write are still skipped with a warning; ours are not.
    expect(config.warnings).toEqual(['mcpServers.memory.autoApprove: unknown key ignored', 'globalShortcut: unknown top-level key ignored']);
    // …and are checked: a typo inside one of our blocks is an error naming its mcpServers path.
    expect(issuesOf(() => resolveConfig({ mcpServers: { m: { command: 'x', timeouts: { conectMs: 1 } } } }))).toEqual([
      { path: 'mcpServers.m.timeouts.conectMs', message: 'unknown key (did you mean "connectMs"?)' },
    ]);
    expect(issuesOf(() => resolveConfig({ mcpServers: { m: { command: 'x' } }, gateway: { initialWaitMs: -1 } })).map((i) => i.path)).toEqual(['gateway.initialWaitMs']);
  });
});

describe('gateway profiles name servers of the config', () => {
  it('refuses a profile naming a server the config does not have, with a hint', () => {
    expect(issuesOf(() => resolveConfig({ servers: { files: { command: 'x' } }, gateway: { profiles: { dev: { servers: ['files', 'fils'] } } } }))).toEqual([
      { path: 'gateway.profiles.dev.servers.1', message: 'no server named "fils" in servers (did you mean "files"?)' },
    ]);
    // Also from an mcpServers file.
    expect(issuesOf(() => resolveConfig({ mcpServers: { a: { command: 'x' } }, gateway: { profiles: { p: { servers: ['b'] } } } }))).toEqual([
      { path: 'gateway.profiles.p.servers.0', message: 'no server named "b" in servers' },
    ]);
  });
});
