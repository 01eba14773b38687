import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActor, setup, type AnyActorRef } from 'xstate';
import { createInspection, type Inspection } from '../../src/server/inspector.js';
import { until } from '../helpers/switchboard.js';

/**
 * The inspector relay's bridge page in a real headless Chromium (Debian's, driven by
 * playwright-core). The hosted Stately inspector cannot load offline, so the page embeds a
 * stand-in on another local origin that does what the hosted one does with the bridge: it says
 * `@statelyai.connected` to its parent and keeps every message it is sent.
 */

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'bridge-admin-token-7a2c';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const STAND_IN = `<!doctype html><title>inspector stand-in</title><p id="count">0</p><script>
window.got = [];
window.addEventListener('message', (e) => {
  if (e.source !== window.parent || !e.data || typeof e.data.type !== 'string') return;
  window.got.push(e.data);
  document.getElementById('count').textContent = String(window.got.length);
});
window.parent.postMessage({ type: '@statelyai.connected' }, '*');
</script>`;

describe.skipIf(!existsSync(CHROMIUM))('inspector bridge page in headless Chromium', () => {
  let standIn: Server;
  let inspection: Inspection;
  let bridgeUrl: string;
  let browser: Browser;
  let page: Page;
  let actor: AnyActorRef;
  const pageErrors: string[] = [];
  const requested: string[] = [];

  const inspectorFrame = (): Frame | undefined => page.frames().find((f) => f.url().endsWith('/inspect'));
  const got = async () => (await inspectorFrame()?.evaluate(() => (window as unknown as { got: { type: string }[] }).got)) ?? [];

  beforeAll(async () => {
    standIn = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(STAND_IN));
    await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
    const inspectorUrl = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}/inspect`;
    inspection = createInspection();
    const machine = setup({}).createMachine({ id: 'toggle', initial: 'off', states: { off: { on: { flip: 'on' } }, on: { on: { flip: 'off' } } } });
    actor = createActor(machine, { inspect: inspection.inspect });
    actor.start();
    bridgeUrl = (await inspection.listen({ token: TOKEN, allowedOrigins: [], redact: (t) => t, inspectorUrl })).url;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) => requested.push(request.url()));
  });

  afterAll(async () => {
    await browser?.close();
    actor?.stop();
    await inspection?.close();
    await new Promise((resolve) => standIn?.close(resolve));
  });

  it('refuses a wrong token, then forwards the relay\'s history and live messages to the inspector frame', async () => {
    await page.goto(bridgeUrl);
    await page.fill('#token', 'not-the-token');
    await page.click('#login button[type=submit]');
    await page.waitForFunction(() => /refused/.test(document.getElementById('login-error')!.textContent ?? ''));
    expect(inspectorFrame()).toBeUndefined();

    await page.fill('#token', TOKEN);
    await page.click('#login button[type=submit]');
    await until(() => inspectorFrame() !== undefined, 10_000, 'the inspector frame');
    let messages: { type: string }[] = [];
    await until(() => {
      void got().then((m) => (messages = m));
      return messages.some((m) => m.type === '@xstate.actor') && messages.some((m) => m.type === '@xstate.snapshot');
    }, 10_000, 'the history in the inspector frame');
    const before = messages.length;
    actor.send({ type: 'flip' });
    await until(() => {
      void got().then((m) => (messages = m));
      return messages.length > before && messages.slice(before).some((m) => m.type === '@xstate.event');
    }, 10_000, 'a live event in the inspector frame');
    expect(Number(await page.textContent('#forwarded'))).toBe(messages.length);
    expect(Number(await page.textContent('#received'))).toBeGreaterThanOrEqual(messages.length);
    expect(pageErrors).toEqual([]);
    mkdirSync(join(process.cwd(), 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(process.cwd(), 'test-artifacts', 'inspector-bridge.png') });
  });

  it('keeps the token in sessionStorage only: never in a URL, reconnects on reload', async () => {
    expect(await page.evaluate(() => sessionStorage.getItem('mcp-switchboard.inspector-token'))).toBe(TOKEN);
    for (const url of [...requested, page.url()]) expect(url).not.toContain(TOKEN);
    await page.reload();
    await page.waitForFunction(() => Number(document.getElementById('forwarded')!.textContent) > 0);
    expect(await page.isHidden('#login')).toBe(true);
    await page.click('#forget');
    await page.waitForSelector('#login', { state: 'visible' });
    expect(await page.evaluate(() => sessionStorage.getItem('mcp-switchboard.inspector-token'))).toBeNull();
  });
});
