import type { Gateway } from '../gateway/index.js';
import type { Logger } from '../core/logger.js';
import { stableJson } from '../servers/index.js';
import { watchConfigFile, type ConfigReloader } from '../server/configReload.js';
import type { Switchboard } from '../switchboard/switchboard.js';

/** What `serve` and `gateway` share around a running switchboard: stop signals and reload triggers. */

/**
 * Resolves on the first SIGTERM or SIGINT; installed before anything starts, and kept until the
 * stop is done: `signal-exit` (used by the library) re-raises a signal when no other listener is
 * left, which would kill the process in the middle of its clean stop. A second signal exits at
 * once (the way out of a stuck stop).
 */
export function stopSignal(): { promise: Promise<string>; dispose(): void } {
  let resolve!: (signal: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  let received: string | undefined;
  const on = (signal: 'SIGTERM' | 'SIGINT') => () => {
    if (received) process.exit(signal === 'SIGINT' ? 130 : 143);
    received = signal;
    resolve(signal);
  };
  const onTerm = on('SIGTERM');
  const onInt = on('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  return {
    promise,
    dispose: () => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    },
  };
}

/**
 * Reloads on SIGHUP and, with `watch`, when the config file changes (debounced). Both only log a
 * bad file: the running config stays. Returns the function that removes both triggers. SIGHUP is
 * handled for the whole run (without a listener, the default action of SIGHUP ends the process).
 */
export function reloadTriggers(reloader: ConfigReloader, options: { configPath: string; watch: boolean; logger: Logger }): () => void {
  const onHup = () => {
    options.logger.log('info', 'signal received', { signal: 'SIGHUP', action: 'reload' });
    reloader.reloadQuietly('SIGHUP');
  };
  process.on('SIGHUP', onHup);
  const watcher = options.watch ? watchConfigFile(options.configPath, () => reloader.reloadQuietly('watch'), { logger: options.logger }) : undefined;
  if (watcher) options.logger.log('info', 'watching the config file', { file: options.configPath });
  return () => {
    process.off('SIGHUP', onHup);
    watcher?.close();
  };
}

/**
 * The `onReloaded` of a gateway's reloader: applies a changed `gateway.tools` filter, catalog mode or pins (which tells
 * every session its tools changed); an unchanged one is left alone, so a reload that touches only
 * servers sends only the list_changed those servers cause.
 */
export function followGatewayConfig(sb: Switchboard, gateway: Gateway): () => void {
  // The catalog mode and pins change what tools/list answers as the filter does.
  const listed = () => stableJson({ tools: sb.gatewayConfig.tools, catalog: sb.gatewayConfig.catalog, pinned: sb.gatewayConfig.pinned });
  let applied = listed();
  return () => {
    const next = listed();
    if (next === applied) return;
    applied = next;
    gateway.setToolFilter(sb.gatewayConfig.tools);
  };
}
