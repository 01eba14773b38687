import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { MAX_CONFIG_BYTES } from '../config/parse.js';
import { FileReadError, readRegularBytesSync } from '../config/readFile.js';
import { ConfigError, isSwitchboardError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ReloadResult } from '../servers/index.js';
import type { Switchboard } from '../switchboard/switchboard.js';

/**
 * Config reload for `serve` and `gateway` (DESIGN §13): one place that runs `sb.reload()` for
 * every trigger (SIGHUP, `POST /mcp/config/reload`, `--watch`), one at a time, and logs what each
 * did. A file that does not validate never stops what runs: the library refuses it (and emits
 * `config.rejected`), this logs every problem and the old config keeps serving.
 */

/** What asked for a reload; it is named in the log line. `cluster`: another replica reloaded (DESIGN §16). */
export type ReloadTrigger = 'SIGHUP' | 'http' | 'watch' | 'cluster';

/** One applied reload, as `onApplied` listeners hear of it. */
export interface AppliedReload {
  trigger: ReloadTrigger;
  /** sha256 (hex) of the config file's bytes read just before the reload; undefined when unreadable. */
  hash: string | undefined;
  result: ReloadResult;
}

/** What `reloadMatching` did: applied, or refused because the file's bytes differ. */
export type MatchingReload = { applied: true; result: ReloadResult } | { applied: false; hash: string | undefined };

/** Options of `createConfigReloader`. */
export interface ConfigReloaderOptions {
  /** The config file the switchboard was created from; every reload reads it again. */
  configPath: string;
  logger: Logger;
  /** Masks secrets in logged messages. Defaults to the switchboard's `redact`. */
  redact?: (text: string) => string;
  /** Called after each applied reload (e.g. to refresh what depends on the config). Defaults to none. */
  onReloaded?: (result: ReloadResult) => void;
}

/** Runs reloads of one switchboard from its config file. */
export interface ConfigReloader {
  /** Reloads now (after any reload already running); rejects with `ConfigError` for a bad file. */
  reload(trigger: ReloadTrigger): Promise<ReloadResult>;
  /** Like `reload`, for triggers nobody answers (signals, the watcher): failures are only logged. */
  reloadQuietly(trigger: ReloadTrigger): void;
  /**
   * Reloads (trigger `cluster`, in turn with every other reload) only when the sha256 of the
   * config file's bytes is `hash`; otherwise changes nothing and answers the file's own hash.
   */
  reloadMatching(hash: string): Promise<MatchingReload>;
  /** The hash of the file's bytes in force: of the last applied reload, else of the file when the reloader was created. */
  appliedHash(): string | undefined;
  /** Calls `listener` after each applied reload, whatever its trigger; returns the unsubscribe. */
  onApplied(listener: (applied: AppliedReload) => void): () => void;
}

/** sha256 (hex) of the file at `path`, read as a reload reads it; undefined when it cannot be read. */
export function hashConfigFile(path: string): string | undefined {
  try {
    return createHash('sha256').update(readRegularBytesSync(resolve(path), MAX_CONFIG_BYTES)).digest('hex');
  } catch {
    return undefined;
  }
}

