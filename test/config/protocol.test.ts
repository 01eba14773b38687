import { describe, expect, expectTypeOf, it } from 'vitest';
import { DEFAULT_POLICY, parseConfigText, PROTOCOL_CHOICES, resolveConfig, type ResolvedServer, type RuntimeServer } from '../../src/config/index.js';
import type { ProtocolChoice } from '../../src/protocol/session.js';
import { createSwitchboard } from '../../src/switchboard/switchboard.js';
import { inMemoryServer } from '../helpers/switchboard.js';
import { issuesOf } from './issues.js';

/**
 * The `protocol` key (DESIGN §15): `auto | 2025-11-25 | 2026-07-28` per server and in `defaults`,
 * `auto` by default, accepted in `mcpServers` entries too, resolved onto every server.
 */

const stdio = (extra: Record<string, unknown> = {}) => ({ transport: 'stdio', command: 'x', ...extra });
const ACCEPTED = 'must be one of auto, 2025-11-25, 2026-07-28';

describe('config: protocol', () => {
  it('defaults to auto on every server, whatever its transport', () => {
    const config = resolveConfig({
      servers: { a: stdio(), b: { transport: 'http', url: 'http://127.0.0.1:1/mcp' }, c: { transport: 'sse', url: 'http://127.0.0.1:1/sse' } },
    });
    expect(Object.values(config.servers).map((s) => s.protocol)).toEqual(['auto', 'auto', 'auto']);
    expect(DEFAULT_POLICY.protocol).toBe('auto');
    expectTypeOf<ResolvedServer['protocol']>().toEqualTypeOf<ProtocolChoice>();
    expectTypeOf<RuntimeServer['protocol']>().toEqualTypeOf<ProtocolChoice>();
    expect([...PROTOCOL_CHOICES]).toEqual(['auto', '2025-11-25', '2026-07-28'] satisfies ProtocolChoice[]);
  });

  it('accepts each value on a server of each transport', () => {
    for (const protocol of PROTOCOL_CHOICES) {
      const config = resolveConfig({
        servers: {
          a: stdio({ protocol }),
          b: { transport: 'http', url: 'http://127.0.0.1:1/mcp', protocol },
          ...(protocol === '2026-07-28' ? {} : { c: { transport: 'sse' as const, url: 'http://127.0.0.1:1/sse', protocol } }),
        },
      });
      expect(Object.values(config.servers).map((s) => s.protocol)).toEqual(protocol === '2026-07-28' ? [protocol, protocol] : [protocol, protocol, protocol]);
    }
  });

  it('refuses an sse server pinned to 2026-07-28 (the legacy SSE transport has no modern era), naming its key', () => {
    expect(issuesOf(() => resolveConfig({ servers: { s: { transport: 'sse', url: 'http://127.0.0.1:1/sse', protocol: '2026-07-28' } } }))).toEqual([
      { path: 'servers.s.protocol', message: 'an sse server speaks only the legacy era: use 2025-11-25 or auto (or transport: http)' },
    ]);
  });

  it('inherits defaults.protocol, and a server’s own value wins', () => {
    const config = resolveConfig({
      servers: { inherits: stdio(), own: stdio({ protocol: '2026-07-28' }), auto: stdio({ protocol: 'auto' }) },
      defaults: { protocol: '2025-11-25', timeouts: { connectMs: 2000 } },
    });
    expect(config.servers.inherits!.protocol).toBe('2025-11-25');
    expect(config.servers.own!.protocol).toBe('2026-07-28');
    expect(config.servers.auto!.protocol).toBe('auto');
    expect(config.defaults?.protocol).toBe('2025-11-25');
    // The rest of the policy merges as before.
    expect(config.servers.own!.timeouts.connectMs).toBe(2000);
  });

  it('reads versions in YAML as strings (the core schema has no dates)', () => {
    const text = 'servers:\n  a: { command: x, protocol: 2026-07-28 }\n  b: { command: x }\ndefaults:\n  protocol: 2025-11-25\n';
    const config = resolveConfig(parseConfigText(text, 'protocol.yaml'));
    expect(config.servers.a!.protocol).toBe('2026-07-28');
    expect(config.servers.b!.protocol).toBe('2025-11-25');
  });

  it('accepts protocol in mcpServers entries without a warning', () => {
    const config = resolveConfig({ mcpServers: { files: { command: 'x', protocol: '2026-07-28' }, web: { url: 'http://127.0.0.1:1/mcp' } } });
    expect(config.servers.files!.protocol).toBe('2026-07-28');
    expect(config.servers.web!.protocol).toBe('auto');
    expect(config.warnings).toEqual([]);
  });

  it('names the exact key path and the accepted values for a bad value, in every place it can be written', () => {
    expect(issuesOf(() => resolveConfig({ servers: { foo: stdio({ protocol: '2025-06-18' }) } }))).toEqual([{ path: 'servers.foo.protocol', message: ACCEPTED }]);
    expect(issuesOf(() => resolveConfig({ servers: { web: { transport: 'http', url: 'http://127.0.0.1:1/mcp', protocol: 'modern' } } }))).toEqual([
      { path: 'servers.web.protocol', message: ACCEPTED },
    ]);
    expect(issuesOf(() => resolveConfig({ servers: {}, defaults: { protocol: 2026 } }))).toEqual([{ path: 'defaults.protocol', message: ACCEPTED }]);
    expect(issuesOf(() => resolveConfig({ mcpServers: { files: { command: 'x', protocol: 'AUTO' } } }))).toEqual([{ path: 'mcpServers.files.protocol', message: ACCEPTED }]);
    expect(issuesOf(() => resolveConfig({ servers: { foo: stdio({ protocol: null }) } }))).toEqual([{ path: 'servers.foo.protocol', message: ACCEPTED }]);
    // Every problem at once, as for any other key.
    const both = issuesOf(() => resolveConfig({ servers: { a: stdio({ protocol: 'x' }), b: stdio({ protocol: 'y' }) }, defaults: { protocol: 'z' } }));
    expect(both.map((issue) => issue.path).sort()).toEqual(['defaults.protocol', 'servers.a.protocol', 'servers.b.protocol']);
  });

  it('suggests protocol for a misspelled key', () => {
    expect(issuesOf(() => resolveConfig({ servers: { a: stdio({ protocl: 'auto' }) } }))).toEqual([{ path: 'servers.a.protocl', message: 'unknown key (did you mean "protocol"?)' }]);
  });

  it('gives a server known only by its transport (transport: custom) the protocol of defaults, or auto', async () => {
    /** The resolved config of a record (white box: what the connector is handed). */
    const configOf = (sb: ReturnType<typeof createSwitchboard>, name: string) =>
      (sb as unknown as { rt: { servers: { get(name: string): { config: RuntimeServer } } } }).rt.servers.get(name).config;
    const pinned = createSwitchboard({ servers: {}, defaults: { protocol: '2025-11-25' } }, { transports: { mem: inMemoryServer('mem') } });
    const plain = createSwitchboard({ servers: {} }, { transports: { mem: inMemoryServer('mem') } });
    try {
      expect(configOf(pinned, 'mem')).toMatchObject({ transport: 'custom', protocol: '2025-11-25' });
      expect(configOf(plain, 'mem')).toMatchObject({ transport: 'custom', protocol: 'auto' });
    } finally {
      await Promise.all([pinned.stop(), plain.stop()]);
    }
  });
});
