import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePid, waitGone } from '../helpers/processes.js';
import { startService, writeConfig, type RunningService } from '../helpers/service.js';
import { STDIO_FIXTURE, until } from '../helpers/switchboard.js';

/**
 * The live view as an operator opens it: `switchboard serve` runs as a real child process (its
 * built CLI), Debian's Chromium opens `/`, the token is typed once, and the page follows a killed
 * stdio server and a breaker that opens. Screenshots go to test-artifacts/.
 */

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const TOKEN = 'serve-view-token-91ab';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

if (!existsSync(CHROMIUM)) console.warn(`live view (serve) browser test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

describe.skipIf(!existsSync(CHROMIUM))('live view of a running serve in headless Chromium', () => {
  let service: RunningService;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const card = (server: string) => `article.card[data-server="${server}"]`;
  const lit = (server: string, chart: 'connection' | 'breaker', stateId: string) => `${card(server)} svg[data-chart="${chart}"] g.state.active[data-state-id="${stateId}"]`;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${service.url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const config = writeConfig(`
servers:
  fs: { transport: stdio, command: ${process.execPath}, args: ["${STDIO_FIXTURE}", fs], reconnect: { minMs: 1500, baseMs: 1500, maxMs: 2500 } }
  other: { transport: stdio, command: ${process.execPath}, args: ["${STDIO_FIXTURE}", other] }
defaults:
  health: { intervalMs: 0 }
  timeouts: { connectMs: 5000, callMs: 2000, shutdownMs: 1000 }
  breaker: { slidingWindowSize: 2, minimumNumberOfCalls: 2, failureRateThreshold: 50, waitDurationInOpenMs: 120000 }
admin: { token: "${TOKEN}" }
`);
    service = await startService(['--config', config]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  });

  afterAll(async () => {
    await browser?.close();
    expect(await service?.stop()).toBe(0);
  });

  it('draws every server card with both statecharts after the token is typed once', async () => {
    await page.goto(`${service.url}/`);
    await page.locator('#token').fill(TOKEN);
    await page.keyboard.press('Enter');
    for (const server of ['fs', 'other']) {
      await page.waitForSelector(lit(server, 'connection', 'serverConnection.connected'), { timeout: 15_000 });
      await page.waitForSelector(lit(server, 'breaker', 'circuitBreaker.closed'), { timeout: 15_000 });
      expect(await page.locator(`${card(server)} svg[data-chart="connection"] g.state`).count()).toBeGreaterThan(8);
      const breakerStates = await page.locator(`${card(server)} svg[data-chart="breaker"] g.state`).evaluateAll((gs) => gs.map((g) => g.getAttribute('data-state-id')));
      expect(breakerStates).toEqual(['circuitBreaker', 'circuitBreaker.closed', 'circuitBreaker.open', 'circuitBreaker.half-open']);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'serve-live-view.png'), fullPage: true });
  });

  it('follows a killed stdio server through disconnected back to connected', async () => {
    const servers = (await (await api('/mcp/servers')).json()) as { servers: { name: string; stderrTail: string }[] };
    const pid = fixturePid(servers.servers.find((s) => s.name === 'fs')!.stderrTail);
    process.kill(pid, 'SIGKILL');
    expect(await waitGone(pid)).toBe(true);
    await page.waitForSelector(lit('fs', 'connection', 'serverConnection.disconnected'), { timeout: 10_000 });
    await page.waitForSelector(lit('fs', 'connection', 'serverConnection.connected'), { timeout: 20_000 });
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '1', `${card('fs')} [data-field="reconnects"]`, { timeout: 10_000 });
  });

  it('shows the breaker of a server opening after failing calls', async () => {
    let open = false;
    for (let i = 0; i < 6 && !open; i++) {
      await api('/mcp/call', { method: 'POST', body: JSON.stringify({ tool: 'slow', server: 'other', arguments: { ms: 1500 }, timeoutMs: 100 }) });
      const breakers = (await (await api('/mcp/circuit-breakers')).json()) as { breakers: Record<string, { state: string }> };
      open = breakers.breakers.other?.state === 'open';
    }
    await until(() => open, 1, 'the breaker of other to open');
    await page.waitForSelector(lit('other', 'breaker', 'circuitBreaker.open'), { timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'serve-live-view-breaker-open.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