/** Creates the reloader of `sb`, created from `options.configPath`. */
export function createConfigReloader(sb: Switchboard, options: ConfigReloaderOptions): ConfigReloader {
  const redact = options.redact ?? ((text: string) => sb.redact(text));
  // Reloads run one after the other: two at once would diff against a set that is changing.
  let chain: Promise<unknown> = Promise.resolve();
  // The switchboard was created from this file just before: its bytes now are the ones in force.
  let applied = hashConfigFile(options.configPath);
  const listeners = new Set<(applied: AppliedReload) => void>();
  const run = async (trigger: ReloadTrigger, hash = hashConfigFile(options.configPath)): Promise<ReloadResult> => {
    try {
      const result = await sb.reload({ configPath: options.configPath });
      applied = hash;
      options.logger.log('info', 'config reloaded', { trigger, file: options.configPath, ...result });
      options.onReloaded?.(result);
      for (const listener of [...listeners]) {
        try {
          listener({ trigger, hash, result });
        } catch (error) {
          options.logger.log('error', `a reload listener failed: ${redact(error instanceof Error ? error.message : String(error))}`, { trigger });
        }
      }
      return result;
    } catch (error) {
      if (error instanceof ConfigError) {
        const issues = error.issues.map((i) => ({ path: i.path, message: redact(i.message) }));
        options.logger.log('error', 'config rejected; the running config is unchanged', { trigger, file: options.configPath, issues });
      } else {
        const code = isSwitchboardError(error) ? error.code : 'InternalError';
        options.logger.log('error', `config reload failed: ${redact(error instanceof Error ? error.message : String(error))}`, { trigger, file: options.configPath, code });
      }
      throw error;
    }
  };
  const reload = (trigger: ReloadTrigger): Promise<ReloadResult> => {
    const next = chain.then(() => run(trigger));
    chain = next.catch(() => undefined);
    return next;
  };
  const reloadMatching = (hash: string): Promise<MatchingReload> => {
    const next = chain.then(async (): Promise<MatchingReload> => {
      const own = hashConfigFile(options.configPath);
      if (own !== hash) return { applied: false, hash: own };
      return { applied: true, result: await run('cluster', own) };
    });
    chain = next.catch(() => undefined);
    return next;
  };
  return {
    reload,
    reloadQuietly: (trigger) => void reload(trigger).catch(() => undefined),
    reloadMatching,
    appliedHash: () => applied,
    onApplied: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** How long `watchConfigFile` waits for a burst of writes to end. */
export const WATCH_DEBOUNCE_MS = 300;

/** A running watcher; `close()` stops it. */
export interface ConfigWatcher {
  close(): void;
}

/**
 * Calls `onChange` once a burst of changes to `path` has settled and its content differs from
 * the last content seen. Watches the file's directory, not the file: editors and tools that save
 * by writing a new file and renaming it over the old one (vim, VS Code, `sed -i`, atomic writers)
 * replace the inode a file watch would follow. Comparing content skips a `touch` and the second
 * event of a write that comes as two.
 */
export function watchConfigFile(path: string, onChange: () => void, options: { debounceMs?: number; logger?: Logger } = {}): ConfigWatcher {
  const file = resolve(path);
  const name = basename(file);
  // Read as the reload reads it (a regular file, bounded, never blocking the loop): a FIFO or
  // `/dev/zero` put at the path must not freeze the process, and SIGTERM with it.
  const digest = () => {
    try {
      return createHash('sha256').update(readRegularBytesSync(file, MAX_CONFIG_BYTES)).digest('hex');
    } catch (error) {
      // Missing for a moment (between an unlink and a rename): wait for the next event.
      if (!(error instanceof FileReadError) || error.code === 'ENOENT') return undefined;
      // Anything else that cannot be read is a change too: the reload refuses it and logs why.
      return `unreadable: ${error.code} ${error.reason}`;
    }
  };
  let last = digest();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settle = () => {
    timer = undefined;
    const now = digest();
    if (now === undefined || now === last) return;
    last = now;
    onChange();
  };
  let watcher: FSWatcher | undefined = watch(dirname(file), { persistent: false }, (_event, changed) => {
    // Some platforms do not say which file changed: check ours then.
    if (changed !== null && changed !== name) return;
    clearTimeout(timer);
    timer = setTimeout(settle, options.debounceMs ?? WATCH_DEBOUNCE_MS);
  });
  watcher.on('error', (error) => {
    options.logger?.log('error', `config watch stopped: ${error.message}`, { file });
    watcher?.close();
    watcher = undefined;
  });
  return {
    close: () => {
      clearTimeout(timer);
      watcher?.close();
      watcher = undefined;
    },
  };
}
