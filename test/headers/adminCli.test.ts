import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startService, writeConfig, type RunningService } from '../helpers/service.js';
import { stdioServer } from '../helpers/switchboard.js';
import { startV2HttpServer } from '../helpers/v2Servers.js';
import { startRecorder, type Recorder } from './recorder.js';

/**
 * Per-call headers through the admin API and the CLI (DESIGN §17, issue 23): `headers` in the body
 * of `POST /mcp/call` (and the other request routes) and `switchboard call --header K=V` (local and
 * `--url`) go on that call's HTTP request only, seen by a recording proxy in front of a real v2
 * server; refused on a stdio server with a 400 / exit 2 and never printed.
 */

const SECRET = 'tenant-5b2e-secret-ZXCVB';
const TOKEN = 'admin-headers-token-0123456789';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function recorded(): Promise<Recorder> {
  const up = await startV2HttpServer('h');
  cleanups.push(() => up.close());
  const rec = await startRecorder(up.url);
  cleanups.push(() => rec.close());
  return rec;
}

const configFor = (rec: Recorder) =>
  writeConfig(JSON.stringify({ servers: { h: { url: rec.url }, local: stdioServer('local') }, defaults: { health: { intervalMs: 0 } }, admin: { token: TOKEN } }));

const callsWith = (rec: Recorder) => rec.seen.filter((r) => r.rpc === 'tools/call' && r.headers['x-tenant'] !== undefined);

describe('per-call headers through the admin API', () => {
  it('POST /mcp/call { headers } puts them on that call only; a stdio server is a 400 that does not print them', async () => {
    const rec = await recorded();
    const service: RunningService = await startService(['--config', configFor(rec)], { SWITCHBOARD_ADMIN_TOKEN: TOKEN }, { wait: 'listening' });
    cleanups.push(() => service.stop());
    const post = (body: unknown) => fetch(`${service.url}/mcp/call`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });
    const ok = await post({ tool: 'h__echo', arguments: { text: 'hi' }, headers: { 'X-Tenant': SECRET } });
    expect(ok.status).toBe(200);
    await post({ tool: 'h__echo', arguments: { text: 'plain' } });
    expect(callsWith(rec).map((r) => r.headers['x-tenant'])).toEqual([SECRET]);
    expect(rec.seen.filter((r) => r.rpc === 'tools/call')).toHaveLength(2);

    const refused = await post({ tool: 'echo', server: 'local', headers: { 'X-Tenant': SECRET } });
    expect(refused.status).toBe(400);
    const text = await refused.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'InvalidRequest' } });
    expect(text).not.toContain(SECRET);
    const bad = await post({ tool: 'h__echo', headers: { 'X-Tenant': 5 } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'InvalidRequest', message: expect.stringContaining('headers') } });
    expect(service.stdout() + service.stderr()).not.toContain(SECRET);
  });
});

describe('switchboard call --header', () => {
  it('adds the header to that call, in local mode and against a running service, and never prints it', async () => {
    const rec = await recorded();
    const config = configFor(rec);
    const local = await runCli(['call', 'h__echo', '--args', '{"text":"local"}', '--header', `X-Tenant=${SECRET}`, '--config', config]);
    expect(local.code).toBe(0);
    expect(local.stdout.trim()).toBe('local');
    expect(callsWith(rec)).toHaveLength(1);

    const service = await startService(['--config', config], { SWITCHBOARD_ADMIN_TOKEN: TOKEN }, { wait: 'listening' });
    cleanups.push(() => service.stop());
    const remote = await runCli(['call', 'h__echo', '--args', '{"text":"remote"}', '--header', `X-Tenant=${SECRET}`, '--url', service.url], { SWITCHBOARD_ADMIN_TOKEN: TOKEN });
    expect(remote.code).toBe(0);
    expect(remote.stdout.trim()).toBe('remote');
    expect(callsWith(rec)).toHaveLength(2);

    const stdio = await runCli(['call', 'echo', '--server', 'local', '--header', `X-Tenant=${SECRET}`, '--config', config]);
    expect(stdio.code).toBe(2);
    expect(stdio.stderr).toMatch(/stdio/);
    const badName = await runCli(['call', 'h__echo', '--header', 'Bad Name=x', '--config', config]);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('--header takes NAME=VALUE');
    for (const run of [local, remote, stdio]) expect(run.stdout + run.stderr).not.toContain(SECRET);
  });
});
