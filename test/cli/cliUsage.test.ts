import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, SERVICE_FIXTURE, startService, writeConfig, type RunningService } from '../helpers/service.js';
import { STDIO_FIXTURE } from '../helpers/switchboard.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const healthyConfig = () =>
  writeConfig(`
servers:
  files: { transport: stdio, command: ${process.execPath}, args: ["${STDIO_FIXTURE}", files] }
`);

// One server that works, one that dies at start saying why on stderr, one that cannot be found.
const mixedConfig = () =>
  writeConfig(`
servers:
  files: { transport: stdio, command: ${process.execPath}, args: ["${STDIO_FIXTURE}", files] }
  broken: { transport: stdio, command: ${process.execPath}, args: ["${SERVICE_FIXTURE}", "die=fatal: API_KEY is not set"] }
  missing: { transport: stdio, command: /nonexistent/mcp-server }
defaults:
  reconnect: { baseMs: 50, minMs: 20, maxMs: 200 }
admin: { token: "\${SWITCHBOARD_ADMIN_TOKEN:-}" }
`);

type Unavailable = { server: string; state: string; lastError: { code: string; message: string } | null; stderrTail: string };

describe('switchboard CLI usage', () => {
  it('reports usage errors as usage errors, with exit 2', async () => {
    const path = healthyConfig();
    const cases: [string[], RegExp][] = [
      [['call', '--config', path], /name the tool/],
      [['call', 'echo', '--args', 'not json', '--config', path], /--args must be a JSON object/],
      [['serve', '--port', '99999', '--config', path], /--port must be between 0 and 65535/],
      [['serve', '--log-level', 'loud', '--config', path], /--log-level must be one of debug, info, warn, error/],
      [['serve', '--inspect-port', '70000', '--config', path], /--inspect-port must be between 0 and 65535/],
      [['gateway', '--log-level', 'loud', '--config', path], /--log-level must be one of debug, info, warn, error/],
      [['tools', '--bogus'], /Unknown option '--bogus'/],
      [['toString'], /unknown command "toString"/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, {}, 10_000);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(/^usage: /);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/invalid config|RangeError|ERR_SOCKET_BAD_PORT/);
    }
  });

  it('prints the package version with --version and -v', async () => {
    for (const flag of ['--version', '-v']) expect(await runCli([flag])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('prints a result once: text content, structuredContent only without text or under --json', async () => {
    const path = writeConfig(`
servers:
  files: { transport: stdio, command: ${process.execPath}, args: ["${STDIO_FIXTURE}", files] }
  fx: { transport: stdio, command: ${process.execPath}, args: ["${SERVICE_FIXTURE}"] }
`);
    expect(await runCli(['call', 'files__add', '--args', '{"a":2,"b":5}', '--config', path])).toMatchObject({ code: 0, stdout: '7\n' });
    const json = await runCli(['call', 'files__add', '--args', '{"a":2,"b":5}', '--config', path, '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ content: [{ type: 'text', text: '7' }], structuredContent: { sum: 7 } });
    const structured = await runCli(['call', 'fx__structured', '--config', path]);
    expect(structured).toMatchObject({ code: 0 });
    expect(JSON.parse(structured.stdout)).toEqual({ answer: 42 });
  });

  it('exits 1 with ServerNotFound for tools --server of an unknown server', async () => {
    const result = await runCli(['tools', '--server', 'nope', '--config', healthyConfig()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ServerNotFound: /);
    expect(result.stdout).toBe('');
  });

  it('names every server that did not connect, with its last error and stderr, in tools and health', async () => {
    const path = mixedConfig();
    const table = await runCli(['tools', '--config', path]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/whoami\s+files\s+files__whoami/);
    expect(table.stderr).toMatch(/server "broken" is not connected \(\w+, \w+: .+\)/);
    expect(table.stderr).toContain('broken stderr: fatal: API_KEY is not set');
    expect(table.stderr).toMatch(/server "missing" is not connected \(error, ENOENT: command not found/);

    const json = await runCli(['tools', '--config', path, '--json']);
    expect(json.code).toBe(0);
    const listing = JSON.parse(json.stdout) as { tools: { server: string }[]; unavailable: Unavailable[] };
    expect(new Set(listing.tools.map((t) => t.server))).toEqual(new Set(['files']));
    const byName = Object.fromEntries(listing.unavailable.map((u) => [u.server, u]));
    expect(Object.keys(byName).sort()).toEqual(['broken', 'missing']);
    expect(byName.broken!.lastError?.code).toEqual(expect.any(String));
    expect(byName.broken!.stderrTail).toContain('fatal: API_KEY is not set');
    expect(byName.missing).toMatchObject({ state: 'error', lastError: { code: 'ENOENT' } });

    const health = await runCli(['health', '--config', path]);
    expect(health.code).toBe(1);
    expect(health.stdout).toMatch(/missing\s+no\s+not connected \(error\): ENOENT: command not found/);
    const healthJson = JSON.parse((await runCli(['health', '--config', path, '--json'])).stdout) as { servers: Record<string, { ok: boolean; lastError?: { code: string } }> };
    expect(healthJson.servers.missing).toMatchObject({ ok: false, state: 'error', lastError: { code: 'ENOENT' } });
    expect(healthJson.servers.files).toMatchObject({ ok: true });
  });

  describe('against a running service (--url)', () => {
    let service: RunningService;
    const TOKEN = 'cli-usage-token-0123456789';
    const env = { SWITCHBOARD_ADMIN_TOKEN: TOKEN };

    beforeAll(async () => {
      service = await startService(['--config', mixedConfig()], env);
    });
    afterAll(async () => {
      await service?.stop();
    });

    it('reports unconnected servers and unknown servers the same way as standalone', async () => {
      const json = await runCli(['tools', '--url', service.url, '--json'], env);
      expect(json.code).toBe(0);
      const listing = JSON.parse(json.stdout) as { tools: unknown[]; unavailable: Unavailable[] };
      expect(listing.tools.length).toBeGreaterThan(5);
      expect(listing.unavailable.map((u) => u.server).sort()).toEqual(['broken', 'missing']);
      expect(listing.unavailable.find((u) => u.server === 'broken')!.stderrTail).toContain('fatal: API_KEY is not set');
      const table = await runCli(['tools', '--url', service.url], env);
      expect(table.stderr).toMatch(/server "missing" is not connected \(error, ENOENT/);
      const missing = await runCli(['tools', '--url', service.url, '--server', 'nope'], env);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^ServerNotFound: /);
      const health = await runCli(['health', '--url', service.url], env);
      expect(health.code).toBe(1);
      expect(health.stdout).toMatch(/missing\s+no\s+not connected \(error\): ENOENT/);
    });
  });
});
