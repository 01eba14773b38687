import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startService, writeConfig, type RunningService } from '../helpers/service.js';
import { STDIO_FIXTURE } from '../helpers/switchboard.js';

/**
 * `switchboard health` shows the protocol of each connected server (DESIGN §8, §15): a PROTOCOL
 * column in the table, `protocol: { era, version }` in `--json`, standalone and with `--url`; a
 * server that is not connected has none.
 */

const LEGACY = { era: 'legacy', version: '2025-11-25' };

const config = () =>
  writeConfig(`
servers:
  files: { transport: stdio, command: ${process.execPath}, args: ["${STDIO_FIXTURE}", files], protocol: "2025-11-25" }
  other: { transport: stdio, command: ${process.execPath}, args: ["${STDIO_FIXTURE}", other] }
  missing: { transport: stdio, command: /nonexistent/mcp-server-binary }
defaults: { health: { intervalMs: 0 }, reconnect: { maxAttempts: 1 } }
admin: { token: "\${SWITCHBOARD_ADMIN_TOKEN:-}" }
`);

type HealthJson = { servers: Record<string, { ok: boolean; protocol?: unknown; state?: string }> };

function expectProtocols(table: string, json: HealthJson): void {
  expect(table).toMatch(/^SERVER\s+OK\s+LATENCY\s+PROTOCOL\s+ERROR$/m);
  expect(table).toMatch(/^files\s+yes\s+[\d.]+ ms\s+2025-11-25 \(legacy\)$/m);
  expect(table).toMatch(/^other\s+yes\s+[\d.]+ ms\s+2025-11-25 \(legacy\)$/m);
  expect(table).toMatch(/^missing\s+no\s+not connected \(error\): ENOENT/m);
  expect(json.servers.files).toMatchObject({ ok: true, protocol: LEGACY });
  expect(json.servers.other).toMatchObject({ ok: true, protocol: LEGACY });
  expect(json.servers.missing).toMatchObject({ ok: false, state: 'error' });
  expect(Object.hasOwn(json.servers.missing!, 'protocol')).toBe(false);
}

describe('switchboard health: protocol', () => {
  it('shows each connected server’s protocol standalone, as text and JSON', async () => {
    const path = config();
    const table = await runCli(['health', '--config', path]);
    expect(table.code).toBe(1);
    const json = await runCli(['health', '--config', path, '--json']);
    expectProtocols(table.stdout, JSON.parse(json.stdout) as HealthJson);
    const one = JSON.parse((await runCli(['health', '--config', path, '--json', '--server', 'files'])).stdout) as HealthJson;
    expect(one.servers).toEqual({ files: expect.objectContaining({ ok: true, protocol: LEGACY }) });
  });

  it('lists each server’s configured protocol in validate --json', async () => {
    const result = await runCli(['validate', '--config', config(), '--json']);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { servers: { name: string; protocol: string }[] }).servers.map((s) => [s.name, s.protocol])).toEqual([
      ['files', '2025-11-25'],
      ['other', 'auto'],
      ['missing', 'auto'],
    ]);
  });

  describe('against a running service (--url)', () => {
    let service: RunningService;
    const TOKEN = 'health-protocol-token-0123456789';
    const env = { SWITCHBOARD_ADMIN_TOKEN: TOKEN };

    beforeAll(async () => {
      service = await startService(['--config', config()], env);
    });
    afterAll(async () => {
      await service?.stop();
    });

    it('shows the same protocols as standalone', async () => {
      const table = await runCli(['health', '--url', service.url], env);
      const json = await runCli(['health', '--url', service.url, '--json'], env);
      expectProtocols(table.stdout, JSON.parse(json.stdout) as HealthJson);
    });
  });
});
