import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTokenFile, tokenFilePath } from '../../src/server/auth.js';
import { runCli, startService, writeConfig, type RunningService } from '../helpers/service.js';
import { STDIO_FIXTURE, until } from '../helpers/switchboard.js';

const config = () =>
  writeConfig(`
servers:
  files: { transport: stdio, command: ${process.execPath}, args: ["${STDIO_FIXTURE}", files] }
  other: { transport: stdio, command: ${process.execPath}, args: ["${STDIO_FIXTURE}", other] }
`);

describe('switchboard CLI', () => {
  it('validates a config and lists every problem with its key path', async () => {
    const good = await runCli(['validate', '--config', config()]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/valid, 2 servers/);
    const bad = writeConfig('servers:\n  web: { transport: http, url: "ftp://x", colour: red }\n  "a__b": { command: x }\n');
    const result = await runCli(['validate', '--config', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('servers.web.url');
    expect(result.stderr).toContain('servers.web.colour');
    expect(result.stderr).toContain('servers.a__b');
    const json = await runCli(['validate', '--config', bad, '--json']);
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout) as { valid: boolean; issues: { path: string }[] };
    expect(report.valid).toBe(false);
    expect(report.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['servers.web.url', 'servers.web.colour']));
    expect(JSON.parse((await runCli(['validate', '--config', config(), '--json'])).stdout)).toMatchObject({ valid: true, servers: [{ name: 'files' }, { name: 'other' }] });
    expect((await runCli(['validate', '--config', '/nonexistent.yaml'])).code).toBe(2);
  });

  it('lists tools standalone as a table and as JSON', async () => {
    const path = config();
    const table = await runCli(['tools', '--config', path]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^TOOL\s+SERVER\s+QUALIFIED NAME/m);
    expect(table.stdout).toMatch(/only_other\s+other\s+other__only_other/);
    const json = await runCli(['tools', '--config', path, '--json', '--server', 'files']);
    const { tools, unavailable } = JSON.parse(json.stdout) as { tools: { server: string }[]; unavailable: unknown[] };
    expect(unavailable).toEqual([]);
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.every((t) => t.server === 'files')).toBe(true);
  });

  it('calls a tool standalone with exit codes that mean something', async () => {
    const path = config();
    const ok = await runCli(['call', 'add', '--server', 'files', '--args', '{"a":2,"b":5}', '--config', path]);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain('7');
    const json = await runCli(['call', 'files__add', '--args', '{"a":1,"b":1}', '--config', path, '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ content: [{ type: 'text', text: '2' }], structuredContent: { sum: 2 } });
    expect((await runCli(['call', 'files__fail', '--config', path])).code).toBe(1);
    const ambiguous = await runCli(['call', 'echo', '--args', '{"text":"x"}', '--config', path]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/^AmbiguousTool: /);
    expect((await runCli(['call', 'echo', '--args', 'not json', '--config', path])).code).toBe(2);
    expect((await runCli(['call', '--config', path])).code).toBe(2);
  });

  it('checks health standalone', async () => {
    const result = await runCli(['health', '--config', config(), '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ healthy: true, servers: { files: { ok: true }, other: { ok: true } } });
  });

  it('exits instead of hanging when serve cannot start (a taken port, with --inspect)', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = String((blocker.address() as { port: number }).port);
    try {
      const result = await runCli(['serve', '--config', config(), '--port', port, '--inspect'], { SWITCHBOARD_ADMIN_TOKEN: 'x-token-for-test' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/EADDRINUSE/);
      const bad = await runCli(['serve', '--config', writeConfig('servers: { a: { transport: nope } }\n'), '--inspect']);
      expect(bad.code).toBe(2);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it('prints help for every command and refuses unknown ones', async () => {
    for (const command of ['serve', 'tools', 'call', 'health', 'validate']) {
      const help = await runCli([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`Usage: switchboard ${command}`));
    }
    expect((await runCli(['--help'])).stdout).toContain('Commands:');
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['tools', '--bogus'])).code).toBe(2);
  });

  describe('against a running service (--url)', () => {
    let service: RunningService;
    const stateDir = mkdtempSync(join(tmpdir(), 'sb-state-'));

    beforeAll(async () => {
      service = await startService(['--config', config()], { SWITCHBOARD_STATE_DIR: stateDir, SWITCHBOARD_ADMIN_TOKEN: '' });
    });
    afterAll(async () => {
      await service?.stop();
    });

    it('generates a token, prints it once and saves it for the CLI', async () => {
      const port = Number(new URL(service.url).port);
      await until(() => service.stdout().includes('shown only now'), 5_000, 'the token banner');
      const token = readTokenFile(tokenFilePath(port, stateDir));
      expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      expect(service.stdout().split(token!).length - 1).toBe(1);
      const env = { SWITCHBOARD_STATE_DIR: stateDir, SWITCHBOARD_ADMIN_TOKEN: '' };
      const tools = await runCli(['tools', '--url', service.url, '--json'], env);
      expect(tools.code).toBe(0);
      expect(JSON.parse(tools.stdout).tools.length).toBeGreaterThan(10);
      const call = await runCli(['call', 'files__whoami', '--url', service.url], env);
      expect(call).toMatchObject({ code: 0, stdout: 'files\n' });
      const missing = await runCli(['call', 'nope', '--url', service.url], env);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^ToolNotFound/);
      const health = await runCli(['health', '--url', service.url], env);
      expect(health.code).toBe(0);
      expect(health.stdout).toMatch(/files\s+yes/);
      const denied = await runCli(['tools', '--url', service.url, '--token', 'wrong'], env);
      expect(denied.code).toBe(1);
    });
  });
});
