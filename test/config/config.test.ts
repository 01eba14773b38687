import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { loadConfigFileSync, parseConfigText, resolveConfig, type ResolvedServer } from '../../src/config/index.js';
import { issuesOf } from './issues.js';


describe('config', () => {
  it('resolves servers with defaults merged and arrays replaced', () => {
    const config = resolveConfig({
      servers: {
        files: { transport: 'stdio', command: 'node', args: ['a'], timeouts: { callMs: 5000 } },
        search: { transport: 'http', url: 'http://127.0.0.1:1/mcp', enabled: false },
      },
      defaults: { timeouts: { connectMs: 2000 }, reconnect: { baseMs: 50 } },
    });
    const files = config.servers.files!;
    expect(files).toMatchObject({ name: 'files', transport: 'stdio', enabled: true, args: ['a'] });
    expect(files.timeouts).toEqual({ connectMs: 2000, callMs: 5000, maxCallMs: 600000, shutdownMs: 5000 });
    expect(files.reconnect.baseMs).toBe(50);
    expect(files.breaker.maxWaitDurationInHalfOpenMs).toBe(10000);
    expect(config.servers.search!.enabled).toBe(false);
    expectTypeOf(files).toEqualTypeOf<ResolvedServer>();
  });

  it('defaults limits.maxMessageBytes to 10 MiB and lets defaults and servers override it', () => {
    const config = resolveConfig({
      servers: {
        a: { transport: 'stdio', command: 'x' },
        b: { transport: 'http', url: 'http://127.0.0.1:1/mcp', limits: { maxMessageBytes: 4096 } },
      },
      defaults: { limits: { maxMessageBytes: 1_048_576 } },
    });
    expect(config.servers.a!.limits.maxMessageBytes).toBe(1_048_576);
    expect(config.servers.b!.limits).toMatchObject({ maxMessageBytes: 4096, maxConcurrentCalls: 16, stderrBufferBytes: 65_536 });
    expect(resolveConfig({ servers: { a: { transport: 'stdio', command: 'x' } } }).servers.a!.limits.maxMessageBytes).toBe(10 * 1024 * 1024);
  });

  it('rejects a maxMessageBytes that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, '1024']) {
      const issues = issuesOf(() => resolveConfig({ servers: { a: { transport: 'stdio', command: 'x', limits: { maxMessageBytes: bad } } } }));
      expect(issues.map((i) => i.path)).toEqual(['servers.a.limits.maxMessageBytes']);
    }
    expect(issuesOf(() => resolveConfig({ servers: {}, defaults: { limits: { maxMessageBytes: 0 } } }))[0]!.path).toBe('defaults.limits.maxMessageBytes');
  });

  it('expands ${VAR}, ${VAR:-default} and $$ in one pass', () => {
    const config = resolveConfig(
      {
        servers: {
          s: {
            command: 'x',
            args: ['${HOME_DIR}/notes', '${LEVEL:-info}', 'cost: $$5', '${NESTED}'],
            env: { A: '${EMPTY:-fallback}' },
          },
        },
      },
      { env: { HOME_DIR: '/home/u', NESTED: '${HOME_DIR}', EMPTY: '' } },
    );
    const s = config.servers.s as ResolvedServer & { args: string[]; env: Record<string, string> };
    expect(s.args).toEqual(['/home/u/notes', 'info', 'cost: $5', '${HOME_DIR}']);
    expect(s.env.A).toBe('fallback');
  });

  it('names the key path of a missing variable instead of sending an empty string', () => {
    const issues = issuesOf(() =>
      resolveConfig({ servers: { search: { transport: 'http', url: 'http://h/mcp', headers: { Authorization: 'Bearer ${SEARCH_TOKEN}' } } } }, { env: {} }),
    );
    expect(issues).toEqual([{ path: 'servers.search.headers.Authorization', message: expect.stringContaining('SEARCH_TOKEN is not set') }]);
  });

  it('lists every problem with its key path in one error', () => {
    const issues = issuesOf(() =>
      resolveConfig({
        servers: {
          'bad__name': { command: 'x' },
          web: { transport: 'http', url: 'ftp://x' },
          files: { transport: 'stdio', command: 'x', colour: 'red' },
          odd: { transport: 'carrier-pigeon', url: 'http://x' },
        },
        defaults: { timeouts: { callMs: -1 } },
      }),
    );
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['servers.bad__name', 'servers.web.url', 'servers.files.colour', 'servers.odd.transport', 'defaults.timeouts.callMs']));
    expect(issues.length).toBeGreaterThanOrEqual(5);
  });

  it('accepts the mcpServers shape of Claude Desktop, Cursor and VS Code', () => {
    const config = resolveConfig({
      mcpServers: {
        files: { command: 'npx', args: ['-y', 'server'], env: { A: 'b' }, autoApprove: [] },
        remote: { url: 'http://127.0.0.1:9/mcp', headers: { X: 'y' } },
        old: { type: 'sse', url: 'http://127.0.0.1:9/sse', disabled: true },
        streamable: { type: 'streamable-http', url: 'http://127.0.0.1:9/mcp' },
      },
    });
    expect(config.servers.files!.transport).toBe('stdio');
    expect(config.servers.remote!.transport).toBe('http');
    expect(config.servers.old).toMatchObject({ transport: 'sse', enabled: false });
    expect(config.servers.streamable!.transport).toBe('http');
    expect(config.warnings).toEqual(['mcpServers.files.autoApprove: unknown key ignored']);
  });

  it('rejects aliases, merge keys, custom tags, prototype keys and duplicate keys in YAML', () => {
    const cases: [string, RegExp][] = [
      ['a: &x {b: 1}\nc: *x\n', /alias|anchor/i],
      ['base: &b {x: 1}\nother:\n  <<: *b\n', /alias|anchor/i],
      ['servers:\n  f: !!js/function "function(){}"\n', /tag/i],
      ['servers:\n  __proto__: {command: x}\n', /__proto__/],
      ['servers: {}\nservers: {}\n', /unique|duplicate/i],
    ];
    for (const [text, pattern] of cases) {
      const issues = issuesOf(() => parseConfigText(text, 'bad.yaml'));
      expect(issues.map((i) => i.message).join('\n')).toMatch(pattern);
    }
  });

  it('stops a billion-laughs document quickly', () => {
    const lol = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) lol.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const started = performance.now();
    issuesOf(() => parseConfigText(lol.join('\n')));
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('keeps an expanded value literally, adding no keys and expanding nothing twice', () => {
    const config = resolveConfig({ servers: { s: { command: 'x', args: ['${X}'] } } }, { env: { X: 'a\nb: c ${Y}' } });
    expect((config.servers.s as { args: string[] }).args).toEqual(['a\nb: c ${Y}']);
  });

  it('rejects __proto__ keys in objects given from code', () => {
    const raw = JSON.parse('{"servers": {"s": {"command": "x", "__proto__": {"polluted": true}}}}');
    expect(issuesOf(() => resolveConfig(raw))[0]!.path).toBe('servers.s.__proto__');
  });

  it('loads YAML and JSON files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
    writeFileSync(join(dir, 'a.yaml'), 'servers:\n  files:\n    transport: stdio\n    command: node\n');
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ mcpServers: { files: { command: 'node' } } }));
    expect(loadConfigFileSync(join(dir, 'a.yaml')).servers.files!.transport).toBe('stdio');
    expect(loadConfigFileSync(join(dir, 'b.json')).servers.files!.transport).toBe('stdio');
    expect(issuesOf(() => loadConfigFileSync(join(dir, 'missing.yaml')))[0]!.message).toMatch(/cannot read/);
  });
});
