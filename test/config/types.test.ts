import { describe, expect, expectTypeOf, it } from 'vitest';
import { resolveConfig, type McpServersConfig, type ServersConfig, type SwitchboardConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/core/errors.js';
import { createSwitchboard, type SwitchboardInput } from '../../src/switchboard/switchboard.js';

// These assertions are checked by `tsc -p tsconfig.json` (npm test type-checks test/ first).
describe('config types', () => {
  it('accepts the mcpServers shape in createSwitchboard, typed', async () => {
    const claude = { mcpServers: { files: { command: 'node', args: ['server.js'], env: { A: 'b' }, autoApprove: [] } } } satisfies McpServersConfig;
    expectTypeOf(claude).toExtend<SwitchboardConfig>();
    expectTypeOf<McpServersConfig>().toExtend<SwitchboardInput>();
    expectTypeOf<ServersConfig>().toExtend<SwitchboardInput>();
    const sb = createSwitchboard(claude);
    expect(sb.getServer('files')).toMatchObject({ transport: 'stdio', target: 'node server.js' });
    await sb.stop();
    // @ts-expect-error command must be a string
    expect(() => createSwitchboard({ mcpServers: { files: { command: 42 } } })).toThrow(ConfigError);
    // @ts-expect-error neither format: a misspelled top-level key
    expect(() => createSwitchboard({ server: {} })).toThrow(ConfigError);
  });
});

describe('server names that are prototype members', () => {
  const names = ['toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString'];

  it('resolve as ordinary servers in both formats', () => {
    const own = resolveConfig({ servers: Object.fromEntries(names.map((n) => [n, { transport: 'stdio' as const, command: `cmd-${n}` }])) });
    const mcp = resolveConfig({ mcpServers: Object.fromEntries(names.map((n) => [n, { url: `http://127.0.0.1:9/${n}` }])) });
    for (const name of names) {
      expect(Object.hasOwn(own.servers, name)).toBe(true);
      expect(own.servers[name]).toMatchObject({ name, transport: 'stdio', command: `cmd-${name}`, enabled: true });
      expect(mcp.servers[name]).toMatchObject({ name, transport: 'http', url: `http://127.0.0.1:9/${name}` });
    }
  });

  it('resolve in a switchboard and take part in getServer and listServers', async () => {
    // `as const`: tsc does not contextually type a property named like an Object.prototype member
    // inside a Record (the literal widens to string), a compiler limit, not ours.
    const sb = createSwitchboard({
      servers: { toString: { transport: 'stdio' as const, command: 'node' }, valueOf: { transport: 'http' as const, url: 'http://127.0.0.1:9/mcp' } },
    });
    expect(sb.getServer('toString')).toMatchObject({ name: 'toString', state: 'disconnected', target: 'node' });
    expect(sb.listServers().map((s) => s.name)).toEqual(['toString', 'valueOf']);
    expect(sb.getServer('hasOwnProperty')).toBeUndefined();
    await sb.stop();
  });

  it('are never mistaken for a transport alias or a variable', () => {
    expect(() => resolveConfig({ servers: { s: { type: 'toString', command: 'x' } } })).toThrow(/must be one of stdio, http, sse/);
    expect(() => resolveConfig({ servers: { s: { command: '${toString}' } } }, { env: {} })).toThrow(/toString is not set/);
  });

  it('keeps __proto__, constructor and prototype forbidden', () => {
    for (const name of ['constructor', 'prototype']) {
      expect(() => resolveConfig({ servers: { [name]: { command: 'x' } } })).toThrow(ConfigError);
    }
    expect(() => resolveConfig(JSON.parse('{"servers": {"__proto__": {"command": "x"}}}'))).toThrow(/__proto__/);
  });
});
