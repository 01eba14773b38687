import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStreamableHttpServer, type TestHttpServer } from '../helpers/httpServers.js';
import { waitGone } from '../helpers/processes.js';
import { SERVICE_FIXTURE, startService, writeConfig, type RunningService } from '../helpers/service.js';
import { STDIO_FIXTURE, until } from '../helpers/switchboard.js';

const TOKEN = 'test-admin-token-0123456789';
const SECRET = 'sk-live-SECRET-value-42';
const WEB_TOKEN = 'web-bearer-SECRET-77';

/** A raw HTTP request, so Host and bodies can be anything. */
function raw(url: string, options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer | string[] }): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    // A fresh socket each time (agent: false): a pooled keep-alive socket the server closed meanwhile would hang up.
    const req = request({ host: target.hostname, port: target.port, method: options.method ?? 'GET', path: options.path, headers: options.headers ?? {}, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    // An array is written chunk by chunk: without a content-length node sends it chunked.
    for (const chunk of Array.isArray(options.body) ? options.body : options.body ? [options.body] : []) req.write(chunk);
    req.end();
  });
}

describe('switchboard serve', () => {
  let web: TestHttpServer;
  let service: RunningService;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${service.url}${path}`, { ...init, headers: { ...auth, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) } });
  const call = (body: unknown) => api('/mcp/call', { method: 'POST', body: JSON.stringify(body) });

  beforeAll(async () => {
    web = await startStreamableHttpServer('web');
    const config = writeConfig(`
servers:
  files: { transport: stdio, command: ${process.execPath}, args: ["${STDIO_FIXTURE}", files], env: { API_KEY: "\${SECRET_KEY}" } }
  other: { transport: stdio, command: ${process.execPath}, args: ["${STDIO_FIXTURE}", other] }
  web: { transport: http, url: "${web.url}?key=\${SECRET_KEY}", headers: { Authorization: "Bearer \${WEB_TOKEN}" } }
  broken: { transport: stdio, command: /nonexistent/mcp-server }
  fx: { transport: stdio, command: ${process.execPath}, args: ["${SERVICE_FIXTURE}"] }
defaults:
  timeouts: { callMs: 5000 }
  reconnect: { baseMs: 50, minMs: 20, maxMs: 200 }
admin: { token: "\${ADMIN_TOKEN}" }
`);
    service = await startService(['--config', config, '--log-level', 'debug'], { SECRET_KEY: SECRET, WEB_TOKEN, ADMIN_TOKEN: TOKEN });
    await until(() => /switchboard ready/.test(service.stderr()), 20_000, 'ready');
  });

  afterAll(async () => {
    if (service && service.child.exitCode === null) await service.stop();
    await web?.close();
  });

  it('answers healthz and readyz without a token and nothing else', async () => {
    expect(await (await fetch(`${service.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('requires the bearer token on every /mcp route and /metrics', async () => {
    for (const path of ['/mcp/servers', '/mcp/tools', '/mcp/health', '/mcp/circuit-breakers', '/metrics']) {
      const none = await fetch(`${service.url}${path}`);
      const wrong = await fetch(`${service.url}${path}`, { headers: { authorization: 'Bearer nope' } });
      const prefix = await fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${TOKEN.slice(0, 1)}` } });
      expect([none.status, wrong.status, prefix.status]).toEqual([401, 401, 401]);
      const bodies = await Promise.all([none.text(), wrong.text(), prefix.text()]);
      expect(new Set(bodies).size).toBe(1);
      expect(JSON.parse(bodies[0]!)).toEqual({ error: { code: 'Unauthorized', message: expect.any(String) } });
    }
    expect((await api('/mcp/servers')).status).toBe(200);
  });

  it('refuses a foreign Host or Origin (DNS rebinding)', async () => {
    const port = new URL(service.url).port;
    expect((await raw(service.url, { path: '/mcp/servers', headers: { ...auth, host: `evil.example:${port}` } })).status).toBe(403);
    expect((await raw(service.url, { path: '/mcp/servers', headers: { ...auth, host: `127.0.0.1:${port}`, origin: 'http://evil.example' } })).status).toBe(403);
    expect((await raw(service.url, { path: '/mcp/servers', headers: { ...auth, host: `127.0.0.1:${port}` } })).status).toBe(200);
  });

  it('lists servers, tools and breakers with secrets redacted', async () => {
    const servers = (await (await api('/mcp/servers')).json()) as { servers: { name: string; state: string; target: string }[] };
    const byName = Object.fromEntries(servers.servers.map((s) => [s.name, s]));
    expect(byName.files!.state).toBe('connected');
    expect(byName.broken!.state).toBe('error');
    expect(byName.web!.target).toBe(web.url);
    const tools = (await (await api('/mcp/tools')).json()) as { tools: { qualifiedName: string }[] };
    expect(tools.tools.map((t) => t.qualifiedName)).toContain('web__echo');
    expect((await api('/mcp/servers/files/tools')).status).toBe(200);
    expect((await api('/mcp/servers/nope/tools')).status).toBe(404);
    const breakers = (await (await api('/mcp/circuit-breakers')).json()) as { breakers: Record<string, { state: string }> };
    expect(breakers.breakers.files!.state).toBe('closed');
    const everything = JSON.stringify([servers, tools, breakers, await (await api('/mcp/health')).text(), await (await api('/metrics')).text()]);
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(WEB_TOKEN);
  });

  it('calls tools and maps every failure to its status', async () => {
    const ok = await call({ tool: 'add', server: 'web', arguments: { a: 1, b: 2 } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ content: [{ type: 'text', text: '3' }], structuredContent: { sum: 3 } });
    const toolError = await call({ tool: 'files__fail' });
    expect(toolError.status).toBe(200);
    expect(((await toolError.json()) as { isError: boolean }).isError).toBe(true);

    const cases: [unknown, number, string][] = [
      [{ tool: 'echo', arguments: { text: 'x' } }, 409, 'AmbiguousTool'],
      [{ tool: 'nope' }, 404, 'ToolNotFound'],
      [{ tool: 'echo', server: 'nope' }, 404, 'ServerNotFound'],
      [{ tool: 'echo', server: 'broken' }, 503, 'ServerUnavailable'],
      [{ tool: 'files__invalid_params' }, 400, 'InvalidArguments'],
      [{ tool: 'files__slow', arguments: { ms: 3000 }, timeoutMs: 200 }, 504, 'ToolCallTimeout'],
      [{ tool: 'other__crash' }, 502, 'ConnectionLost'],
      [{ arguments: [1] }, 400, 'InvalidRequest'],
    ];
    for (const [body, status, code] of cases) {
      const response = await call(body);
      expect({ body, status: response.status }).toEqual({ body, status });
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    const unavailable = await call({ tool: 'echo', server: 'broken' });
    expect(unavailable.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('refuses bodies that are not JSON or larger than 1 MiB, and unknown routes', async () => {
    const text = await api('/mcp/call', { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    const huge = await raw(service.url, {
      method: 'POST',
      path: '/mcp/call',
      headers: { ...auth, host: new URL(service.url).host, 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) },
      body: Buffer.alloc(2 * 1024 * 1024, 32),
    });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).error.code).toBe('PayloadTooLarge');
    const badJson = await api('/mcp/call', { method: 'POST', body: '{nope' });
    expect(badJson.status).toBe(400);
    expect((await api('/mcp/nothing')).status).toBe(404);
  });

  it('resets breakers and reconnects servers, streaming the events', async () => {
    const controller = new AbortController();
    const stream = await api('/mcp/events', { signal: controller.signal });
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = stream.body!.getReader();
    let seen = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        seen += Buffer.from(value!).toString();
      }
    })();
    await until(() => seen.includes('event: ready'), 5_000, 'the stream to open');
    expect((await api('/mcp/servers/files/reconnect', { method: 'POST' })).status).toBe(202);
    await until(() => seen.includes('"to":"connected"') && seen.includes('"server":"files"'), 10_000, 'reconnect events');
    expect(seen).toContain('event: server.stateChanged');
    expect(seen).toContain('"reason":"manualReconnect"');
    // Server log lines are on the stream too.
    expect((await call({ tool: 'fx__flood', arguments: { count: 2, size: 10 } })).status).toBe(200);
    await until(() => (seen.match(/event: server\.log\ndata: \{[^\n]*"server":"fx"[^\n]*"message":"flood: 1 x{10}/g) ?? []).length === 1, 5_000, 'server.log events');
    // A server that dies shows up on the stream too.
    // `other` crashed in an earlier test: wait for its new process before killing that one.
    type Listing = { servers: { name: string; state: string; stderrTail: string }[] };
    let other: Listing['servers'][number] | undefined;
    await until(() => {
      void api('/mcp/servers').then(async (r) => (other = ((await r.json()) as Listing).servers.find((x) => x.name === 'other')));
      return other?.state === 'connected';
    }, 10_000, 'other to be connected');
    const otherPid = Number([...other!.stderrTail.matchAll(/pid (\d+) up/g)].at(-1)![1]);
    process.kill(otherPid, 'SIGKILL');
    await until(() => /"server":"other","from":"connected","to":"disconnected"/.test(seen), 10_000, 'the stop event');
    const reset = await api('/mcp/circuit-breakers/files/reset', { method: 'POST' });
    expect(((await reset.json()) as { breaker: { state: string } }).breaker.state).toBe('closed');
    expect((await api('/mcp/circuit-breakers/nope/reset', { method: 'POST' })).status).toBe(404);
    controller.abort();
    await reading;
  });

  it('refuses a chunked body that is not JSON with 415, like any other', async () => {
    const headers = { ...auth, host: new URL(service.url).host };
    const chunked = await raw(service.url, { method: 'POST', path: '/mcp/call', headers: { ...headers, 'content-type': 'text/plain' }, body: ['{"tool":', '"fx__echo_args"}'] });
    expect(chunked.status).toBe(415);
    expect(JSON.parse(chunked.body).error.code).toBe('UnsupportedMediaType');
    const untyped = await raw(service.url, { method: 'POST', path: '/mcp/call', headers, body: ['{"tool":', '"fx__echo_args"}'] });
    expect(untyped.status).toBe(415);
    const json = await raw(service.url, { method: 'POST', path: '/mcp/call', headers: { ...headers, 'content-type': 'application/json; charset=utf-8' }, body: ['{"tool":', '"fx__echo_args"}'] });
    expect(json.status).toBe(200);
  });

  it('passes __proto__, constructor and prototype keys in arguments through unchanged', async () => {
    const body = '{"tool":"fx__echo_args","arguments":{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"x":1}}';
    const response = await api('/mcp/call', { method: 'POST', body });
    expect(response.status).toBe(200);
    const result = (await response.json()) as { content: { text: string }[] };
    expect(result.content[0]!.text).toBe('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"x":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers 404 JSON for server and tool names that are prototype members', async () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const attempts: [string, RequestInit, string][] = [
        [`/mcp/servers/${name}/tools`, {}, 'ServerNotFound'],
        [`/mcp/circuit-breakers/${name}/reset`, { method: 'POST' }, 'ServerNotFound'],
        [`/mcp/servers/${name}/reconnect`, { method: 'POST' }, 'ServerNotFound'],
        ['/mcp/call', { method: 'POST', body: JSON.stringify({ tool: name }) }, 'ToolNotFound'],
        ['/mcp/call', { method: 'POST', body: JSON.stringify({ tool: 'echo', server: name }) }, 'ServerNotFound'],
        ['/mcp/call', { method: 'POST', body: JSON.stringify({ tool: `${name}__echo` }) }, 'ToolNotFound'],
      ];
      for (const [path, init, code] of attempts) {
        const response = await api(path, init);
        const text = await response.text();
        expect({ name, path, status: response.status, code: (JSON.parse(text) as { error?: { code: string } }).error?.code }).toEqual({ name, path, status: 404, code });
      }
    }
  });

  it('answers 400 InvalidRequest to arguments nested 100 000 levels deep, and keeps serving', async () => {
    const depth = 100_000;
    const body = `{"tool":"fx__echo_args","arguments":{"a":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`;
    const response = await api('/mcp/call', { method: 'POST', body });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('InvalidRequest');
    const breakers = (await (await api('/mcp/circuit-breakers')).json()) as { breakers: Record<string, { state: string }> };
    expect(breakers.breakers.fx!.state).toBe('closed');
    expect((await call({ tool: 'fx__echo_args', arguments: { ok: 1 } })).status).toBe(200);
  });

  it('serves a self-contained page at /api naming the product, version and routes', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const page = await fetch(`${service.url}/api`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('mcp-switchboard');
    expect(html).toContain(version);
    for (const route of ['/mcp/servers', '/mcp/servers/:name', '/mcp/config/reload', '/mcp/call', '/mcp/events', '/metrics', '/readyz']) expect(html).toContain(`<code>${route}</code>`);
    expect(html).toMatch(/<code>DELETE<\/code><\/td><td><code>\/mcp<\/code>/);
    expect(html).toMatch(/Authorization: Bearer/);
    // Nothing is fetched from the network: no external script, stylesheet, image or font.
    expect(html).not.toMatch(/(src|href)\s*=|@import|url\(/i);
  });

  it('serves the live view at / without a token, from this origin only, with its bundle and statecharts', async () => {
    const page = await fetch(`${service.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('live view');
    expect(html).not.toContain(TOKEN);
    for (const [path, type] of [['/view/app.js', /^text\/javascript/], ['/view/app.css', /^text\/css/], ['/view/machines.json', /^application\/json/]] as const) {
      const response = await fetch(`${service.url}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      expect(response.headers.get('content-type')).toMatch(type);
    }
    const machines = (await (await fetch(`${service.url}/view/machines.json`)).json()) as Record<string, { nodes: unknown[] }>;
    expect(Object.keys(machines).sort()).toEqual(['breaker', 'connection']);
    expect((await fetch(`${service.url}/view/nothing.js`)).status).toBe(404);
    const port = new URL(service.url).port;
    expect((await raw(service.url, { path: '/', headers: { host: `evil.example:${port}` } })).status).toBe(403);
  });

  it('answers 405 with an Allow header to a wrong method on a known route', async () => {
    const cases: [string, string, string][] = [
      ['DELETE', '/mcp/tools', 'GET, HEAD'],
      ['GET', '/mcp/call', 'POST'],
      ['PUT', '/mcp/servers/files/reconnect', 'POST'],
      ['POST', '/', 'GET, HEAD'],
      ['POST', '/metrics', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const response = await api(path, { method });
      expect({ method, path, status: response.status, allow: response.headers.get('allow') }).toEqual({ method, path, status: 405, allow });
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('MethodNotAllowed');
    }
    expect((await api('/mcp/nothing', { method: 'DELETE' })).status).toBe(404);
  });

  it('serves parseable Prometheus metrics that count calls', async () => {
    await call({ tool: 'files__whoami' });
    const text = await (await api('/metrics')).text();
    const line = text.split('\n').find((l) => l.startsWith('switchboard_calls_total{server="files",code="ok",kind="tool"}'));
    expect(Number(line?.split(' ').at(-1))).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/switchboard_server_state\{server="broken",state="error"\} 1/);
    expect(text).toMatch(/switchboard_call_duration_seconds_bucket/);
    for (const l of text.split('\n').filter((x) => x && !x.startsWith('#'))) expect(l).toMatch(/^[a-z_]+(\{[^}]*\})? [-+0-9.eEInf]+$/);
  });

  it('never logs a secret', () => {
    expect(service.stderr()).not.toContain(SECRET);
    expect(service.stderr()).not.toContain(WEB_TOKEN);
    expect(service.stdout()).not.toContain(TOKEN);
    for (const line of service.stderr().trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('on SIGTERM finishes in-flight calls, refuses new ones, exits 0 and leaves no child behind', async () => {
    const servers = (await (await api('/mcp/servers')).json()) as { servers: { name: string; state: string; stderrTail: string }[] };
    const pids = servers.servers.flatMap((s) => [...s.stderrTail.matchAll(/pid (\d+) up/g)].map((m) => Number(m[1])));
    expect(pids.length).toBeGreaterThanOrEqual(2);
    const inFlight = call({ tool: 'files__slow', arguments: { ms: 800 } });
    await new Promise((r) => setTimeout(r, 200));
    service.child.kill('SIGTERM');
    await until(() => /shutting down/.test(service.stderr()), 5_000, 'shutdown to begin');
    const refused = await call({ tool: 'files__whoami' });
    expect(refused.status).toBe(503);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(503);
    const finished = await inFlight;
    expect(finished.status).toBe(200);
    expect(await finished.json()).toEqual({ content: [{ type: 'text', text: 'slept 800' }] });
    // One SIGTERM is enough (a second one would force an immediate exit).
    expect(await service.exited).toBe(0);
    for (const pid of pids) expect(await waitGone(pid)).toBe(true);
  });
});
