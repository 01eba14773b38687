import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePid, waitGone } from '../helpers/processes.js';
import { startService, writeConfig, type RunningService } from '../helpers/service.js';
import { STDIO_FIXTURE, until } from '../helpers/switchboard.js';
import { ARTIFACTS, HAVE_CHROMIUM, launch, login, openPage, shot } from './browser.js';

/**
 * The console as an operator meets it (issue 21): `switchboard serve` runs as a real child process
 * with twelve servers — one that fails at start with a reason on stderr, one killed before the
 * page is opened, one of the 2026-07-28 era — and Debian's Chromium opens `/`. Screenshots go to
 * test-artifacts/.
 */

const TOKEN = 'console-token-3e9a';
const CONSOLE_FIXTURE = fileURLToPath(new URL('./consoleServer.mjs', import.meta.url));
const DEMO = fileURLToPath(new URL('../../dist/src/demo/server.js', import.meta.url));
const MODERN = fileURLToPath(new URL('../../dist/src/demo/modernServer.js', import.meta.url));
const DEMOS = ['browser', 'calendar', 'fetch', 'jira', 'memory', 'postgres', 'slack', 'weather'];
const FAILING = `console.error('starting the github server'); console.error('boom: GITHUB_TOKEN is not set'); process.exit(1)`;

