import { renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePid, waitGone } from '../helpers/processes.js';
import { eventsOf, readEvents, SERVICE_FIXTURE, startService, toolsOnceListed, writeConfig, type EventReader, type RunningService } from '../helpers/service.js';
import { until } from '../helpers/switchboard.js';

/**
 * Config reload in a real `switchboard serve` (DESIGN §13), `GET /mcp/servers/:name`, and the
 * gateway as streamable HTTP MCP at `/mcp` (DESIGN §12): one service for the SIGHUP, HTTP and
 * gateway tests, one more with --watch.
 */

const TOKEN = 'reload-admin-token-0123456789';
const SECRET = 'reload-env-SECRET-55';
const fixture = (name: string) => `  ${name}: { transport: stdio, command: ${process.execPath}, args: ${JSON.stringify([SERVICE_FIXTURE, `name=${name}`])}, env: { API_KEY: "\${RELOAD_SECRET}" } }`;
const yaml = (...names: string[]) => `servers:\n${names.map(fixture).join('\n')}\nadmin: { token: "\${ADMIN_TOKEN}" }\n`;

type Status = { name: string; state: string; stderrTail: string; target: string };

function api(service: RunningService, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${service.url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) } });
}

async function serverOf(service: RunningService, name: string): Promise<Status | undefined> {
  const response = await api(service, `/mcp/servers/${name}`);
  return response.status === 200 ? ((await response.json()) as Status) : undefined;
}

async function waitConnected(service: RunningService, name: string): Promise<Status> {
  let status: Status | undefined;
  const deadline = Date.now() + 15_000;
  while ((status = await serverOf(service, name))?.state !== 'connected') {
    if (Date.now() > deadline) throw new Error(`${name} did not connect: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return status!;
}

/** A raw POST, so Host and Origin can be anything. */
function rawPost(url: string, headers: Record<string, string>, body: string): Promise<number> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, method: 'POST', path: '/mcp', headers: { host: target.host, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const INITIALIZE = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });

describe('serve: reload on SIGHUP and POST /mcp/config/reload, one server by name, the gateway at /mcp', () => {
  let service: RunningService;
  let config: string;
  let events: EventReader;
  let client: Client;
  let listChanged = 0;

  beforeAll(async () => {
    config = writeConfig(yaml('alpha'));
    service = await startService(['--config', config], { ADMIN_TOKEN: TOKEN, RELOAD_SECRET: SECRET });
    events = await readEvents(service.url, TOKEN);
  });

  afterAll(async () => {
    await client?.close();
    await events?.close();
    if (service && service.child.exitCode === null) expect(await service.stop()).toBe(0);
  });

  it('answers GET /mcp/servers/:name with one server as getServer shows it, and has no route that adds one', async () => {
    const alpha = await serverOf(service, 'alpha');
    expect(alpha).toMatchObject({ name: 'alpha', state: 'connected', transport: 'stdio' });
    expect(alpha!.stderrTail).toMatch(/fixture pid \d+ up/);
    // The listing shows the same server.
    const { servers } = (await (await api(service, '/mcp/servers')).json()) as { servers: Status[] };
    expect(servers.find((s) => s.name === 'alpha')).toEqual(alpha);
    for (const name of ['nope', 'toString', '__proto__']) {
      const missing = await api(service, `/mcp/servers/${name}`);
      expect({ name, status: missing.status }).toEqual({ name, status: 404 });
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('ServerNotFound');
    }
    expect((await fetch(`${service.url}/mcp/servers/alpha`)).status).toBe(401);
    // Servers change through the config file only: posting one is not a route.
    const add = await api(service, '/mcp/servers', { method: 'POST', body: JSON.stringify({ name: 'x', transport: 'stdio', command: 'sh' }) });
    expect(add.status).toBe(405);
    expect(add.headers.get('allow')).toBe('GET, HEAD');
    expect(JSON.stringify(alpha)).not.toContain(SECRET);
  });

  it('serves streamable HTTP MCP at /mcp only with the token and from its own origin: qualified tools and a call', async () => {
    expect(await rawPost(service.url, {}, INITIALIZE)).toBe(401);
    expect(await rawPost(service.url, { authorization: 'Bearer wrong' }, INITIALIZE)).toBe(401);
    expect(await rawPost(service.url, { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' }, INITIALIZE)).toBe(403);
    expect(await rawPost(service.url, { authorization: `Bearer ${TOKEN}`, host: 'evil.example' }, INITIALIZE)).toBe(403);

    client = new Client({ name: 'host', version: '1.0.0' });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void listChanged++);
    await client.connect(new StreamableHTTPClientTransport(new URL(`${service.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['alpha__echo_args', 'alpha__flood', 'alpha__mark', 'alpha__structured']);
    const result = (await client.callTool({ name: 'alpha__echo_args', arguments: { a: 1 } })) as CallToolResult;
    expect(result.content).toEqual([{ type: 'text', text: '{"a":1}' }]);
  });

  it('reloads on SIGHUP: an added server connects, the unchanged one keeps its process, MCP clients get list_changed', async () => {
    const alphaPid = fixturePid((await serverOf(service, 'alpha'))!.stderrTail);
    writeFileSync(config, yaml('alpha', 'beta'));
    service.child.kill('SIGHUP');
    await until(() => eventsOf(events.text(), 'config.reloaded').length === 1, 10_000, 'config.reloaded');
    expect(eventsOf(events.text(), 'config.reloaded')[0]).toEqual({ type: 'config.reloaded', added: ['beta'], removed: [], changed: [], unchanged: ['alpha'] });
    await waitConnected(service, 'beta');
    expect(fixturePid((await serverOf(service, 'alpha'))!.stderrTail)).toBe(alphaPid);
    await until(() => listChanged > 0, 10_000, 'tools/list_changed on /mcp');
    // The first list_changed may come before beta's tools are in (a reload changes the catalog twice).
    expect(await toolsOnceListed(client, 'beta__echo_args')).toContain('beta__echo_args');
    const result = (await client.callTool({ name: 'beta__echo_args', arguments: { b: 2 } })) as CallToolResult;
    expect(result.content).toEqual([{ type: 'text', text: '{"b":2}' }]);
    expect(service.stderr()).toMatch(/"msg":"config reloaded","trigger":"SIGHUP"[^\n]*"added":\["beta"\]/);
  });

  it('answers POST /mcp/config/reload with 400 ConfigError and every issue for a bad file, and keeps serving the old config', async () => {
    writeFileSync(config, 'servers:\n  alpha: { transport: nope }\n  beta: { transport: stdio }\n');
    const bad = await api(service, '/mcp/config/reload', { method: 'POST' });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { code: string; issues: { path: string; message: string }[] } };
    expect(body.error.code).toBe('ConfigError');
    expect(body.error.issues.map((i) => i.path)).toEqual(expect.arrayContaining([expect.stringMatching(/^servers\.alpha/), expect.stringMatching(/^servers\.beta/)]));
    await until(() => eventsOf(events.text(), 'config.rejected').length === 1, 5_000, 'config.rejected');
    expect(eventsOf<{ issues: unknown[] }>(events.text(), 'config.rejected')[0]!.issues).toEqual(body.error.issues);
    expect(service.stderr()).toMatch(/"msg":"config rejected; the running config is unchanged","trigger":"http"/);
    for (const name of ['alpha', 'beta']) {
      expect((await serverOf(service, name))?.state).toBe('connected');
      const call = await api(service, '/mcp/call', { method: 'POST', body: JSON.stringify({ tool: `${name}__echo_args`, arguments: { still: name } }) });
      expect(((await call.json()) as CallToolResult).content).toEqual([{ type: 'text', text: `{"still":"${name}"}` }]);
    }
    // The route takes no parameters.
    expect((await api(service, '/mcp/config/reload', { method: 'POST', body: '{"configPath":"/etc/passwd"}' })).status).toBe(400);
  });

  it('answers POST /mcp/config/reload with what changed: a removed server stops, an unchanged file changes nothing', async () => {
    const betaPid = fixturePid((await serverOf(service, 'beta'))!.stderrTail);
    writeFileSync(config, yaml('alpha'));
    const removed = await api(service, '/mcp/config/reload', { method: 'POST', body: '{}' });
    expect(removed.status).toBe(200);
    expect(await removed.json()).toEqual({ added: [], removed: ['beta'], changed: [], unchanged: ['alpha'] });
    expect(await waitGone(betaPid)).toBe(true);
    expect((await api(service, '/mcp/servers/beta')).status).toBe(404);
    const same = await api(service, '/mcp/config/reload', { method: 'POST' });
    expect(await same.json()).toEqual({ added: [], removed: [], changed: [], unchanged: ['alpha'] });
    expect(service.stderr()).not.toContain(SECRET);
  });

  it('on SIGTERM ends the open MCP session, stops every server and exits 0', async () => {
    const alphaPid = fixturePid((await serverOf(service, 'alpha'))!.stderrTail);
    expect(service.stderr()).not.toMatch(/"msg":"gateway: session closed"/);
    expect(await service.stop()).toBe(0);
    expect(service.stderr()).toMatch(/"msg":"gateway: session closed"/);
    expect(await waitGone(alphaPid)).toBe(true);
  });
});

