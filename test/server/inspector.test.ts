import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createActor, setup } from 'xstate';
import { createInspection, INSPECT_PROTOCOL, sanitizeContext, type Inspection } from '../../src/server/inspector.js';
import { createSwitchboard } from '../../src/switchboard/switchboard.js';
import { stdioServer, until } from '../helpers/switchboard.js';

const TOKEN = 'inspector-admin-token-0123';
const ENV_SECRET = 'env-SECRET-from-var-1';
const HEADER_SECRET = 'header-SECRET-from-var-2';

/** Opens a viewer; resolves with it once open, or with the HTTP status of the refused upgrade. */
function connect(url: string, options: { headers?: Record<string, string>; protocols?: string[]; origin?: string } = {}): Promise<{ ws?: WebSocket; status?: number; messages: string[] }> {
  const messages: string[] = [];
  const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {}, ...(options.origin ? { origin: options.origin } : {}) });
  ws.on('message', (data) => messages.push(data.toString()));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, messages });
      ws.terminate();
    });
    ws.once('error', (error) => {
      if (ws.readyState !== WebSocket.CLOSED) reject(error);
    });
  });
}

/** The status of a GET with any Host header (fetch cannot set it). */
function rawStatus(url: string, host: string): Promise<number> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path: '/', headers: { host }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('inspector relay', () => {
  let inspection: Inspection | undefined;
  afterEach(async () => {
    await inspection?.close();
    inspection = undefined;
  });

  it('refuses viewers without the admin token or from a foreign origin, at the upgrade', async () => {
    inspection = createInspection();
    const urls = await inspection.listen({ token: TOKEN, allowedOrigins: ['127.0.0.1:7300'], redact: (t) => t });
    expect(urls.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const url = urls.wsUrl;
    expect(url).toBe(urls.url.replace(/^http:/, 'ws:').replace(/\/$/, ''));
    const bearer = { authorization: `Bearer ${TOKEN}` };
    expect((await connect(url)).status).toBe(401);
    expect((await connect(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    // A token in the URL is never accepted (URLs end up in logs and browser history).
    expect((await connect(`${url}/?token=${TOKEN}`)).status).toBe(401);
    expect((await connect(url, { headers: bearer, origin: 'https://evil.example' })).status).toBe(403);
    expect((await connect(url, { headers: { ...bearer, host: 'evil.example' } })).status).toBe(403);

    const byHeader = await connect(url, { headers: bearer });
    expect(byHeader.ws?.readyState).toBe(WebSocket.OPEN);
    // A browser page of the admin API (its Origin) presents the token as a subprotocol.
    const byProtocol = await connect(url, { protocols: [INSPECT_PROTOCOL, `bearer.${TOKEN}`], origin: 'http://127.0.0.1:7300' });
    expect(byProtocol.ws?.protocol).toBe(INSPECT_PROTOCOL);
    expect((await connect(url, { protocols: [INSPECT_PROTOCOL, 'bearer.wrong'] })).status).toBe(401);
    byHeader.ws!.close();
    byProtocol.ws!.close();
  });

  it('streams machine definitions and snapshots of a running switchboard, and no secret from its config', async () => {
    inspection = createInspection();
    const raw: string[] = [];
    const env = { API_KEY_VALUE: ENV_SECRET, HEADER_VALUE: HEADER_SECRET };
    const sb = createSwitchboard(
      {
        servers: {
          files: stdioServer('files', undefined, { env: { API_KEY: '${API_KEY_VALUE}' } }),
          // Never reachable (port 9 discards): its header value is a secret of the config all the same.
          web: { transport: 'http', url: 'http://127.0.0.1:9/mcp', headers: { 'X-Api-Key': '${HEADER_VALUE}' }, timeouts: { connectMs: 500 } },
        },
      },
      { env, inspect: inspection.inspect },
    );
    const url = (await inspection.listen({ token: TOKEN, allowedOrigins: [], redact: (t) => sb.redact(t) })).wsUrl;
    // One viewer watches live from the start, one joins later and gets the history replayed.
    const live = await connect(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    // A second actor in the same inspected system whose context carries the secrets, under a
    // secret-looking key (the sanitizer's job) and under an innocent one (the redactor's job).
    const leaky = setup({}).createMachine({ id: 'leaky', context: { headers: { 'x-api-key': HEADER_SECRET }, note: `key is ${ENV_SECRET}` } });
    const control = createActor(leaky, { inspect: (e) => raw.push(JSON.stringify((e as { snapshot?: unknown }).snapshot ?? null)) });
    const relayed = createActor(leaky, { inspect: inspection.inspect });
    control.start();
    relayed.start();
    await sb.start();
    await sb.callTool('files__whoami');
    const late = await connect(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    for (const viewer of [live, late]) {
      const parsed = () => viewer.messages.map((m) => JSON.parse(m) as { type: string; definition?: string });
      await until(() => parsed().some((m) => m.type === '@xstate.snapshot') && parsed().filter((m) => m.type === '@xstate.actor').length >= 5, 10_000, 'inspection messages');
      const ids = parsed()
        .filter((m) => m.type === '@xstate.actor')
        .map((m) => JSON.parse(m.definition ?? '{}').id);
      expect(ids).toEqual(expect.arrayContaining(['manager', 'serverConnection', 'circuitBreaker', 'leaky']));
      const stream = viewer.messages.join('\n');
      expect(stream).toContain('connected');
      expect(stream).toContain('key is ***');
      expect(stream).toContain('"headers":"***"');
      expect(stream).not.toContain(ENV_SECRET);
      expect(stream).not.toContain(HEADER_SECRET);
    }
    // The control observer proves the secrets were there to leak.
    expect(raw.join('\n')).toContain(ENV_SECRET);
    expect(raw.join('\n')).toContain(HEADER_SECRET);
    live.ws!.close();
    late.ws!.close();
    control.stop();
    relayed.stop();
    await sb.stop();
  });

  it('serves the bridge page, its script and stylesheet over HTTP on the relay port, nothing else, and only to its own Host', async () => {
    inspection = createInspection();
    const { url } = await inspection.listen({ token: TOKEN, allowedOrigins: [], redact: (t) => t, inspectorUrl: 'http://127.0.0.1:9/inspect', viewUrl: 'http://127.0.0.1:7300/' });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const policy = page.headers.get('content-security-policy') ?? '';
    // The page may talk to the relay and frame the inspector it embeds, nothing else.
    expect(policy).toContain(`connect-src ws://${new URL(url).host};`);
    expect(policy).toContain('frame-src http://127.0.0.1:9;');
    expect(policy).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('data-inspector-url="http://127.0.0.1:9/inspect"');
    expect(html).toContain(`data-protocol="${INSPECT_PROTOCOL}"`);
    expect(html).toContain('needs the internet');
    expect(html).toContain('href="http://127.0.0.1:7300/"');
    // Only files of the relay itself: no script or stylesheet from the network.
    expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])).toEqual(['data:,', '/bridge.css', '/bridge.js', 'http://127.0.0.1:7300/']);
    expect(html).not.toContain(TOKEN);
    const script = await fetch(new URL('/bridge.js', url));
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    const js = await script.text();
    // The token goes as a subprotocol and is kept per tab; messages go to the inspector's origin only.
    expect(js).toContain("'bearer.' + token");
    expect(js).toContain('sessionStorage.setItem');
    expect(js).toContain('postMessage(message, inspectorOrigin)');
    expect(js).not.toContain("'*'");
    expect((await fetch(new URL('/bridge.css', url))).headers.get('content-type')).toMatch(/^text\/css/);
    const missing = await fetch(new URL('/nope', url));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NotFound');
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    // DNS rebinding: a page of another name resolving to 127.0.0.1 gets nothing.
    expect(await rawStatus(url, 'evil.example')).toBe(403);
  });

  it('masks secret-looking keys in context', () => {
    expect(sanitizeContext({ a: 1, headers: { x: 'y' }, nested: [{ token: 't', ok: true }] })).toEqual({ a: 1, headers: '***', nested: [{ token: '***', ok: true }] });
  });
});
