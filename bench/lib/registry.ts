import { benchEra, floorTarget, switchboardTarget, type Era, type Target } from './targets.js';

/**
 * Targets by name, per era (BENCH_ERA, default legacy). The names are the same in both eras so
 * the summaries compare each row with its own era's floor:
 *
 * - `floor`: legacy, a bare v1 SDK Client; modern, a bare v2 Client pinned to 2026-07-28.
 * - `switchboard`: legacy, the library's defaults (`protocol: auto`); modern, `protocol: '2026-07-28'`.
 * - `switchboard-auto` (modern): `protocol: 'auto'` against the same v2 server.
 * - `switchboard-legacy` (legacy, connect row): `protocol: '2025-11-25'`, the handshake without a probe.
 * - `switchboard-cluster` (legacy, cluster row): `switchboard` with a `cluster:` block on the
 *   redis-server of BENCH_REDIS_URL (DESIGN §16, §9.5).
 * - `sdk-auto` (modern, connect row): the v2 Client's own `auto` on its base stdio transport.
 * - `langchain`, `mastra`: loaded lazily from bench/peers (installed by the runner); in the modern
 *   rows only when the installed version can speak 2026-07-28 (none today, bench/lib/peers.ts).
 */
export async function loadTarget(name: string, era: Era = benchEra()): Promise<Target> {
  if (era === 'modern') return modernTarget(name);
  switch (name) {
    case 'floor':
      return floorTarget();
    case 'switchboard':
      return switchboardTarget(undefined, 'legacy');
    case 'switchboard-legacy':
      return switchboardTarget('2025-11-25', 'legacy');
    case 'switchboard-cluster': {
      // The cluster row (bench/lib/clusterRow.ts): the runner starts Redis and names it.
      const url = process.env.BENCH_REDIS_URL;
      if (!url) throw new Error('switchboard-cluster needs BENCH_REDIS_URL (the runner starts redis-server and sets it)');
      return switchboardTarget(undefined, 'legacy', { redis: { url }, name: 'bench' });
    }
    case 'langchain':
      return (await import('./peers.js')).langchainTarget();
    case 'mastra':
      return (await import('./peers.js')).mastraTarget();
    default:
      throw new Error(`unknown target ${name}`);
  }
}

async function modernTarget(name: string): Promise<Target> {
  switch (name) {
    case 'floor':
      return (await import('./targetsV2.js')).floorV2Target('pin');
    case 'sdk-auto':
      return (await import('./targetsV2.js')).floorV2Target('sdk-auto');
    case 'switchboard':
      return switchboardTarget('2026-07-28', 'modern');
    case 'switchboard-auto':
      return switchboardTarget('auto', 'modern');
    case 'langchain':
      return (await import('./peers.js')).langchainTarget();
    case 'mastra':
      // Only when the installed peer can speak 2026-07-28 (peers.ts `modernPeers`); the era is checked after connect.
      return (await import('./peers.js')).mastraTarget();
    default:
      throw new Error(`unknown target ${name} in the modern era`);
  }
}
