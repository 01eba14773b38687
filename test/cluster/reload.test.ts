import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClusterContext } from '../../src/cluster/bus.js';
import { MemoryEngine, type MemoryBus } from '../../src/cluster/memoryBus.js';
import { RELOAD_CHANNEL, startClusterReload, type ClusterReload } from '../../src/cluster/reload.js';
import { createConfigReloader, type ConfigReloader, type ReloadTrigger } from '../../src/server/configReload.js';
import type { Switchboard } from '../../src/switchboard/switchboard.js';

/**
 * Reload everywhere (DESIGN §16): three replicas, each with its own config file and reloader, on
 * an in-memory engine. A reload on one publishes the hash of its file's bytes; the others reload
 * their own file only when its hash matches; nothing is echoed; config text never reaches Redis.
 */

interface Replica {
  id: string;
  file: string;
  bus: MemoryBus;
  reloader: ConfigReloader;
  cluster: ClusterReload;
  /** The file content each applied reload read (what the fake switchboard applied). */
  applied: string[];
  logs: { level: string; message: string; fields?: Record<string, unknown> }[];
}

const YAML = 'servers:\n  api: { url: "https://api.example/mcp" }\n';
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

let dir: string;
let engine: MemoryEngine;
let replicas: Replica[] = [];

function replica(id: string, content = YAML): Replica {
  const file = join(dir, `${id}.yaml`);
  writeFileSync(file, content);
  const applied: string[] = [];
  const logs: Replica['logs'] = [];
  // A switchboard that "applies" a config by reading the file, as `sb.reload({ configPath })` does.
  const sb = {
    reload: async ({ configPath }: { configPath: string }) => {
      // A real reload does I/O: yield to the loop (an echo loop then shows up as more publishes, not a hang).
      await new Promise((r) => setImmediate(r));
      applied.push(readFileSync(configPath, 'utf8'));
      return { added: [], removed: [], changed: ['api'], unchanged: [] };
    },
    redact: (text: string) => text,
  } as unknown as Switchboard;
  const log = (level: string, message: string, fields?: Record<string, unknown>) => logs.push({ level, message, ...(fields ? { fields } : {}) });
  const reloader = createConfigReloader(sb, { configPath: file, logger: { log } });
  const bus = engine.bus('switchboard:test:');
  const ctx: ClusterContext = { bus, replicaId: id, clusterName: 'test', now: () => Date.now(), log };
  const r: Replica = { id, file, bus, reloader, cluster: startClusterReload(ctx, reloader), applied, logs };
  replicas.push(r);
  return r;
}

function setUp(contents: string[] = [YAML, YAML, YAML]): Replica[] {
  dir = mkdtempSync(join(tmpdir(), 'sb-cluster-reload-'));
  engine = new MemoryEngine(() => Date.now());
  return contents.map((content, i) => replica(String.fromCharCode(97 + i), content));
}

/** Lets queued messages and reloads settle (a few rounds of microtasks and I/O). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

const warnings = (r: Replica) => r.logs.filter((l) => l.level === 'warn').map((l) => l.message);

afterEach(async () => {
  for (const r of replicas) {
    r.cluster.stop();
    await r.bus.close();
  }
  replicas = [];
  rmSync(dir, { recursive: true, force: true });
});

describe('cluster reload', () => {
  it.each<ReloadTrigger>(['http', 'SIGHUP', 'watch'])('applies a %s reload on every replica whose file has the same bytes', async (trigger) => {
    const [a, b, c] = setUp();
    const next = YAML + 'gateway: {}\n';
    for (const r of [a, b, c]) writeFileSync(r!.file, next);
    await a!.reloader.reload(trigger);
    await vi.waitFor(() => expect([b, c].map((r) => r!.applied.length)).toEqual([1, 1]), { timeout: 2000 });
    expect(b!.applied).toEqual([next]);
    expect(b!.reloader.appliedHash()).toBe(sha(next));
    expect(b!.logs.find((l) => l.message === 'config reloaded')?.fields?.trigger).toBe('cluster');
  });

  it('publishes once: a replica that reloaded because of a message does not publish again', async () => {
    const [a, b, c] = setUp();
    await a!.reloader.reload('http');
    await vi.waitFor(() => expect([b, c].map((r) => r!.applied.length)).toEqual([1, 1]), { timeout: 2000 });
    await settle();
    expect(engine.commands.get('publish')).toBe(1);
    expect(a!.applied).toHaveLength(1);
    expect([a, b, c].map((r) => r!.applied.length)).toEqual([1, 1, 1]);
  });

  it('keeps the running config where the file differs, with a warning naming both hashes', async () => {
    const other = YAML.replace('api.example', 'api.other');
    const [a, b, c] = setUp([YAML, YAML, other]);
    await a!.reloader.reload('http');
    await vi.waitFor(() => expect(b!.applied).toHaveLength(1), { timeout: 2000 });
    await vi.waitFor(() => expect(warnings(c!)).toHaveLength(1), { timeout: 2000 });
    expect(c!.applied).toEqual([]);
    expect(warnings(c!)[0]).toBe(
      `cluster reload: this replica's config file (${sha(other).slice(0, 12)}) differs from the one a reloaded (${sha(YAML).slice(0, 12)}); keeping the running config`,
    );
    expect(c!.reloader.appliedHash()).toBe(sha(other));
  });

  it('never puts config text into Redis: only the hash travels', async () => {
    const [a] = setUp();
    const sent: string[] = [];
    a!.bus.subscribe(RELOAD_CHANNEL, (m) => sent.push(m));
    await a!.reloader.reload('http');
    await vi.waitFor(() => expect(sent).toHaveLength(1), { timeout: 2000 });
    expect(JSON.parse(sent[0]!)).toEqual({ v: 1, cluster: 'test', hash: sha(YAML), by: 'a' });
    expect(sent[0]).not.toContain('api.example');
    expect(JSON.stringify(engine.dump())).not.toContain('api.example');
  });

  it('reloads locally while Redis is down, says so, and queues nothing for later', async () => {
    const [a, b] = setUp();
    engine.setDown(true);
    await a!.reloader.reload('http');
    expect(a!.applied).toHaveLength(1);
    await vi.waitFor(() => expect(warnings(a!).some((w) => w.startsWith('cluster reload: not published'))).toBe(true), { timeout: 2000 });
    engine.setDown(false);
    await settle();
    expect(b!.applied).toEqual([]);
  });

  it('ignores messages that do not parse, of another cluster or format, with a warning', async () => {
    const [a, b] = setUp();
    const good = { v: 1, cluster: 'test', hash: sha(YAML), by: 'a' };
    for (const text of ['nope', JSON.stringify({ ...good, cluster: 'prod' }), JSON.stringify({ ...good, v: 2 }), JSON.stringify({ ...good, hash: 'abc' })]) await a!.bus.publish(RELOAD_CHANNEL, text);
    await vi.waitFor(() => expect(warnings(b!)).toHaveLength(4), { timeout: 2000 });
    expect(warnings(b!)).toEqual([
      'cluster reload: a message was ignored (not JSON)',
      'cluster reload: a message was ignored (another cluster name)',
      'cluster reload: a message was ignored (format 2 (this replica reads 1))',
      'cluster reload: a message was ignored (missing hash or sender)',
    ]);
    expect(b!.applied).toEqual([]);
  });
});
