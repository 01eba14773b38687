import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildView } from '../../src/view/build.mjs';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { viewMachines } from '../../src/view/machines.js';
import { fixturePid, waitGone } from '../helpers/processes.js';
import { inMemoryServer, stdioServer, until } from '../helpers/switchboard.js';
import { startViewHarness, type ViewHarness } from './harness.js';

/**
 * The live view in a real headless Chromium (Debian's, driven by playwright-core): the page is
 * served with its bundle, the data come from a real Switchboard with a stdio and an in-memory
 * server. Screenshots go to test-artifacts/.
 */

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const TOKEN = 'view-test-token-5f1c';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

if (!existsSync(CHROMIUM)) console.warn(`live view browser test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

describe.skipIf(!existsSync(CHROMIUM))('live view in headless Chromium', () => {
  let assets: string;
  let sb: Switchboard;
  let harness: ViewHarness;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const urls: string[] = [];

  const card = (server: string) => `article.card[data-server="${server}"]`;
  const lit = (server: string, chart: 'connection' | 'breaker', stateId: string) => `${card(server)} svg[data-chart="${chart}"] g.state.active[data-state-id="${stateId}"]`;
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });

  beforeAll(async () => {
    assets = mkdtempSync(join(tmpdir(), 'view-assets-'));
    await buildView(assets);
    mkdirSync(ARTIFACTS, { recursive: true });
    sb = createSwitchboard(
      {
        servers: {
          // A long backoff keeps `disconnected` on screen long enough to be seen after the kill.
          fs: stdioServer('fs', undefined, { reconnect: { minMs: 1500, baseMs: 1500, maxMs: 2500 } }),
        },
        defaults: {
          health: { intervalMs: 0 },
          timeouts: { connectMs: 5000, callMs: 2000, shutdownMs: 1000 },
          breaker: { slidingWindowSize: 2, minimumNumberOfCalls: 2, failureRateThreshold: 50, waitDurationInOpenMs: 120_000 },
        },
      },
      { transports: { mem: inMemoryServer('mem') } },
    );
    await sb.start();
    harness = await startViewHarness(sb, TOKEN, assets);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    page.on('request', (r) => urls.push(r.url()));
  });

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    await sb?.stop();
    if (assets) rmSync(assets, { recursive: true, force: true });
  });

  it('asks for the token, then draws every server with both statecharts from the machine definitions', async () => {
    await page.goto(harness.url);
    await page.waitForSelector('#login:not([hidden])');
    await page.screenshot({ path: join(ARTIFACTS, 'live-view-login.png') });
    // Typed once, submitted with the keyboard.
    await page.locator('#token').fill(TOKEN);
    await page.keyboard.press('Enter');
    for (const server of ['fs', 'mem']) {
      await page.waitForSelector(lit(server, 'connection', 'serverConnection.connected'));
      await page.waitForSelector(lit(server, 'breaker', 'circuitBreaker.closed'));
    }
    const { connection, breaker } = viewMachines();
    for (const server of ['fs', 'mem']) {
      const chart = (kind: string) => page.locator(`${card(server)} svg[data-chart="${kind}"]`);
      // Every state of each machine is drawn.
      expect(await chart('connection').locator('g.state').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-state-id')))).toEqual(connection.nodes.map((n) => n.id));
      // Every transition with a target is on an arrow (arrows between the same two states are shared).
      const drawn = async (kind: string) => (await chart(kind).locator('g.edge').evaluateAll((gs) => gs.flatMap((g) => g.getAttribute('data-edges')!.split(' ')))).sort();
      expect(await drawn('connection')).toEqual(connection.edges.filter((e) => e.target !== null).map((e) => e.id).sort());
      expect(await drawn('breaker')).toEqual(breaker.edges.filter((e) => e.target !== null).map((e) => e.id).sort());
      expect(await chart('breaker').locator('g.state').count()).toBe(breaker.nodes.length);
      expect(await page.locator(`${card(server)} [data-field="transport"]`).textContent()).toBe(server === 'fs' ? 'stdio' : sb.getServer('mem')!.transport);
    }
    expect(await page.locator(`${card('fs')} [data-field="stderr"]`).textContent()).toMatch(/fixture fs pid \d+ up/);
    await page.waitForSelector('#tools tbody tr[data-tool="mem__slow"][data-available="true"]');
    expect(await page.locator('#tools tbody tr').count()).toBe(sb.listTools().length);
    expect(await page.evaluate(() => sessionStorage.getItem('mcp-switchboard.token'))).toBe(TOKEN);
    await shot('live-view-connected.png');
    await page.screenshot({ path: join(ARTIFACTS, 'live-view-1280x800.png') });
    // The zoom toggle shows a chart at its actual size.
    const zoom = page.locator(`${card('fs')} .chart-box.connection button[data-action="zoom"]`);
    await zoom.focus();
    await page.keyboard.press('Enter');
    expect(await zoom.getAttribute('aria-pressed')).toBe('true');
    await page.locator(`${card('fs')} .chart-box.connection svg`).screenshot({ path: join(ARTIFACTS, 'live-view-connection-chart.png') });
    await page.keyboard.press('Enter');
  });

  it('follows a killed stdio server through disconnected back to connected', async () => {
    const pid = fixturePid(sb.getServer('fs')!.stderrTail);
    process.kill(pid, 'SIGKILL');
    expect(await waitGone(pid)).toBe(true);
    await page.waitForSelector(lit('fs', 'connection', 'serverConnection.disconnected'), { timeout: 10_000 });
    // The substate comes from /mcp/servers: backing off before the next attempt.
    await page.waitForSelector(lit('fs', 'connection', 'serverConnection.disconnected.backoff'), { timeout: 10_000 });
    expect(await page.locator(`${card('fs')} svg[data-chart="connection"] g.state.active[data-state-id="serverConnection.connected"]`).count()).toBe(0);
    await shot('live-view-disconnected.png');
    await page.waitForSelector(lit('fs', 'connection', 'serverConnection.connected'), { timeout: 15_000 });
    const trail = await page.locator(`${card('fs')} .trail li`).allTextContents();
    expect(trail.slice(0, 3)).toEqual(['connecting → connected (ready)', 'disconnected → connecting (retry)', 'connected → disconnected (connectionLost)']);
    // The counter comes from the next /mcp/servers read, which may follow the event by a moment.
    await page.waitForFunction((selector) => document.querySelector(selector)?.textContent === '1', `${card('fs')} [data-field="reconnects"]`, { timeout: 10_000 });
    expect(await page.locator(`${card('fs')} [data-field="reconnects"]`).textContent()).toBe('1');
  });

  it('shows a breaker opening after failing calls, with the calls listed without their arguments', async () => {
    for (let i = 0; i < 6 && sb.getServer('mem')!.breaker!.state !== 'open'; i++) {
      await sb.callTool('slow', { ms: 1500, secretArgument: 'do-not-show-me' }, { server: 'mem', timeoutMs: 100 }).catch(() => undefined);
    }
    await until(() => sb.getServer('mem')!.breaker!.state === 'open', 10_000, 'the breaker of mem to open');
    await page.waitForSelector(lit('mem', 'breaker', 'circuitBreaker.open'), { timeout: 10_000 });
    await page.waitForSelector('#calls tbody tr[data-tool="slow"][data-server="mem"][data-outcome="ToolCallTimeout"]');
    await page.waitForSelector('#tools tbody tr[data-tool="mem__slow"][data-available="false"]');
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'open', `${card('mem')} [data-field="breakerCurrent"]`, { timeout: 10_000 });
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '1', `${card('mem')} [data-field="opens"]`);
    expect(await page.content()).not.toContain('do-not-show-me');
    await shot('live-view-breaker-open.png');
  });

  it('is usable with the keyboard: Tab reaches the card buttons, Enter presses them', async () => {
    await page.locator('#servers').focus();
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => ({ action: document.activeElement?.getAttribute('data-action'), server: document.activeElement?.closest('article')?.getAttribute('data-server'), tag: document.activeElement?.tagName }));
    expect(focused).toMatchObject({ action: 'reconnect', tag: 'BUTTON' });
    await page.keyboard.press('Enter');
    await page.waitForFunction((sel) => /→ connecting \(manualReconnect\)/.test(document.querySelector(sel)?.textContent ?? ''), `${card(focused.server!)} .trail li:first-child`);
    await page.waitForSelector(lit(focused.server!, 'connection', 'serverConnection.connected'), { timeout: 15_000 });
  });

  it('reads well on a narrow window and in dark mode', async () => {
    await page.setViewportSize({ width: 420, height: 860 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
    await shot('live-view-narrow.png');
    const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe(light);
    await shot('live-view-dark.png');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('never puts the token in a URL, sends it on every API request, and loads nothing from elsewhere', () => {
    expect(urls.length).toBeGreaterThan(3);
    for (const url of urls) {
      expect(url.startsWith(harness.url), url).toBe(true);
      expect(url).not.toContain(TOKEN);
    }
    const api = harness.requests.filter((r) => r.line.includes(' /mcp/'));
    expect(api.length).toBeGreaterThan(3);
    expect(api.every((r) => r.bearer)).toBe(true);
    expect(harness.requests.some((r) => r.line.includes(TOKEN))).toBe(false);
    expect(pageErrors).toEqual([]);
  });
});
