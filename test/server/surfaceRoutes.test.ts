import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitGone } from '../helpers/processes.js';
import { startService, SURFACE_FIXTURE, writeConfig, type RunningService } from '../helpers/service.js';
import { STDIO_FIXTURE, until } from '../helpers/switchboard.js';

const TOKEN = 'test-admin-token-surface-0123';

type Listing = { servers: { name: string; stderrTail: string }[] };
type ErrorBody = { error: { code: string; message: string; servers?: string[] } };

/** The admin API of the client surface beyond tools, against a real `serve` child process. */
describe('switchboard serve: resources, prompts, completion, logging', () => {
  let service: RunningService;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${service.url}${path}`, { ...init, headers: { ...auth, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) } });
  const post = (path: string, body: unknown, init: RequestInit = {}) => api(path, { ...init, method: 'POST', body: JSON.stringify(body) });
  const json = async <T>(response: Response | Promise<Response>) => (await (await response).json()) as T;
  const stderrOf = async (server: string) => (await json<Listing>(api('/mcp/servers'))).servers.find((s) => s.name === server)!.stderrTail;
  const count = (text: string, what: string) => text.split(what).length - 1;

  beforeAll(async () => {
    const config = writeConfig(`
servers:
  docs: { transport: stdio, command: ${process.execPath}, args: ["${SURFACE_FIXTURE}", docs] }
  notes: { transport: stdio, command: ${process.execPath}, args: ["${SURFACE_FIXTURE}", notes] }
  files: { transport: stdio, command: ${process.execPath}, args: ["${STDIO_FIXTURE}", files] }
  broken: { transport: stdio, command: /nonexistent/mcp-server }
defaults:
  timeouts: { callMs: 5000 }
admin: { token: "${TOKEN}" }
`);
    service = await startService(['--config', config]);
  });

  afterAll(async () => {
    if (service && service.child.exitCode === null) await service.stop();
  });

  it('lists resources, templates and prompts, all or of one server, with availability', async () => {
    const resources = await json<{ resources: { uri: string; server: string }[] }>(api('/mcp/resources'));
    expect(resources.resources.map((r) => `${r.server} ${r.uri}`).sort()).toEqual(['docs fixture://logo', 'docs fixture://readme', 'docs fixture://shared', 'notes fixture://shared']);
    const ofNotes = await json<{ resources: unknown[] }>(api('/mcp/resources?server=notes'));
    expect(ofNotes.resources).toEqual([{ uri: 'fixture://shared', name: 'shared', server: 'notes', description: 'On every instance', mimeType: 'text/plain' }]);
    expect(await json(api('/mcp/resource-templates'))).toEqual({
      resourceTemplates: [{ uriTemplate: 'item://{id}', name: 'item', server: 'docs', description: 'One item by id', mimeType: 'application/json' }],
    });
    expect(await json(api('/mcp/resource-templates?server=notes'))).toEqual({ resourceTemplates: [] });
    const prompts = await json<{ prompts: { qualifiedName: string; available: boolean }[] }>(api('/mcp/prompts'));
    expect(prompts.prompts.map((p) => p.qualifiedName).sort()).toEqual(['docs__greet', 'docs__wait', 'notes__greet']);
    expect(await json(api('/mcp/prompts?server=notes'))).toEqual({
      prompts: [{ name: 'greet', server: 'notes', qualifiedName: 'notes__greet', title: 'Greeting', description: 'Greets someone', arguments: [{ name: 'who', required: true }], available: true }],
    });
    // Tools carry `available` too, and take ?server= like the other listings.
    const tools = await json<{ tools: { server: string; available?: boolean }[] }>(api('/mcp/tools?server=files'));
    expect(tools.tools.length).toBeGreaterThan(3);
    expect(tools.tools.every((t) => t.server === 'files' && t.available === true)).toBe(true);
    for (const path of ['/mcp/resources', '/mcp/resource-templates', '/mcp/prompts', '/mcp/tools']) {
      const response = await api(`${path}?server=nope`);
      expect({ path, status: response.status, code: ((await response.json()) as ErrorBody).error.code }).toEqual({ path, status: 404, code: 'ServerNotFound' });
    }
  });

  it('reads resources by uri, template and { server }, returning the result unchanged', async () => {
    expect(await json(post('/mcp/resources/read', { uri: 'fixture://readme' }))).toEqual({ contents: [{ uri: 'fixture://readme', mimeType: 'text/markdown', text: '# Fixture\nhello' }] });
    expect(await json(post('/mcp/resources/read', { uri: 'fixture://logo' }))).toEqual({ contents: [{ uri: 'fixture://logo', mimeType: 'image/png', blob: 'iVBORw0KGgo=' }] });
    expect(await json(post('/mcp/resources/read', { uri: 'item://apple' }))).toEqual({ contents: [{ uri: 'item://apple', mimeType: 'application/json', text: '{"id":"apple"}' }] });
    expect(await json(post('/mcp/resources/read', { uri: 'fixture://shared', server: 'notes' }))).toEqual({ contents: [{ uri: 'fixture://shared', mimeType: 'text/plain', text: 'shared by notes' }] });
  });

  it('gets prompts by bare, qualified and { server } name, returning the result unchanged', async () => {
    const expected = (server: string) => ({
      description: `greeting from ${server}`,
      messages: [
        { role: 'user', content: { type: 'text', text: 'Hello, Ada!' } },
        { role: 'assistant', content: { type: 'text', text: `Hi from ${server}.` } },
      ],
    });
    expect(await json(post('/mcp/prompts/get', { name: 'docs__greet', arguments: { who: 'Ada' } }))).toEqual(expected('docs'));
    expect(await json(post('/mcp/prompts/get', { name: 'greet', arguments: { who: 'Ada' }, server: 'notes' }))).toEqual(expected('notes'));
    expect(await json(post('/mcp/prompts/get', { name: 'wait', arguments: { ms: '1' } }))).toEqual({ messages: [{ role: 'user', content: { type: 'text', text: 'waited 1' } }] });
  });

  it('completes prompt and template arguments and sets log levels', async () => {
    const prompt = { ref: { type: 'ref/prompt', name: 'docs__greet' }, argument: { name: 'who', value: 'A' } };
    expect(await json(post('/mcp/complete', prompt))).toEqual({ completion: { values: ['Ada', 'Alan'], total: 2, hasMore: false } });
    const template = { ref: { type: 'ref/resource', uri: 'item://{id}' }, argument: { name: 'id', value: 'ap' }, context: { arguments: {} } };
    expect(await json(post('/mcp/complete', template))).toEqual({ completion: { values: ['apple', 'apricot'], total: 2, hasMore: false } });
    const everywhere = await post('/mcp/logging', { level: 'debug' });
    expect([everywhere.status, await everywhere.json()]).toEqual([200, { ok: true }]);
    expect(await json(post('/mcp/logging', { level: 'warning', server: 'docs' }))).toEqual({ ok: true });
  });

  it('maps every failure to its status and code, with the servers of an ambiguous name', async () => {
    const cases: [string, unknown, number, string][] = [
      ['/mcp/resources/read', { uri: 'fixture://nope' }, 404, 'ResourceNotFound'],
      ['/mcp/resources/read', { uri: 'fixture://readme', server: 'nope' }, 404, 'ServerNotFound'],
      ['/mcp/resources/read', { uri: 'fixture://shared' }, 409, 'AmbiguousResource'],
      ['/mcp/resources/read', { uri: 'fixture://x', server: 'files' }, 501, 'NotSupported'],
      ['/mcp/resources/read', { uri: 'fixture://x', server: 'broken' }, 503, 'ServerUnavailable'],
      ['/mcp/resources/read', { uri: 'fixture://readme', colour: 'red' }, 400, 'InvalidRequest'],
      ['/mcp/resources/read', {}, 400, 'InvalidRequest'],
      ['/mcp/prompts/get', { name: 'nope' }, 404, 'PromptNotFound'],
      ['/mcp/prompts/get', { name: 'greet', arguments: { who: 'x' } }, 409, 'AmbiguousPrompt'],
      ['/mcp/prompts/get', { name: 'docs__greet' }, 400, 'InvalidArguments'],
      ['/mcp/prompts/get', { name: 'docs__greet', arguments: { who: 1 } }, 400, 'InvalidRequest'],
      ['/mcp/prompts/get', { name: 'docs__greet', extra: true }, 400, 'InvalidRequest'],
      ['/mcp/prompts/get', { name: 'docs__wait', arguments: { ms: '3000' }, timeoutMs: 200 }, 504, 'ToolCallTimeout'],
      ['/mcp/complete', { ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'who', value: '' }, server: 'files' }, 501, 'NotSupported'],
      ['/mcp/complete', { ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'who', value: '' } }, 409, 'AmbiguousPrompt'],
      ['/mcp/complete', { ref: { type: 'ref/nothing' }, argument: { name: 'who', value: '' } }, 400, 'InvalidRequest'],
      ['/mcp/logging', { level: 'loud' }, 400, 'InvalidRequest'],
      ['/mcp/logging', { level: 'info', server: 'nope' }, 404, 'ServerNotFound'],
    ];
    for (const [path, body, status, code] of cases) {
      const response = await post(path, body);
      const answer = (await response.json()) as ErrorBody;
      expect({ path, body, status: response.status, code: answer.error.code }).toEqual({ path, body, status, code });
      if (code.startsWith('Ambiguous')) expect(answer.error.servers?.sort()).toEqual(['docs', 'notes']);
    }
  });

  it('refuses non-JSON bodies (415), missing tokens (401) and wrong methods (405) on the new routes', async () => {
    for (const path of ['/mcp/resources/read', '/mcp/resources/subscribe', '/mcp/resources/unsubscribe', '/mcp/prompts/get', '/mcp/complete', '/mcp/logging']) {
      const text = await api(path, { method: 'POST', body: 'uri=x', headers: { 'content-type': 'text/plain' } });
      expect({ path, status: text.status, code: ((await text.json()) as ErrorBody).error.code }).toEqual({ path, status: 415, code: 'UnsupportedMediaType' });
      const anonymous = await fetch(`${service.url}${path}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect({ path, status: anonymous.status }).toEqual({ path, status: 401 });
      const wrong = await api(path);
      expect({ path, status: wrong.status, allow: wrong.headers.get('allow') }).toEqual({ path, status: 405, allow: 'POST' });
    }
    for (const path of ['/mcp/resources', '/mcp/resource-templates', '/mcp/prompts']) {
      expect({ path, status: (await fetch(`${service.url}${path}`)).status }).toEqual({ path, status: 401 });
      expect({ path, allow: (await api(path, { method: 'POST', body: '{}' })).headers.get('allow') }).toEqual({ path, allow: 'GET, HEAD' });
    }
    const page = await (await fetch(`${service.url}/api`)).text();
    for (const route of ['/mcp/resources/read', '/mcp/resource-templates', '/mcp/prompts/get', '/mcp/complete', '/mcp/logging']) expect(page).toContain(route);
  });

  it('streams resources.changed, prompts.changed and the updates of subscribed resources on /mcp/events', async () => {
    const controller = new AbortController();
    const stream = await api('/mcp/events', { signal: controller.signal });
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
    expect((await post('/mcp/call', { tool: 'docs__grow', arguments: { n: 1 } })).status).toBe(200);
    // Subscribing twice holds one subscription; the server sends updates for what is subscribed.
    for (let i = 0; i < 2; i++) expect(await json(post('/mcp/resources/subscribe', { uri: 'fixture://readme' }))).toEqual({ ok: true, subscribed: true });
    expect(await json(post('/mcp/call', { tool: 'docs__touch' }))).toEqual({ content: [{ type: 'text', text: 'touched 1' }] });
    await until(() => /event: resources\.changed\ndata: \{[^\n]*"server":"docs"[^\n]*fixture:\/\/grown-1/.test(seen), 10_000, 'resources.changed');
    await until(() => /event: prompts\.changed\ndata: \{[^\n]*"server":"docs"[^\n]*grown_1/.test(seen), 10_000, 'prompts.changed');
    await until(() => seen.includes('event: resource.updated\ndata: {"type":"resource.updated","server":"docs","uri":"fixture://readme"}'), 10_000, 'resource.updated');
    // The relisted catalogs are what the routes serve now.
    expect((await json<{ resources: { uri: string }[] }>(api('/mcp/resources?server=docs'))).resources.map((r) => r.uri)).toContain('fixture://grown-1');
    expect(await json(post('/mcp/prompts/get', { name: 'grown_1' }))).toEqual({ messages: [{ role: 'user', content: { type: 'text', text: 'grown 1' } }] });
    expect(await json(post('/mcp/resources/unsubscribe', { uri: 'fixture://readme' }))).toEqual({ ok: true, subscribed: false });
    expect(await json(post('/mcp/call', { tool: 'docs__touch' }))).toEqual({ content: [{ type: 'text', text: 'touched 0' }] });
    const again = await post('/mcp/resources/unsubscribe', { uri: 'fixture://readme' });
    expect([again.status, ((await again.json()) as ErrorBody).error.code]).toEqual([404, 'NotSubscribed']);
    const unsupported = await post('/mcp/resources/subscribe', { uri: 'fixture://x', server: 'files' });
    expect([unsupported.status, ((await unsupported.json()) as ErrorBody).error.code]).toEqual([501, 'NotSupported']);
    controller.abort();
    await reading;
  });

  it('cancels the request on the server when the caller disconnects', async () => {
    const before = await stderrOf('docs');
    const controller = new AbortController();
    // A deadline far beyond the wait below: only the disconnect can cancel it in time.
    const pending = post('/mcp/prompts/get', { name: 'docs__wait', arguments: { ms: '60000' }, timeoutMs: 60_000 }, { signal: controller.signal }).catch((error: Error) => error);
    let tail = '';
    await until(() => {
      void stderrOf('docs').then((t) => (tail = t));
      return count(tail, 'wait started') > count(before, 'wait started');
    }, 10_000, 'the prompt to start');
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    await until(() => {
      void stderrOf('docs').then((t) => (tail = t));
      return count(tail, 'wait cancelled') > count(before, 'wait cancelled');
    }, 10_000, 'the server to see the cancel');
  });

  it('counts requests by kind in the metrics', async () => {
    const text = await (await api('/metrics')).text();
    const value = (labels: string) => Number(text.split('\n').find((l) => l.startsWith(`switchboard_calls_total{${labels}}`))?.split(' ').at(-1));
    expect(value('server="docs",code="ok",kind="resource"')).toBeGreaterThanOrEqual(3);
    expect(value('server="docs",code="ok",kind="prompt"')).toBeGreaterThanOrEqual(2);
    expect(value('server="docs",code="ok",kind="completion"')).toBeGreaterThanOrEqual(2);
    expect(value('server="docs",code="ok",kind="tool"')).toBeGreaterThanOrEqual(2);
  });

  it('on SIGTERM finishes an in-flight prompt, refuses new requests and exits 0', async () => {
    const pids = (await json<Listing>(api('/mcp/servers'))).servers.flatMap((s) => [...s.stderrTail.matchAll(/pid (\d+) up/g)].map((m) => Number(m[1])));
    const before = await stderrOf('docs');
    const inFlight = post('/mcp/prompts/get', { name: 'docs__wait', arguments: { ms: '800' } });
    let tail = '';
    await until(() => {
      void stderrOf('docs').then((t) => (tail = t));
      return count(tail, 'wait started') > count(before, 'wait started');
    }, 10_000, 'the prompt to start');
    service.child.kill('SIGTERM');
    await until(() => /shutting down/.test(service.stderr()), 5_000, 'shutdown to begin');
    for (const [path, body] of [['/mcp/resources/read', { uri: 'fixture://readme' }], ['/mcp/prompts/get', { name: 'docs__greet' }], ['/mcp/complete', {}], ['/mcp/logging', { level: 'info' }]] as const) {
      const refused = await post(path, body);
      expect({ path, status: refused.status, code: ((await refused.json()) as ErrorBody).error.code }).toEqual({ path, status: 503, code: 'Stopped' });
    }
    const finished = await inFlight;
    expect(finished.status).toBe(200);
    expect(await finished.json()).toEqual({ messages: [{ role: 'user', content: { type: 'text', text: 'waited 800' } }] });
    expect(await service.exited).toBe(0);
    for (const pid of pids) expect(await waitGone(pid)).toBe(true);
  });
});
