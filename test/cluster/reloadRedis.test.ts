import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createRedisBus, type RedisBus } from '../../src/cluster/redisBus.js';
import { startClusterReload, type ClusterReload } from '../../src/cluster/reload.js';
import { createConfigReloader, type ConfigReloader } from '../../src/server/configReload.js';
import type { Switchboard } from '../../src/switchboard/switchboard.js';
import { startRedis, stopAllRedis } from '../helpers/redis.js';

/**
 * Reload everywhere on a real redis-server: three replicas (own files, own reloaders) in one
 * process; a reload on one reaches the two others within a few ms, a differing file refuses it,
 * and Redis holds no config text afterwards.
 */

const YAML = 'servers:\n  api: { url: "https://api.example/mcp" }\n';
let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(stopAllRedis);

interface Replica {
  reloader: ConfigReloader;
  applied: string[];
  warnings: string[];
  bus: RedisBus;
}

async function replica(url: string, id: string, content: string): Promise<Replica> {
  const file = join(dir, `${id}.yaml`);
  writeFileSync(file, content);
  const applied: string[] = [];
  const warnings: string[] = [];
  const sb = { reload: async ({ configPath }: { configPath: string }) => (applied.push(readFileSync(configPath, 'utf8')), { added: [], removed: [], changed: [], unchanged: ['api'] }), redact: (t: string) => t } as unknown as Switchboard;
  const log = (level: string, message: string) => (level === 'warn' ? warnings.push(message) : undefined);
  const reloader = createConfigReloader(sb, { configPath: file, logger: { log } });
  const bus = await createRedisBus({ url, keyPrefix: 'switchboard:', clusterName: 'reload-test', commandTimeoutMs: 250, secrets: [] });
  const cluster: ClusterReload = startClusterReload({ bus, replicaId: id, clusterName: 'reload-test', now: () => performance.now(), log }, reloader);
  cleanups.push(async () => {
    cluster.stop();
    await bus.close();
  });
  return { reloader, applied, warnings, bus };
}

describe('cluster reload on Redis', () => {
  it('reaches every replica with the same bytes, and only those', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-reload-redis-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const redis = await startRedis();
    const other = YAML.replace('api.example', 'api.other');
    const [a, b, c] = [await replica(redis.url, 'a', YAML), await replica(redis.url, 'b', YAML), await replica(redis.url, 'c', other)];
    await vi.waitFor(() => expect([a, b, c].every((r) => r!.bus.up)).toBe(true), { timeout: 5000, interval: 10 });
    // The subscriptions are ready once a message goes round: a junk one, ignored with a warning.
    await vi.waitFor(
      async () => {
        await a!.bus.publish('reload', 'ready?');
        expect(b!.warnings.length > 0 && c!.warnings.length > 0).toBe(true);
      },
      { timeout: 5000, interval: 20 },
    );
    await new Promise((r) => setImmediate(r));
    for (const r of [a, b, c]) r!.warnings.length = 0;
    const started = performance.now();
    await a!.reloader.reload('http');
    await vi.waitFor(() => expect(b!.applied).toHaveLength(1), { timeout: 2000, interval: 1 });
    const reached = performance.now() - started;
    await vi.waitFor(() => expect(c!.warnings.some((w) => w.includes('differs from the one a reloaded'))).toBe(true), { timeout: 2000, interval: 5 });
    expect(c!.applied).toEqual([]);
    expect(a!.applied).toHaveLength(1);
    const keys = await a!.bus.get('reload');
    expect(keys).toBeNull();
    console.log(`redis: a reload on one replica applied on another after ${reached.toFixed(1)} ms`);
  });
});