describe.skipIf(!HAVE_CHROMIUM)('the console of a running serve, in headless Chromium', () => {
  let service: RunningService;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let urls: string[];
  let killedPid = 0;
  const api = async <T>(path: string, init: RequestInit = {}) =>
    (await (await fetch(`${service.url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } })).json()) as T;
  const row = (server: string) => `tr.server-row[data-server="${server}"]`;
  const detail = (server: string) => `section.detail[data-server="${server}"]`;
  const lit = (server: string, chart: 'connection' | 'breaker', stateId: string) => `${detail(server)} svg[data-chart="${chart}"] g.state.active[data-state-id="${stateId}"]`;

  beforeAll(async () => {
    const node = process.execPath;
    const config = writeConfig(`
servers:
  github: { transport: stdio, command: ${node}, args: ["-e", "${FAILING}"], reconnect: { minMs: 200, baseMs: 200, maxMs: 400, maxAttempts: 1 } }
  fs: { transport: stdio, command: ${node}, args: ["${STDIO_FIXTURE}", fs], reconnect: { minMs: 200, baseMs: 200, maxMs: 400 } }
  studio: { transport: stdio, command: ${node}, args: ["${CONSOLE_FIXTURE}", studio] }
  notes: { transport: stdio, command: ${node}, args: ["${MODERN}", "--name", notes] }
${DEMOS.map((name) => `  ${name}: { transport: stdio, command: ${node}, args: ["${DEMO}", "--name", ${name}] }`).join('\n')}
defaults:
  health: { intervalMs: 0 }
  timeouts: { connectMs: 15000, callMs: 10000, shutdownMs: 1000 }
admin: { token: "${TOKEN}" }
`);
    service = await startService(['--config', config]);
    // Killed before any page is open: only the service's history can tell the page about it.
    const { servers } = await api<{ servers: { name: string; stderrTail: string }[] }>('/mcp/servers');
    killedPid = fixturePid(servers.find((s) => s.name === 'fs')!.stderrTail);
    process.kill(killedPid, 'SIGKILL');
    expect(await waitGone(killedPid)).toBe(true);
    // Waits for the event, not for a time: polled until fs is back (bounded only so a hang fails).
    for (const deadline = Date.now() + 20_000; ; ) {
      const fs = (await api<{ servers: { name: string; state: string; reconnects: number }[] }>('/mcp/servers')).servers.find((s) => s.name === 'fs')!;
      if (fs.state === 'connected' && fs.reconnects === 1) break;
      if (Date.now() > deadline) throw new Error(`fs did not reconnect after the kill: ${JSON.stringify(fs)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    browser = await launch();
    ({ page, errors, urls } = await openPage(browser));
  });

  afterAll(async () => {
    await browser?.close();
    expect(await service?.stop()).toBe(0);
  });

  it('fits twelve servers on the first screen at 1280×800, the failing one first with its stderr in view', async () => {
    await login(page, `${service.url}/`, TOKEN);
    await page.waitForFunction(() => document.querySelectorAll('tr.server-row').length === 12);
    await page.waitForSelector(`${row('github')}[data-state="error"]`, { timeout: 15_000 });
    await page.waitForFunction(() => [...document.querySelectorAll('tr.server-row')].filter((r) => r.getAttribute('data-state') === 'connected').length === 11, undefined, { timeout: 15_000 });
    // Problems first.
    expect(await page.locator('tr.server-row').first().getAttribute('data-server')).toBe('github');
    // The reason is on screen without a click: the error and the last stderr lines, under the row.
    const stderr = page.locator(`tr.problem-row[data-server="github"] [data-field="stderr"]`);
    expect(await stderr.isVisible()).toBe(true);
    expect(await stderr.textContent()).toContain('boom: GITHUB_TOKEN is not set');
    expect(await page.locator(`tr.problem-row[data-server="github"] [data-field="why"]`).textContent()).toMatch(/^ConnectionClosed: /);
    // Every row, and the stderr, inside the first screen; the page's height is measured and kept.
    const measured = await page.evaluate(() => ({
      pageHeight: document.documentElement.scrollHeight,
      rowsBottom: Math.max(...[...document.querySelectorAll('tr.server-row, tr.problem-row:not([hidden])')].map((r) => r.getBoundingClientRect().bottom)),
      viewport: window.innerHeight,
    }));
    writeFileSync(join(ARTIFACTS, 'console-12-servers.json'), `${JSON.stringify(measured, null, 2)}\n`);
    expect(measured.viewport).toBe(800);
    expect(measured.rowsBottom).toBeLessThanOrEqual(800);
    // The whole overview is one screen: the lists below the servers fill what is left and scroll inside.
    expect(measured.pageHeight).toBeLessThanOrEqual(800);
    expect(await page.locator('#calls').evaluate((t) => t.closest('.scroll')!.getBoundingClientRect().height)).toBeGreaterThan(60);
    // The summary strip.
    expect(await page.locator('[data-field="servers"]').textContent()).toBe('12');
    expect(await page.locator('[data-note="servers"]').textContent()).toBe('11 connected · 1 failing');
    expect(await page.locator('[data-note="eras"]').textContent()).toBe('10 legacy · 1 modern');
    expect(await page.locator(`${row('notes')} td.col-era`).textContent()).toBe('modern');
    await shot(page, 'console-1280x800.png');
  });

  it('shows, from the history, the transitions of a server killed before the page was opened', async () => {
    await page.locator(`${row('fs')} a`).click();
    await page.waitForSelector(lit('fs', 'connection', 'serverConnection.connected'));
    await page.waitForSelector(lit('fs', 'breaker', 'circuitBreaker.closed'));
    await page.waitForSelector(`${detail('fs')} table.transitions tr[data-to="disconnected"]`);
    const rows = await page.locator(`${detail('fs')} table.transitions tbody tr`).evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    const changes = rows.map((r) => `${r[2]} (${r[3]!.split(/[ ,]/)[0]})`);
    // Newest first: reconnected, retried, lost — then the first start.
    expect(changes.slice(0, 3)).toEqual(['connecting → connected (ready)', 'disconnected → connecting (retry)', 'connected → disconnected (connectionLost)']);
    for (const r of rows) expect(r[0]).toMatch(/^\d{1,2}:\d{2}:\d{2}$/);
    expect(await page.locator(`${detail('fs')} [data-field="reconnects"]`).textContent()).toBe('1');
    expect(await page.locator(`${detail('fs')} [data-field="stderr"]`).textContent()).toContain(`fixture fs pid ${killedPid} up`);
    await shot(page, 'console-detail-fs.png', true);
  });

  it('calls a tool from the form generated from its schema, shows text and image, and marks the call as the page\'s', async () => {
    await page.goto(`${service.url}/#/server/studio/tool/pixel`);
    await page.waitForSelector(`${detail('studio')} form.call-form[data-tool="pixel"]`);
    const form = page.locator('form.call-form[data-tool="pixel"]');
    // From the schema: a choice of the enum's values, a whole number, both required.
    expect(await form.locator('select[name="color"] option').allTextContents()).toEqual(['(choose)', 'red', 'green', 'blue']);
    expect(await form.locator('input[name="size"]').getAttribute('step')).toBe('1');
    expect(await page.locator(`${detail('studio')} .chips li`).allTextContents()).toEqual(['readOnlyHint', 'idempotentHint']);
    await form.locator('select[name="color"]').selectOption({ label: 'blue' });
    await form.locator('input[name="size"]').fill('8');
    await form.locator('button[data-action="call"]').click();
    const result = page.locator(`${detail('studio')} [data-field="result"]`);
    await result.locator('[data-status="ok"]').waitFor();
    expect(await result.locator('[data-content="text"]').textContent()).toBe('8×8 blue');
    const image = await result.locator('[data-content="image"] img').evaluate((img: HTMLImageElement) => img.decode().then(() => ({ w: img.naturalWidth, h: img.naturalHeight, src: img.src.slice(0, 22) })));
    expect(image).toEqual({ w: 8, h: 8, src: 'data:image/png;base64,' });
    expect(await result.locator('[data-field="duration"]').textContent()).toMatch(/^\d+ ms$|^\d+(\.\d)? s$/);
    // The call's event says it came from the page, in the service's history and on the page.
    const history = await api<{ calls: { tool: string; server: string; source?: string; ok: boolean }[] }>('/mcp/history');
    expect(history.calls.filter((c) => c.tool === 'pixel')).toEqual([expect.objectContaining({ server: 'studio', source: 'live-view', ok: true })]);
    await page.waitForSelector(`${detail('studio')} table.calls tr[data-tool="pixel"][data-source="live-view"]`);
    await shot(page, 'console-try-pixel.png', true);
  });

  it('checks the form before sending, takes raw JSON, and shows structured content and tool errors', async () => {
    await page.goto(`${service.url}/#/server/studio/tool/configure`);
    const form = page.locator('form.call-form[data-tool="configure"]');
    await form.waitFor();
    const calls = () => urls.filter((u) => u.endsWith('/mcp/call')).length;
    const before = calls();
    await form.locator('textarea[name="label"]').fill('nightly');
    await form.locator('button[data-action="call"]').click();
    // `retries` is required and empty: named, focused, nothing sent.
    expect(await page.locator(`${detail('studio')} [data-field="form-error"]`).textContent()).toBe('retries: required');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('retries');
    expect(calls()).toBe(before);
    await form.locator('input[name="retries"]').fill('3');
    await form.locator('select[name="verbose"]').selectOption('true');
    await form.locator('textarea[name="tags"]').fill('["a", "b"]');
    await form.locator('select[name="mode"]').selectOption({ label: 'safe' });
    await form.locator('button[data-action="call"]').click();
    const result = page.locator(`${detail('studio')} [data-field="result"]`);
    await result.locator('[data-status="ok"]').waitFor();
    expect(JSON.parse((await result.locator('[data-content="structured"] pre').textContent())!)).toEqual({ received: { label: 'nightly', retries: 3, verbose: true, tags: ['a', 'b'], mode: 'safe' } });
    // Raw JSON carries the form's values across, and is what gets sent while it is on.
    await form.locator('button[data-action="raw"]').click();
    const raw = form.locator('textarea.raw');
    expect(JSON.parse(await raw.inputValue())).toEqual({ label: 'nightly', retries: 3, verbose: true, tags: ['a', 'b'], mode: 'safe' });
    await raw.fill('{"label": "raw", "retries": 1');
    await form.locator('button[data-action="call"]').click();
    expect(await page.locator(`${detail('studio')} [data-field="form-error"]`).textContent()).toMatch(/^raw JSON: /);
    await raw.fill('{"label": "raw", "retries": 1}');
    await form.locator('button[data-action="call"]').click();
    await page.waitForFunction(() => document.querySelector('[data-content="structured"] pre')?.textContent?.includes('"raw"'));
    // A tool that answers isError is a tool error, not a failure of the call.
    await page.locator(`${detail('studio')} [data-field="tool-select"]`).selectOption('oops');
    await page.locator('form.call-form[data-tool="oops"] button[data-action="call"]').click();
    await result.locator('[data-status="tool error"]').waitFor();
    expect(await result.locator('[data-content="text"]').textContent()).toBe('it went wrong');
  });

  it('gets a prompt and reads a resource of a server from its detail', async () => {
    await page.goto(`${service.url}/#/server/calendar`);
    await page.waitForSelector(`${detail('calendar')} .try`);
    await page.locator(`${detail('calendar')} [role="tab"][data-tab="prompts"]`).click();
    await page.locator(`${detail('calendar')} [data-panel="prompts"] select`).selectOption('greet');
    await page.locator('form.call-form[data-prompt="greet"] textarea[name="who"]').fill('Ada');
    await page.locator('form.call-form[data-prompt="greet"] button[data-action="get"]').click();
    const prompts = page.locator(`${detail('calendar')} [data-panel="prompts"] [data-field="result"]`);
    await prompts.locator('[data-status="ok"]').waitFor();
    expect(await prompts.locator('.message[data-role="user"] [data-content="text"]').textContent()).toBe('Say hello to Ada, from calendar.');
    await page.locator(`${detail('calendar')} [role="tab"][data-tab="resources"]`).click();
    await page.locator(`${detail('calendar')} button[data-uri="demo://calendar/about"]`).click();
    await page.locator(`${detail('calendar')} [data-panel="resources"] button[data-action="read"]`).click();
    const read = page.locator(`${detail('calendar')} [data-panel="resources"] [data-field="result"]`);
    await read.locator('[data-status="ok"]').waitFor();
    expect(await read.locator('[data-content="text"]').textContent()).toBe('calendar: a demo MCP server shipped with mcp-switchboard');
    const history = await api<{ calls: { tool: string; kind: string; source?: string }[] }>('/mcp/history');
    expect(history.calls.filter((c) => c.source === 'live-view').map((c) => c.kind)).toEqual(expect.arrayContaining(['prompt', 'resource']));
  });

  it('is driven by the keyboard: a row opens its detail with Enter, Escape comes back to the same row', async () => {
    await page.goto(`${service.url}/#/`);
    await page.waitForSelector(`${row('github')}`);
    await page.locator('#servers').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-server'))).toBe('github');
    await page.keyboard.press('Enter');
    await page.waitForSelector(lit('github', 'connection', 'serverConnection.error'));
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('detail-title');
    // A failing server's detail has its stderr open.
    expect(await page.locator(`${detail('github')} details.stderr`).getAttribute('open')).not.toBeNull();
    expect(await page.locator(`${detail('github')} details.stderr pre`).isVisible()).toBe(true);
    // Arrow keys move between the try-it tabs.
    await page.locator(`${detail('github')} [role="tab"][data-tab="tools"]`).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-tab'))).toBe('prompts');
    await shot(page, 'console-detail-failing.png', true);
    // Escape while trying something out stays (it would throw the arguments away); elsewhere it goes back.
    await page.keyboard.press('Escape');
    expect(await page.locator(detail('github')).count()).toBe(1);
    await page.locator('#detail-title').focus();
    await page.keyboard.press('Escape');
    await page.waitForSelector('#overview:not([hidden])');
    expect(await page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-server'))).toBe('github');
    // Focus in a list survives the page's updates: a tool link keeps it while a new call is listed.
    const link = page.locator('#tools tbody tr[data-tool="studio__pixel"] a');
    await link.focus();
    const toolReads = () => urls.filter((u) => u.endsWith('/mcp/tools')).length;
    const readsBefore = toolReads();
    await api('/mcp/call', { method: 'POST', body: JSON.stringify({ tool: 'echo', server: 'weather', arguments: { text: 'hi' } }) });
    await page.waitForSelector('#calls tbody tr[data-tool="echo"][data-server="weather"]');
    // The call's event makes the page re-read the servers and tools: focus must survive that too.
    await until(() => toolReads() > readsBefore, 5_000, 'the page to re-read /mcp/tools');
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    // At 1280 px the recent calls' outcome is inside its panel, not clipped.
    const outcome = await page.locator('#calls tbody tr[data-tool="echo"]').evaluate((tr) => {
      const cell = tr.querySelector('td.outcome')!.getBoundingClientRect();
      const panel = tr.closest('.scroll')!.getBoundingClientRect();
      return { text: tr.querySelector('td.outcome')!.textContent, inside: cell.right <= panel.right + 0.5 && cell.width > 10 };
    });
    expect(outcome).toEqual({ text: 'ok', inside: true });
    expect(await page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-tool'))).toBe('studio__pixel');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.evaluate(() => window.scrollTo(0, 0));
    // The README's picture: twelve servers, one failing, some calls.
    await shot(page, 'console-overview-after-calls.png');
  });

  it('reads well at 400 px and in dark mode', async () => {
    await page.setViewportSize({ width: 400, height: 860 });
    await page.waitForFunction(() => document.documentElement.scrollWidth <= 400);
    expect(await page.locator(`tr.problem-row[data-server="github"] [data-field="stderr"]`).isVisible()).toBe(true);
    await shot(page, 'console-narrow.png');
    await page.goto(`${service.url}/#/server/studio`);
    await page.waitForSelector(lit('studio', 'connection', 'serverConnection.connected'));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(400);
    await shot(page, 'console-narrow-detail.png');
    await page.goto(`${service.url}/#/`);
    const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe(light);
    await shot(page, 'console-dark.png');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('never puts the token in a URL and loads nothing from anywhere but the service', () => {
    expect(urls.length).toBeGreaterThan(10);
    for (const url of urls) {
      expect(url.startsWith(`${service.url}/`) || url.startsWith('data:'), url).toBe(true);
      expect(url).not.toContain(TOKEN);
    }
    expect(errors).toEqual([]);
  });
});
