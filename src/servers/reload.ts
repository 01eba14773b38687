import type { ResolvedServer } from '../config/schema.js';
import type { RegisteredServer } from './record.js';

/**
 * Config reload (DESIGN §13): the diff between the servers that run and a new config, by server.
 * A server whose resolved config (defaults merged, variables expanded) is the same is unchanged and
 * is not touched: same process, same session, same breaker. Servers given only as a transport in
 * code are not part of any config file and stay as they are.
 */

/** What a reload did, by server name. */
export interface ReloadResult {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
}

/** JSON with object keys sorted, so two equal configs compare equal whatever their key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    return Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/** Compares the registered config servers with the servers of a new config. */
export function diffServers(current: readonly RegisteredServer[], next: Readonly<Record<string, ResolvedServer>>): ReloadResult {
  const result: ReloadResult = { added: [], removed: [], changed: [], unchanged: [] };
  const running = new Map(current.filter((s) => s.config.transport !== 'custom').map((s) => [s.name, s]));
  for (const [name, server] of Object.entries(next)) {
    const old = running.get(name);
    if (!old) result.added.push(name);
    else if (stableJson(old.config) === stableJson(server)) result.unchanged.push(name);
    else result.changed.push(name);
    running.delete(name);
  }
  result.removed.push(...running.keys());
  return result;
}
