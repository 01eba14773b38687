import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildView } from '../../src/view/build.mjs';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { inMemoryServer, stdioServer } from '../helpers/switchboard.js';
import { startViewHarness, type ViewHarness } from './harness.js';

/**
 * The live view's server card shows the protocol of the server's session (DESIGN §14, §15):
 * `2025-11-25 (legacy)` once connected, `—` for a server that never connected.
 */

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'view-protocol-token-7c2d';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe.skipIf(!existsSync(CHROMIUM))('live view: protocol on the card', () => {
  let assets: string;
  let sb: Switchboard;
  let harness: ViewHarness;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const protocolOf = (server: string) => page.locator(`article.card[data-server="${server}"] [data-field="protocol"]`);

  beforeAll(async () => {
    assets = mkdtempSync(join(tmpdir(), 'view-assets-'));
    await buildView(assets);
    sb = createSwitchboard(
      { servers: { fs: stdioServer('fs'), off: stdioServer('off', undefined, { enabled: false }) }, defaults: { health: { intervalMs: 0 }, timeouts: { shutdownMs: 1000 } } },
      { transports: { mem: inMemoryServer('mem') } },
    );
    await sb.start();
    harness = await startViewHarness(sb, TOKEN, assets);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  });

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    await sb?.stop();
    if (assets) rmSync(assets, { recursive: true, force: true });
  });

  it('shows the era and version of each connected server and a dash for one never connected', async () => {
    await page.goto(harness.url);
    await page.locator('#token').fill(TOKEN);
    await page.keyboard.press('Enter');
    for (const server of ['fs', 'mem']) {
      await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '2025-11-25 (legacy)', `article.card[data-server="${server}"] [data-field="protocol"]`, { timeout: 15_000 });
    }
    expect(await protocolOf('off').textContent()).toBe('—');
    // The term beside it names the fact.
    expect(await page.locator('article.card[data-server="fs"] dt', { hasText: 'protocol' }).count()).toBe(1);
  });

  it('keeps showing it through a reconnect', async () => {
    sb.reconnect('fs');
    await page.waitForFunction((sel) => /→ connected/.test(document.querySelector(sel)?.textContent ?? ''), 'article.card[data-server="fs"] .trail li:first-child', { timeout: 15_000 });
    expect(await protocolOf('fs').textContent()).toBe('2025-11-25 (legacy)');
    expect(pageErrors).toEqual([]);
  });
});
