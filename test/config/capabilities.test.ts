import { describe, expect, expectTypeOf, it } from 'vitest';
import { resolveConfig, type CapabilitiesConfig, type ResolvedServer } from '../../src/config/index.js';
import { issuesOf } from './issues.js';


describe('per-server capabilities', () => {
  it('is accepted on every transport and carried by the resolved server', () => {
    const config = resolveConfig({
      servers: {
        a: { transport: 'stdio', command: 'x', capabilities: { sampling: false } },
        b: { transport: 'http', url: 'http://127.0.0.1:1/mcp', capabilities: { elicitation: false, roots: true } },
        c: { transport: 'sse', url: 'http://127.0.0.1:1/sse', capabilities: {} },
        d: { transport: 'stdio', command: 'x' },
      },
    });
    expect(config.servers.a!.capabilities).toEqual({ sampling: false });
    expect(config.servers.b!.capabilities).toEqual({ elicitation: false, roots: true });
    expect(config.servers.c!.capabilities).toEqual({});
    expect(config.servers.d!.capabilities).toBeUndefined();
    expectTypeOf<ResolvedServer['capabilities']>().toEqualTypeOf<CapabilitiesConfig | undefined>();
  });

  it('rejects unknown capability names and values that are not booleans', () => {
    const issues = issuesOf(() =>
      resolveConfig({
        servers: {
          a: { transport: 'stdio', command: 'x', capabilities: { tools: false } },
          b: { transport: 'stdio', command: 'x', capabilities: { roots: 'no' } },
        },
      }),
    );
    expect(issues.map((i) => i.path)).toEqual(['servers.a.capabilities.tools', 'servers.b.capabilities.roots']);
    expect(issues[0]!.message).toMatch(/unknown key/);
  });

  it('is read from an mcpServers entry too, checked the same way', () => {
    const config = resolveConfig({ mcpServers: { files: { command: 'node', capabilities: { roots: false } } } });
    expect(config.servers.files!.capabilities).toEqual({ roots: false });
    expect(config.warnings).toEqual([]);
    const issues = issuesOf(() => resolveConfig({ mcpServers: { files: { command: 'node', capabilities: { sampling: 1 } } } }));
    expect(issues.map((i) => i.path)).toEqual(['mcpServers.files.capabilities.sampling']);
  });
});
