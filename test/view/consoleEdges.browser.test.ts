import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_FIXTURE, startService, writeConfig, type RunningService } from '../helpers/service.js';
import { HAVE_CHROMIUM, launch, login, openPage } from './browser.js';

/**
 * The console's edges, found by trying it the hard way against a real `serve` child (issue 21's
 * review): a retry countdown that keeps its deadline, nothing clipped at 1280 px, "Try it ↓"
 * staying in the detail, raw JSON carrying an unfinished form, Escape not throwing arguments
 * away, action failures reported beside (not over) the stream status, dark-mode contrast, and a
 * detail of a removed server offering nothing.
 */

/** Lets the page's pending tasks (a hashchange, a fetch's handlers) run. */
const settle = (page: Page) => page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));

const TOKEN = 'review21-token-7c1d';
const HOSTILE = fileURLToPath(new URL('./hostileServer.mjs', import.meta.url));

describe.skipIf(!HAVE_CHROMIUM)('the console at its edges, against a real serve', () => {
  let service: RunningService;
  let configPath: string;
  let configText: string;
  let browser: Browser;
  let page: Page;

  const api = async (path: string, body?: unknown) => {
    const response = await fetch(`${service.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return response.json() as Promise<Record<string, unknown>>;
  };
  const secondsLeft = async () => {
    const text = await page.locator('tr.server-row[data-server="flappy"] [data-field="retry"]').innerText();
    const m = /retry in (\d+(?:\.\d+)?) s/.exec(text);
    if (!m) throw new Error(`no countdown: ${text}`);
    return Number(m[1]);
  };

  beforeAll(async () => {
    const node = process.execPath;
    configText = `
servers:
  hostile: { transport: stdio, command: ${node}, args: ["${HOSTILE}"] }
  ok: { transport: stdio, command: ${node}, args: ["${SERVICE_FIXTURE}"] }
  gone: { transport: stdio, command: ${node}, args: ["${SERVICE_FIXTURE}"] }
  dying: { transport: stdio, command: ${node}, args: ["${SERVICE_FIXTURE}", "die=boom: cannot start"], reconnect: { minMs: 100, baseMs: 100, maxMs: 200, maxAttempts: 1 } }
  flappy: { transport: stdio, command: ${node}, args: ["${SERVICE_FIXTURE}", "die=flappy is down"], reconnect: { minMs: 30000, baseMs: 30000, maxMs: 30000, maxAttempts: 100 } }
defaults:
  health: { intervalMs: 0 }
  timeouts: { connectMs: 15000, callMs: 10000, shutdownMs: 1000 }
admin: { token: "${TOKEN}" }
`;
    configPath = writeConfig(configText);
    service = await startService(['--config', configPath]);
    browser = await launch();
    ({ page } = await openPage(browser));
    await login(page, `${service.url}/`, TOKEN);
    await page.waitForSelector('tr.server-row[data-server="dying"][data-state="error"]', { timeout: 15_000 });
    await page.waitForSelector('tr.server-row[data-server="flappy"] [data-field="retry"]', { timeout: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    expect(await service?.stop()).toBe(0);
  });

  it('keeps the deadline of a pending retry while other servers are busy (a re-read of /mcp/servers does not restart it)', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.evaluate(() => (location.hash = '#/'));
    const retry = page.locator('tr.server-row[data-server="flappy"] [data-field="retry"]');
    const due = Number(await retry.getAttribute('data-retry-at'));
    expect(due).toBeGreaterThan(Date.now());
    const first = await secondsLeft();
    // Ordinary traffic on another server: each call.completed makes the page re-read /mcp/servers.
    for (let i = 0; i < 3; i++) {
      const reread = page.waitForResponse((r) => r.url().endsWith('/mcp/servers'));
      await api('/mcp/call', { tool: 'echo_args', server: 'ok', arguments: {} });
      await reread;
      await settle(page);
      expect(Number(await retry.getAttribute('data-retry-at'))).toBe(due);
    }
    expect(await secondsLeft()).toBeLessThanOrEqual(first);
  });

  it('shows the retry countdown of a backing-off server in its row at 1280 px (not clipped)', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.evaluate(() => (location.hash = '#/'));
    const clip = await page.evaluate(() => {
      const retry = document.querySelector('tr.server-row[data-server="flappy"] [data-field="retry"]')!;
      const cell = retry.closest('td')!;
      return { retryRight: retry.getBoundingClientRect().right, cellRight: cell.getBoundingClientRect().right };
    });
    expect(clip.retryRight).toBeLessThanOrEqual(clip.cellRight);
  });

  it('shows every state count of the summary strip at 1280 px (the failing count is not cut off)', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.evaluate(() => (location.hash = '#/'));
    const note = page.locator('[data-note="servers"]');
    await expect.poll(() => note.innerText()).toMatch(/failing/);
    const { scrollWidth, clientWidth } = await note.evaluate((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
  });

  it('"Try it ↓" in a server\'s detail jumps to try-it and keeps the detail open', async () => {
    await page.evaluate(() => (location.hash = '#/server/ok'));
    await page.waitForSelector('section.detail[data-server="ok"]');
    const inView = () => page.evaluate(() => {
      const box = document.querySelector('section.detail .try')!.getBoundingClientRect();
      return box.top < window.innerHeight && box.bottom > 0;
    });
    expect(await inView()).toBe(false);
    await page.click('section.detail [data-action="jump"]');
    await page.waitForFunction(() => {
      const box = document.querySelector('section.detail .try')!.getBoundingClientRect();
      return box.top < window.innerHeight && box.bottom > 0;
    });
    await settle(page);
    expect(await page.evaluate(() => location.hash)).toBe('#/server/ok');
    expect(await page.locator('section.detail[data-server="ok"]').count()).toBe(1);
    expect(await page.evaluate(() => document.getElementById('overview')!.hidden)).toBe(true);
  });

  it('switching to raw JSON keeps what was typed even while a required field is still empty', async () => {
    await page.evaluate(() => (location.hash = '#/server/hostile/tool/rich'));
    await page.waitForSelector('form.call-form[data-tool="rich"]');
    await page.fill('form.call-form[data-tool="rich"] [name="name"]', 'alice');
    await page.fill('form.call-form[data-tool="rich"] [name="where"]', '{"x": 1}');
    // `level` (required) is not chosen yet.
    await page.click('form.call-form[data-tool="rich"] button[data-action="raw"]');
    const raw = JSON.parse(await page.locator('form.call-form[data-tool="rich"] textarea.raw').inputValue()) as Record<string, unknown>;
    expect(raw).toMatchObject({ name: 'alice', where: { x: 1 } });
    await page.click('form.call-form[data-tool="rich"] button[data-action="raw"]');
    expect(await page.inputValue('form.call-form[data-tool="rich"] [name="name"]')).toBe('alice');
  });

  it('Escape on the Call button does not throw away the arguments typed into the try-it form', async () => {
    await page.evaluate(() => (location.hash = '#/server/hostile/tool/req'));
    await page.waitForSelector('form.call-form[data-tool="req"]');
    await page.fill('form.call-form[data-tool="req"] [name="c"]', 'typed by hand');
    await page.focus('form.call-form[data-tool="req"] button[data-action="call"]');
    await page.keyboard.press('Escape');
    await settle(page);
    expect(await page.evaluate(() => location.hash)).toBe('#/server/hostile/tool/req');
    expect(await page.inputValue('form.call-form[data-tool="req"] [name="c"]')).toBe('typed by hand');
  });

  it('a failed Reconnect is reported without replacing the live indicator of the event stream', async () => {
    await page.evaluate(() => (location.hash = '#/server/ok'));
    await page.waitForSelector('section.detail[data-server="ok"]');
    await page.route('**/mcp/servers/ok/reconnect', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'Unavailable', message: 'try later' } }) }));
    await page.click('section.detail button[data-action="reconnect"]');
    await page.waitForSelector('#notice[data-kind="error"]:not([hidden])');
    await page.unroute('**/mcp/servers/ok/reconnect');
    expect(await page.locator('#notice').textContent()).toBe('Reconnect of ok failed: try later');
    // The stream is still connected: the header keeps saying so.
    expect(await page.locator('#stream-status').getAttribute('data-stream')).toBe('live');
  });

  it('the primary buttons of try-it are readable in dark mode (contrast at least 4.5:1)', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.evaluate(() => (location.hash = '#/server/hostile/tool/req'));
    await page.waitForSelector('form.call-form[data-tool="req"] button[data-action="call"]');
    const { color, background } = await page.locator('form.call-form[data-tool="req"] button[data-action="call"]').evaluate((el) => ({ color: getComputedStyle(el).color, background: getComputedStyle(el).backgroundColor }));
    await page.emulateMedia({ colorScheme: 'light' });
    const luminance = (css: string) => {
      const [r, g, b] = css.match(/\d+(\.\d+)?/g)!.slice(0, 3).map((v) => {
        const c = Number(v) / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const [hi, lo] = [luminance(color), luminance(background)].sort((a, b) => b - a);
    expect((hi! + 0.05) / (lo! + 0.05)).toBeGreaterThanOrEqual(4.5);
  });

  it('the detail of a server removed by a config reload offers no actions on it', async () => {
    await page.evaluate(() => (location.hash = '#/server/gone'));
    await page.waitForSelector('section.detail[data-server="gone"]');
    writeFileSync(configPath, configText.split('\n').filter((line) => !line.includes('gone:')).join('\n'));
    try {
      const answer = await api('/mcp/config/reload', {});
      expect(answer.removed).toEqual(['gone']);
      await expect.poll(() => page.locator('section.detail .detail-head [data-field="state"]').innerText()).toBe('removed');
      // Reconnect and Reset only fail (404) now; the page should not offer them.
      expect(await page.locator('section.detail button[data-action="reconnect"]').isDisabled()).toBe(true);
      expect(await page.locator('section.detail button[data-action="reset"]').isDisabled()).toBe(true);
      expect(await page.locator('section.detail .try').isHidden()).toBe(true);
    } finally {
      writeFileSync(configPath, configText);
      expect(readFileSync(configPath, 'utf8')).toBe(configText);
    }
  });
});
