import { isSwitchboardError } from '../core/errors.js';
import type { ClusterContext } from './bus.js';
import { readEnvelope } from './envelope.js';

/**
 * Reload everywhere (DESIGN §16): after a reload is applied on one replica (any trigger: SIGHUP,
 * `POST /mcp/config/reload`, `--watch`), it publishes `{ hash, by }` on channel `reload`, where
 * `hash` is the sha256 of its config file's bytes. Every other replica reloads its OWN file and
 * applies it only when that file's hash is the published one; otherwise it logs a warning naming
 * both hashes (their first 12 characters) and keeps its config. Config text never travels through
 * Redis (it could carry stdio commands, and each replica's environment differs); only the hash
 * does. A reload done because of a message is not published again, so there is no echo.
 *
 * Rule one: publishing is fire-and-forget; with Redis down the reload stays local (a warning says
 * so) and nothing is queued for later.
 */

/** The channel reloads are published on. */
export const RELOAD_CHANNEL = 'reload';
/** The format of a reload message; messages of another format are ignored with a warning. */
export const RELOAD_FORMAT = 1;

/**
 * What `startClusterReload` needs of the replica's config reloader (`createConfigReloader` in
 * `src/server/configReload.ts` is one); described here so the cluster depends on no adapter.
 */
export interface ReloadSource {
  /** Reloads only when the file's bytes hash to `hash` (in turn with every other reload); says whether it did, and the file's own hash when not. */
  reloadMatching(hash: string): Promise<{ applied: true } | { applied: false; hash: string | undefined }>;
  /** Calls `listener` after each applied reload (its trigger, `cluster` for one a message asked for, and the file's hash); returns the unsubscribe. */
  onApplied(listener: (applied: { trigger: string; hash: string | undefined }) => void): () => void;
}

/** A message on `reload`. */
interface ReloadMessage {
  v: number;
  cluster: string;
  hash: string;
  by: string;
}

/** A running cluster reload; `stop()` unsubscribes. */
export interface ClusterReload {
  stop(): void;
}

/** The first 12 characters of a hash, as log lines name it. */
const short = (hash: string | undefined): string => (hash === undefined ? '(unreadable)' : hash.slice(0, 12));

/** Parses a message on `reload`; undefined (with the reason) when it is not one of ours. */
export function parseReloadMessage(text: string, clusterName: string): { message?: ReloadMessage; problem?: string } {
  const read = readEnvelope(text, RELOAD_FORMAT, clusterName);
  if ('problem' in read) return read;
  const m = read.value as Partial<ReloadMessage>;
  if (typeof m.hash !== 'string' || !/^[0-9a-f]{64}$/.test(m.hash) || typeof m.by !== 'string' || m.by === '') return { problem: 'missing hash or sender' };
  return { message: m as ReloadMessage };
}

/**
 * Joins this replica's reloads to the cluster's: publishes each reload it applies (unless it came
 * from the cluster) and follows the reloads the others publish.
 */
export function startClusterReload(ctx: ClusterContext, reloader: ReloadSource): ClusterReload {
  const offApplied = reloader.onApplied(({ trigger, hash }) => {
    // A reload another replica asked for is not published again: no echo loops.
    if (trigger === 'cluster') return;
    if (hash === undefined) {
      ctx.log('warn', 'cluster reload: the config file could not be hashed; the other replicas are not told', { trigger });
      return;
    }
    const message: ReloadMessage = { v: RELOAD_FORMAT, cluster: ctx.clusterName, hash, by: ctx.replicaId };
    ctx.bus.publish(RELOAD_CHANNEL, JSON.stringify(message)).then(
      () => ctx.log('info', 'cluster reload: published', { hash: short(hash), trigger }),
      (error: unknown) => ctx.log('warn', `cluster reload: not published (the other replicas keep their config): ${(error as Error)?.message ?? error}`, { hash: short(hash) }),
    );
  });

  const offMessages = ctx.bus.subscribe(RELOAD_CHANNEL, (text) => {
    const { message, problem } = parseReloadMessage(text, ctx.clusterName);
    if (!message) {
      ctx.log('warn', `cluster reload: a message was ignored (${problem})`);
      return;
    }
    if (message.by === ctx.replicaId) return;
    reloader.reloadMatching(message.hash).then(
      (outcome) => {
        if (outcome.applied) ctx.log('info', 'cluster reload: applied', { from: message.by, hash: short(message.hash) });
        else
          ctx.log('warn', `cluster reload: this replica's config file (${short(outcome.hash)}) differs from the one ${message.by} reloaded (${short(message.hash)}); keeping the running config`, {
            from: message.by,
            published: short(message.hash),
            own: short(outcome.hash),
          });
      },
      // A file that does not validate is already logged by the reloader (and the old config runs).
      // Only the code here: the message may quote the file, and the reloader logged it redacted.
      (error: unknown) => ctx.log('warn', `cluster reload: the reload ${message.by} asked for failed here`, { from: message.by, code: isSwitchboardError(error) ? error.code : 'InternalError' }),
    );
  });

  return {
    stop: () => {
      offApplied();
      offMessages();
    },
  };
}
