/**
 * The cluster row (DESIGN §9.5): with `cluster` configured and Redis up, a call costs what it
 * costs without it (p50 within 5 µs, CPU per call within 0.05×), and Redis sees at most one
 * command per 100 calls. The runner starts one `redis-server` (Debian's, on a free loopback port,
 * never 6379, nothing persisted; test/helpers/redis.ts) for the row and stops it at the end; the
 * targets are `switchboard` and `switchboard-cluster` (the same switchboard with a `cluster:`
 * block on that Redis), interleaved like every per-call row, the baseline being `switchboard`.
 *
 * Redis's commands are counted outside the measured process: `INFO stats`
 * (`total_commands_processed`) right before and right after each of the cluster target's
 * windows (`raw`), and over the time between its windows, while the other target measured and it
 * sat idle (`background`: heartbeats, the replica list, the health leader's lease). The table
 * (bench/lib/clusterTable.ts) reports `net` too: raw minus the background rate times the
 * windows' length, what the calls themselves caused.
 */
import { createClient } from 'redis';
import { startRedis, type TestRedis } from '../../test/helpers/redis.js';
import { CLUSTER_TARGET } from './clusterTable.js';
import type { Result } from './summary.js';
import type { Outcome, WindowHook } from './windows.js';

type RedisClient = ReturnType<typeof createClient>;

/** The row's Redis: its URL for the targets, a window hook that counts commands, and stop(). */
export interface ClusterRedis {
  url: string;
  /** Counts Redis's commands around each window of the cluster target (and between them). */
  counting(): WindowHook;
  stop(): Promise<void>;
}

/** Redis's own count of the commands it processed (INFO does not count itself, the next one does). */
async function processed(client: RedisClient): Promise<number> {
  const info = await client.info('stats');
  const match = /total_commands_processed:(\d+)/.exec(info);
  if (!match) throw new Error('INFO stats has no total_commands_processed');
  return Number(match[1]);
}

/**
 * Starts redis-server for the cluster row; `stop()` (and, if the runner dies first, its `exit`)
 * stops it. The counting connection is the runner's own; its INFO commands are subtracted.
 */
export async function startClusterRedis(): Promise<ClusterRedis> {
  const redis: TestRedis = await startRedis();
  // A runner killed mid-run still takes its Redis with it (a sync handler: 'exit' cannot wait).
  const onExit = (): void => {
    if (redis.pid) process.kill(redis.pid, 'SIGKILL');
  };
  process.on('exit', onExit);
  const client: RedisClient = createClient({ url: redis.url, disableOfflineQueue: true });
  client.on('error', () => undefined);
  await client.connect();
  return {
    url: redis.url,
    counting(): WindowHook {
      // The end of the cluster target's last window: the count and time then.
      let last: { count: number; at: number } | undefined;
      let idleCommands = 0;
      let idleMs = 0;
      return async (target, window): Promise<Outcome> => {
        if (target !== CLUSTER_TARGET) return window();
        const before = await processed(client);
        const started = performance.now();
        if (last) {
          // Minus one: the INFO that ended the last window.
          idleCommands += before - last.count - 1;
          idleMs += started - last.at;
        }
        const outcome = await window();
        const ended = performance.now();
        const after = await processed(client);
        last = { count: after, at: ended };
        if ('error' in outcome) return outcome;
        // Minus one: the INFO that started this window.
        const raw = after - before - 1;
        const windowMs = ended - started;
        const result: Result = { ...outcome, redisCommands: raw, windowMs };
        // The background rate so far (from the second window on: it needs one idle stretch).
        if (idleMs > 0) result.redisBackgroundPerSec = (idleCommands / idleMs) * 1000;
        return result;
      };
    },
    async stop() {
      process.off('exit', onExit);
      await client.quit().catch(() => undefined);
      await redis.stop();
    },
  };
}
