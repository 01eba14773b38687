import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * What the console's browser tests share: Debian's Chromium driven by playwright-core (no
 * browser download), the artifacts folder for screenshots, and logging in with the token.
 */

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

if (!HAVE_CHROMIUM) console.warn(`console browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

export async function launch(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/** A page that records its errors, console errors and every URL it requests. */
export async function openPage(browser: Browser, size = { width: 1280, height: 800 }): Promise<{ page: Page; errors: string[]; urls: string[] }> {
  const page = await browser.newPage({ viewport: size, colorScheme: 'light' });
  const errors: string[] = [];
  const urls: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('request', (r) => urls.push(r.url()));
  return { page, errors, urls };
}

/** Opens the console at `url`, types the token once and waits for the server rows and the service's history. */
export async function login(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('#login:not([hidden])');
  await page.locator('#token').fill(token);
  await page.keyboard.press('Enter');
  await page.waitForSelector('tr.server-row');
  await page.waitForSelector('body[data-history="loaded"]');
}

export const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: join(ARTIFACTS, name), fullPage });