describe('serve --watch', () => {
  let service: RunningService;
  let config: string;

  beforeAll(async () => {
    config = writeConfig(yaml('alpha'));
    service = await startService(['--config', config, '--watch'], { ADMIN_TOKEN: TOKEN, RELOAD_SECRET: SECRET });
  });

  afterAll(async () => {
    if (service && service.child.exitCode === null) expect(await service.stop()).toBe(0);
  });

  it('picks up an edit, also one saved by replacing the file, and logs a bad edit without changing what runs', async () => {
    const reloads = () => (service.stderr().match(/"msg":"config reloaded","trigger":"watch"/g) ?? []).length;
    writeFileSync(config, yaml('alpha', 'beta'));
    await waitConnected(service, 'beta');
    await until(() => reloads() === 1, 5_000, 'the watch reload log line');
    // How editors and atomic writers save: a new file renamed over the old one.
    const temp = join(dirname(config), '.switchboard.yaml.swp');
    writeFileSync(temp, yaml('alpha', 'beta', 'gamma'));
    renameSync(temp, config);
    await waitConnected(service, 'gamma');
    writeFileSync(config, 'servers: [');
    await until(() => /"msg":"config rejected; the running config is unchanged","trigger":"watch"/.test(service.stderr()), 5_000, 'the rejection');
    for (const name of ['alpha', 'beta', 'gamma']) expect((await serverOf(service, name))?.state).toBe('connected');
    // A burst of writes is one reload (debounced), and what it reads is the last one.
    for (const names of [['alpha'], ['alpha', 'beta'], ['alpha', 'gamma']]) writeFileSync(config, yaml(...names));
    await until(() => (service.stderr().match(/"msg":"config reloaded","trigger":"watch"/g) ?? []).length === 3, 5_000, 'the burst reload');
    expect(service.stderr()).toMatch(/"msg":"config reloaded","trigger":"watch"[^\n]*"removed":\["beta"\],"changed":\[\],"unchanged":\["alpha","gamma"\]/);
    expect((await api(service, '/mcp/servers/beta')).status).toBe(404);
  });
});
