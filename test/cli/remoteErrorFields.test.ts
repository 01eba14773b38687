import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteClient } from '../../src/cli/remote.js';
import { isSwitchboardError } from '../../src/index.js';
import { runCli } from '../helpers/service.js';

/**
 * Typed errors keep their fields across the CLI (issue 22, item 3): the admin API sends
 * `{ error: { code, message, servers | issues | retryAfterMs } }`; `--url` mode rebuilds the same
 * class with the same fields, and `--json` prints them (locally and over `--url`).
 */

const MEDIA_SERVER = fileURLToPath(new URL('./mediaServer.mjs', import.meta.url));

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** An admin API stand-in that answers every request with `status` and `body`. */
async function serving(status: number, body: unknown, headers: Record<string, string> = {}): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function thrown(url: string): Promise<unknown> {
  try {
    await new RemoteClient(url, 'token').ok('POST', '/mcp/call', { tool: 'add' });
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('errors over the admin API keep their fields', () => {
  it('AmbiguousTool keeps servers', async () => {
    const url = await serving(409, { error: { code: 'AmbiguousTool', message: 'tool "add" exists on servers "a" and "b"', servers: ['a', 'b'] } });
    const error = await thrown(url);
    expect(isSwitchboardError(error, 'AmbiguousTool')).toBe(true);
    expect((error as { servers: string[] }).servers).toEqual(['a', 'b']);
    expect((error as Error).message).toBe('tool "add" exists on servers "a" and "b"');
  });

  it('ServerUnavailable keeps retryAfterMs (the Retry-After header when the body has none)', async () => {
    const url = await serving(503, { error: { code: 'ServerUnavailable', message: 'server "a" is not connected', retryAfterMs: 1234 } }, { 'retry-after': '2' });
    const error = await thrown(url);
    expect(isSwitchboardError(error, 'ServerUnavailable')).toBe(true);
    expect((error as { retryAfterMs?: number }).retryAfterMs).toBe(1234);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const headerOnly = await serving(503, { error: { code: 'CircuitOpen', message: 'open' } }, { 'retry-after': '3' });
    expect((await thrown(headerOnly)) as { retryAfterMs?: number }).toMatchObject({ code: 'CircuitOpen', retryAfterMs: 3000 });
  });

  it('ConfigError keeps issues; fields of the wrong shape are left out', async () => {
    const issues = [{ path: 'servers.a.url', message: 'required' }];
    const url = await serving(400, { error: { code: 'ConfigError', message: 'invalid config', issues: [...issues, 'junk', { path: 1 }] } });
    const error = await thrown(url);
    expect(isSwitchboardError(error, 'ConfigError')).toBe(true);
    expect((error as { issues: unknown[] }).issues).toEqual(issues);
  });

  it('call --url --json prints the fields the service sent', async () => {
    const url = await serving(409, { error: { code: 'AmbiguousTool', message: 'tool "echo" exists on servers "a" and "b"', servers: ['a', 'b'] } });
    const result = await runCli(['call', 'echo', '--url', url, '--token', 't', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stderr)).toEqual({ error: { code: 'AmbiguousTool', message: 'tool "echo" exists on servers "a" and "b"', servers: ['a', 'b'] } });
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const busy = await serving(429, { error: { code: 'ServerBusy', message: 'queue full', retryAfterMs: 750 } }, { 'retry-after': '1' });
    const refused = await runCli(['call', 'echo', '--url', busy, '--token', 't', '--json']);
    expect(JSON.parse(refused.stderr)).toEqual({ error: { code: 'ServerBusy', message: 'queue full', retryAfterMs: 750 } });
  });

  it('call --json (standalone) prints the servers of an ambiguous tool', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-ambiguous-'));
    const config = join(dir, 'switchboard.yaml');
    const media = `{ command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(MEDIA_SERVER)}] }`;
    writeFileSync(config, `servers:\n  a: ${media}\n  b: ${media}\n`);
    const result = await runCli(['call', 'echo', '--config', config, '--json']);
    expect(result.code).toBe(1);
    const { error } = JSON.parse(result.stderr) as { error: { code: string; message: string; servers: string[] } };
    // The servers in the order they connected.
    expect({ ...error, servers: [...error.servers].sort() }).toEqual({ code: 'AmbiguousTool', message: expect.stringContaining('exists on servers'), servers: ['a', 'b'] });
  });

  it('a ConfigError under --json has its message and its issues', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-badconfig-'));
    const config = join(dir, 'switchboard.yaml');
    writeFileSync(config, 'servers:\n  a: { command: node, colour: red }\n');
    const result = await runCli(['tools', '--config', config, '--json']);
    expect(result.code).toBe(2);
    const { error } = JSON.parse(result.stderr) as { error: { code: string; message: string; issues: { path: string }[] } };
    expect(error.code).toBe('ConfigError');
    expect(error.message).toContain('servers.a.colour');
    expect(error.issues.map((i) => i.path)).toEqual(['servers.a.colour']);
  });
});
