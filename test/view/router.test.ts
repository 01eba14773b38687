import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, createLiveView, LIVE_VIEW_PATHS } from '../../src/view/router.js';
import { viewMachines } from '../../src/view/machines.js';
import { sseParser, type SseEvent } from '../../src/view/browser/api.js';

const dir = mkdtempSync(join(tmpdir(), 'view-router-'));
writeFileSync(join(dir, 'app.js'), 'console.log("bundle")');
writeFileSync(join(dir, 'app.css'), 'body{}');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createLiveView', () => {
  const route = createLiveView({ assetsDir: dir, version: '9.9.9' });

  it('serves the page with a policy that allows nothing from elsewhere and no inline script', () => {
    const page = route('/')!;
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toMatch(/default-src 'none'/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/script-src 'self';/);
    const html = String(page.body);
    expect(html).toContain('<script src="view/app.js" defer></script>');
    expect(html).toContain('9.9.9');
    // Nothing is loaded from another origin, and no script is inline.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
  });

  it('serves the bundle and the statecharts of the machines', () => {
    expect(route('/view/app.js')).toMatchObject({ status: 200, headers: { 'content-type': 'text/javascript; charset=utf-8' } });
    expect(String(route('/view/app.css')!.body)).toBe('body{}');
    const machines = route('/view/machines.json')!;
    expect(JSON.parse(String(machines.body))).toEqual(viewMachines());
    for (const path of LIVE_VIEW_PATHS) expect(route(path)?.status, path).toBe(200);
  });

  it('answers null for paths that are not its own, so the caller keeps its 404s', () => {
    for (const path of ['/mcp/servers', '/view/', '/view/other.js', '/view/../package.json', '/healthz']) expect(route(path), path).toBeNull();
  });

  it('says how to build the bundle when it is missing', () => {
    const missing = createLiveView({ assetsDir: join(dir, 'nowhere') })('/view/app.js')!;
    expect(missing.status).toBe(503);
    expect(String(missing.body)).toMatch(/npm run build/);
  });
});

describe('sseParser', () => {
  const parse = (...chunks: string[]) => {
    const events: SseEvent[] = [];
    const parser = sseParser((e) => events.push(e));
    for (const chunk of chunks) parser.push(chunk);
    return events;
  };

  it('parses events split anywhere across chunks, with CRLF, CR or LF line ends', () => {
    const stream = 'event: ready\ndata: {}\n\n: comment\nevent: call.completed\r\ndata: {"a":1}\r\n\r\nevent: x\rdata: 1\rdata: 2\r\r\n';
    const whole = parse(stream);
    expect(whole).toEqual([
      { event: 'ready', data: '{}' },
      { event: 'call.completed', data: '{"a":1}' },
      { event: 'x', data: '1\n2' },
    ]);
    for (let i = 1; i < stream.length; i++) expect(parse(stream.slice(0, i), stream.slice(i)), `split at ${i}`).toEqual(whole);
  });

  it('waits for the byte after a CR before ending a line (it may be a CRLF split across chunks)', () => {
    expect(parse('data: a\r')).toEqual([]);
    expect(parse('data: a\r', '\n\r\n')).toEqual([{ event: 'message', data: 'a' }]);
  });

  it('names an event without a type "message" and drops one without data', () => {
    expect(parse('data:x\n\nevent: empty\n\n')).toEqual([{ event: 'message', data: 'x' }]);
  });
});
