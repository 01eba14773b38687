import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/core/logger.js';
import { serve, type Service } from '../../src/server/serve.js';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { viewMachines } from '../../src/view/machines.js';
import { fixturePid, waitGone } from '../helpers/processes.js';
import { inMemoryServer, stdioServer, until } from '../helpers/switchboard.js';
import { HAVE_CHROMIUM, launch, login, openPage, shot } from './browser.js';

/**
 * The console's live parts in a real headless Chromium, over `serve` in this process (so an
 * in-memory server can be driven into an open breaker): the statecharts drawn whole from the
 * machine definitions, a stdio server followed through a kill, a breaker opening, a disabled
 * server, the eras. Screenshots go to test-artifacts/.
 */

const TOKEN = 'view-test-token-5f1c';

describe.skipIf(!HAVE_CHROMIUM)('the console following a switchboard live, in headless Chromium', () => {
  let sb: Switchboard;
  let service: Service;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let urls: string[];
  const row = (server: string) => `tr.server-row[data-server="${server}"]`;
  const detail = (server: string) => `section.detail[data-server="${server}"]`;
  const lit = (server: string, chart: 'connection' | 'breaker', stateId: string) => `${detail(server)} svg[data-chart="${chart}"] g.state.active[data-state-id="${stateId}"]`;

  beforeAll(async () => {
    sb = createSwitchboard(
      {
        servers: {
          // A long backoff keeps `disconnected` on screen long enough to be seen after the kill.
          fs: stdioServer('fs', undefined, { reconnect: { minMs: 1500, baseMs: 1500, maxMs: 2500 } }),
          off: stdioServer('off', undefined, { enabled: false }),
        },
        defaults: {
          health: { intervalMs: 0 },
          timeouts: { connectMs: 5000, callMs: 2000, shutdownMs: 1000 },
          breaker: { slidingWindowSize: 2, minimumNumberOfCalls: 2, failureRateThreshold: 50, waitDurationInOpenMs: 120_000 },
        },
      },
      { transports: { mem: inMemoryServer('mem') } },
    );
    service = await serve(sb, { port: 0, token: TOKEN, logger: createJsonLogger({ write: () => undefined }), logEvents: false });
    await service.started;
    browser = await launch();
    ({ page, errors, urls } = await openPage(browser));
  });

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('draws both statecharts of a server whole, from the machine definitions, lit with its state', async () => {
    await login(page, service.url, TOKEN);
    expect(await page.evaluate(() => sessionStorage.getItem('mcp-switchboard.token'))).toBe(TOKEN);
    // A disabled server is listed last, with no era and no breaker.
    await page.waitForFunction(() => [...document.querySelectorAll('tr.server-row')].map((r) => r.getAttribute('data-server')).join() === 'fs,mem,off');
    expect(await page.locator(`${row('off')}`).getAttribute('data-state')).toBe('disabled');
    expect(await page.locator(`${row('off')} td.col-era`).textContent()).toBe('—');
    expect(await page.locator(`${row('fs')} td.col-era`).textContent()).toBe('legacy');
    expect(await page.locator(`${row('fs')} td.col-era`).getAttribute('title')).toBe('MCP 2025-11-25');
    const { connection, breaker } = viewMachines();
    for (const server of ['fs', 'mem']) {
      await page.goto(`${service.url}/#/server/${server}`);
      await page.waitForSelector(lit(server, 'connection', 'serverConnection.connected'));
      await page.waitForSelector(lit(server, 'breaker', 'circuitBreaker.closed'));
      const chart = (kind: string) => page.locator(`${detail(server)} svg[data-chart="${kind}"]`);
      expect(await chart('connection').locator('g.state').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-state-id')))).toEqual(connection.nodes.map((n) => n.id));
      expect(await chart('breaker').locator('g.state').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-state-id')))).toEqual(breaker.nodes.map((n) => n.id));
      // Every transition with a target is on an arrow (arrows between the same two states are shared).
      const drawn = async (kind: string) => (await chart(kind).locator('g.edge').evaluateAll((gs) => gs.flatMap((g) => g.getAttribute('data-edges')!.split(' ')))).sort();
      expect(await drawn('connection')).toEqual(connection.edges.filter((e) => e.target !== null).map((e) => e.id).sort());
      expect(await drawn('breaker')).toEqual(breaker.edges.filter((e) => e.target !== null).map((e) => e.id).sort());
      // Actual size: the drawing is as wide as it was laid out; "Fit to width" shrinks it to the box.
      const width = () => chart('connection').evaluate((svg) => Math.round(svg.getBoundingClientRect().width));
      const laidOut = Number(await chart('connection').getAttribute('width'));
      expect(await width()).toBe(laidOut);
      await page.locator(`${detail(server)} [data-chart-box="connection"] button[data-action="fit"]`).click();
      expect(await width()).toBeLessThan(laidOut);
      await page.locator(`${detail(server)} [data-chart-box="connection"] button[data-action="fit"]`).click();
    }
    expect(await page.locator(`${detail('mem')} [data-field="protocol"]`).textContent()).toBe('2025-11-25 (legacy)');
    await shot(page, 'live-view-detail.png', true);
  });

  it('follows a killed stdio server through disconnected back to connected, counting down only while backing off', async () => {
    await page.goto(`${service.url}/#/server/fs`);
    await page.waitForSelector(lit('fs', 'connection', 'serverConnection.connected'));
    const pid = fixturePid(sb.getServer('fs')!.stderrTail);
    process.kill(pid, 'SIGKILL');
    expect(await waitGone(pid)).toBe(true);
    // The substate comes from /mcp/servers: backing off before the next attempt, with its countdown.
    await page.waitForSelector(lit('fs', 'connection', 'serverConnection.disconnected.backoff'), { timeout: 10_000 });
    await page.waitForFunction((sel) => /^retry in |^retrying…$/.test(document.querySelector(sel)?.textContent ?? ''), `${detail('fs')} [data-field="retry"]`);
    await shot(page, 'live-view-disconnected.png', true);
    await page.waitForSelector(lit('fs', 'connection', 'serverConnection.connected'), { timeout: 15_000 });
    // Once connecting, the countdown is gone (it said "next retry 2517 ms" while initializing before).
    expect(await page.locator(`${detail('fs')} [data-field="retry"]`).textContent()).toBe('—');
    const changes = await page.locator(`${detail('fs')} table.transitions tbody tr td:nth-child(3)`).allTextContents();
    expect(changes.slice(0, 3)).toEqual(['connecting → connected', 'disconnected → connecting', 'connected → disconnected']);
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '1', `${detail('fs')} [data-field="reconnects"]`, { timeout: 10_000 });
  });

  it('cancels a call made from the page: the server is told, the event says so and where it came from', async () => {
    const completed: { tool: string; errorCode?: string; source?: string }[] = [];
    const off = sb.on('call.completed', (e) => completed.push(e));
    try {
      await page.goto(`${service.url}/#/server/mem/tool/slow`);
      const form = page.locator('form.call-form[data-tool="slow"]');
      await form.waitFor();
      await form.locator('input[name="ms"]').fill('60000');
      await form.locator('input.timeout').fill('60000');
      await form.locator('button[data-action="call"]').click();
      await page.waitForSelector(`${detail('mem')} [data-field="running"]`);
      expect(await form.locator('button[data-action="call"]').isDisabled()).toBe(true);
      await form.locator('button[data-action="cancel"]').click();
      await page.waitForSelector(`${detail('mem')} [data-field="result"] [data-status="error"]`);
      expect(await page.locator(`${detail('mem')} [data-field="error"]`).textContent()).toMatch(/^Cancelled /);
      expect(await form.locator('button[data-action="cancel"]').count()).toBe(0);
      await until(() => completed.some((e) => e.tool === 'slow'), 10_000, 'the cancelled call to settle on the switchboard');
      expect(completed.find((e) => e.tool === 'slow')).toMatchObject({ errorCode: 'Cancelled', source: 'live-view' });
    } finally {
      off();
    }
  });

  it('shows a breaker opening after failing calls: in the row, the summary and the detail, with the calls listed without their arguments', async () => {
    await page.goto(`${service.url}/#/`);
    await page.waitForSelector(row('mem'));
    for (let i = 0; i < 6 && sb.getServer('mem')!.breaker!.state !== 'open'; i++) {
      await sb.callTool('slow', { ms: 1500, secretArgument: 'do-not-show-me' }, { server: 'mem', timeoutMs: 100 }).catch(() => undefined);
    }
    await until(() => sb.getServer('mem')!.breaker!.state === 'open', 10_000, 'the breaker of mem to open');
    await page.waitForSelector(`${row('mem')}[data-breaker="open"]`);
    // Problems first: an open breaker puts mem above fs.
    await page.waitForFunction(() => document.querySelector('tr.server-row')?.getAttribute('data-server') === 'mem');
    expect(await page.locator('[data-field="breakers"]').textContent()).toBe('1');
    await page.waitForSelector('#calls tbody tr[data-tool="slow"][data-server="mem"][data-outcome="ToolCallTimeout"]');
    await page.waitForSelector('#tools tbody tr[data-tool="mem__slow"][data-available="false"]');
    // The sparkline counts the calls.
    expect(Number(await page.locator(`${row('mem')} svg.spark`).getAttribute('data-calls'))).toBeGreaterThanOrEqual(2);
    await shot(page, 'live-view-breaker-open.png');
    await page.locator(`${row('mem')} a`).click();
    await page.waitForSelector(lit('mem', 'breaker', 'circuitBreaker.open'));
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '1', `${detail('mem')} [data-field="opens"]`);
    expect(await page.content()).not.toContain('do-not-show-me');
    // Reset from the page closes it again.
    await page.locator(`${detail('mem')} button[data-action="reset"]`).click();
    await page.waitForSelector(lit('mem', 'breaker', 'circuitBreaker.closed'));
    expect(await page.locator(`${detail('mem')} table.transitions tbody tr`).first().textContent()).toMatch(/breakeropen → closed/);
  });

  it('sends the token on every API request, never in a URL, and loads nothing from elsewhere', () => {
    expect(urls.length).toBeGreaterThan(3);
    for (const url of urls) {
      expect(url.startsWith(service.url), url).toBe(true);
      expect(url).not.toContain(TOKEN);
    }
    expect(errors).toEqual([]);
  });
});
