import type { Browser } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/core/logger.js';
import { serve, type Service } from '../../src/server/serve.js';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { clusterText } from '../../src/view/browser/cluster.js';
import { startRedis, stopAllRedis } from '../helpers/redis.js';
import { inMemoryServer } from '../helpers/switchboard.js';
import { HAVE_CHROMIUM, launch, login, openPage } from './browser.js';

/**
 * The cluster on the console (DESIGN §16, issue 24): a replica's summary strip shows its cluster's
 * name, the live replicas and the health leader, and turns into an alert when Redis is down (the
 * replica serves on local state) and back when it returns. A service without a cluster shows no
 * such tile. Two switchboards on a real redis-server, the page in Debian's Chromium.
 */

const TOKEN = 'view-cluster-token-0123456789';
const started: { sb: Switchboard; service: Service }[] = [];
let browser: Browser | undefined;

afterEach(async () => {
  for (const { sb, service } of started.splice(0)) {
    await service.close();
    await sb.stop();
  }
  await stopAllRedis();
});
afterAll(async () => {
  await browser?.close();
});

async function replica(cluster: Record<string, unknown> | undefined): Promise<{ sb: Switchboard; service: Service }> {
  const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } }, ...(cluster ? { cluster } : {}) } as never, { transports: { mem: inMemoryServer('mem') } });
  const service = await serve(sb, { port: 0, token: TOKEN, logger: createJsonLogger({ write: () => undefined }), logEvents: false });
  await service.started;
  started.push({ sb, service });
  return { sb, service };
}

describe('the cluster tile (pure)', () => {
  it('names the cluster, counts replicas, tells the leader and alerts when Redis is down', () => {
    const up = clusterText({ name: 'prod', redis: 'up', self: 'a', leader: 'a', replicas: [{ id: 'a', lastSeenMs: 10 }, { id: 'b', lastSeenMs: 400 }] });
    expect(up).toMatchObject({ value: 'prod', note: '2 replicas · leader: this replica', alert: false });
    expect(up.title).toContain('b seen 0.4 s ago');
    expect(clusterText({ name: 'prod', redis: 'up', self: 'a', leader: 'b', replicas: [{ id: 'a', lastSeenMs: 0 }] }).note).toBe('1 replica · leader: b');
    expect(clusterText({ name: 'prod', redis: 'down', self: 'a', leader: null, replicas: [] })).toMatchObject({ note: 'Redis down: serving on local state', alert: true });
  });
});

describe.skipIf(!HAVE_CHROMIUM)('the cluster on the console, in headless Chromium', () => {
  it('shows the cluster, its replicas and leader; Redis down is an alert, and it clears when Redis returns', async () => {
    const redis = await startRedis();
    const cluster = (id: string) => ({ redis: { url: redis.url, commandTimeoutMs: 200 }, name: 'console', replicaId: id, heartbeatMs: 100 });
    const a = await replica(cluster('replica-a'));
    await replica(cluster('replica-b'));
    browser ??= await launch();
    const { page, errors } = await openPage(browser);
    await login(page, a.service.url, TOKEN);
    expect(await page.evaluate(() => document.body.getAttribute('data-cluster'))).toBe('true');
    const tile = page.locator('[data-tile="cluster"]');
    await page.waitForFunction(() => /2 replicas · leader: /.test(document.querySelector('[data-note="cluster"]')?.textContent ?? ''));
    expect(await tile.isVisible()).toBe(true);
    expect(await page.locator('[data-field="cluster"]').textContent()).toBe('console');
    expect(await tile.getAttribute('class')).not.toContain('alert');

    await redis.kill();
    await page.waitForFunction(() => document.querySelector('[data-note="cluster"]')?.textContent === 'Redis down: serving on local state');
    expect(await tile.getAttribute('class')).toContain('alert');
    await redis.restart();
    await page.waitForFunction(() => /replicas? · leader/.test(document.querySelector('[data-note="cluster"]')?.textContent ?? ''), undefined, { timeout: 15_000 });
    expect(await tile.getAttribute('class')).not.toContain('alert');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows no cluster tile on a service without a cluster', async () => {
    const solo = await replica(undefined);
    browser ??= await launch();
    const { page, errors, urls } = await openPage(browser);
    await login(page, solo.service.url, TOKEN);
    await page.waitForSelector('tr.server-row[data-server="mem"]');
    // The page is not marked as a replica's, asks nothing of /mcp/cluster and keeps the tile hidden.
    await page.waitForFunction(() => document.body.getAttribute('data-history') !== null);
    expect(await page.evaluate(() => document.body.getAttribute('data-cluster'))).toBeNull();
    expect(await page.locator('[data-tile="cluster"]').isHidden()).toBe(true);
    expect(urls.filter((u) => u.includes('/mcp/cluster'))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
