import { createInspector } from '@statelyai/inspect';
import type { AnyActorRef, InspectionEvent } from 'xstate';

/**
 * XState inspection events as the Stately inspector's messages (`@xstate.actor`, `@xstate.event`,
 * `@xstate.snapshot`), with every context, event and snapshot summarized first (DESIGN §6). The
 * manager's context holds every server's catalog and `session.ready` carries a whole one: with
 * 5 000 tools each snapshot serialized for the inspector was megabytes, on every call. Here a
 * catalog is its count (`tools: 5000`), and the summary is bounded whatever the input: long lists
 * become their length, long strings their length, and depth, keys and nodes are capped; so the
 * work per event does not grow with any catalog. Secret-looking keys are masked (the relay's
 * redactor also masks the config's secret values in every message it sends).
 */

const SECRET_KEY = /^(headers|env|token|authorization|password|secret|apikey|api_key|cookie)$/i;
/** Keys whose arrays are catalog lists: always shown as counts, whatever their length. */
const CATALOG_KEYS = new Set(['tools', 'resources', 'templates', 'resourceTemplates', 'prompts']);
/** A longer array (or set, map) is shown as its length. */
const MAX_ITEMS = 32;
/** A longer string is shown as `[N characters]` (not cut: a cut could split a secret the redactor would then miss). */
const MAX_STRING = 2048;
const MAX_KEYS = 64;
const MAX_DEPTH = 8;
/** Values summarized per message at most; past it, `…`. */
const MAX_NODES = 4000;
/** Snapshot keys that are machinery, not state (the machine, its nodes, history node lists). */
const SNAPSHOT_SKIP = new Set(['machine', '_nodes', 'historyValue']);

/** The message format version of the installed `@statelyai/inspect` (its inspector reads `_version`). */
const VERSION = (() => {
  let version = '0';
  createInspector({ send: (event: unknown) => void (version = String((event as { _version?: unknown })._version ?? version)) }).actor('version-probe');
  return version;
})();

type Budget = { nodes: number };

function summarize(value: unknown, key: string, depth: number, budget: Budget): unknown {
  if (key && SECRET_KEY.test(key)) return '***';
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.length > MAX_STRING ? `[${value.length} characters]` : value;
  if (typeof value === 'bigint') return String(value);
  if (typeof value !== 'object') return undefined;
  if (--budget.nodes < 0 || depth > MAX_DEPTH) return '…';
  if (Array.isArray(value)) {
    if (CATALOG_KEYS.has(key) || value.length > MAX_ITEMS) return value.length;
    return value.map((item) => summarize(item, '', depth + 1, budget) ?? null);
  }
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof Set) return value.size > MAX_ITEMS ? value.size : summarize([...value], key, depth, budget);
  if (value instanceof Map) return value.size > MAX_ITEMS ? value.size : summarize(Object.fromEntries(value), key, depth, budget);
  if (value instanceof Error) return { name: value.name, message: summarize(value.message, 'message', depth + 1, budget) };
  // Actor refs, dates, machine snapshots: their JSON form (a ref's is its id).
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return summarize(toJSON.call(value), key, depth, budget);
  const out: Record<string, unknown> = {};
  let keys = 0;
  for (const name in value) {
    if (!Object.hasOwn(value, name)) continue;
    if (++keys > MAX_KEYS) {
      out['…'] = 'more keys';
      break;
    }
    const item = summarize((value as Record<string, unknown>)[name], name, depth + 1, budget);
    if (item !== undefined) out[name] = item;
  }
  return out;
}

/**
 * Inspected context as the relay sends it: plain JSON, secret-looking keys masked, catalog lists
 * as counts (`{ tools: 5000 }`), and bounded in size whatever the context holds.
 */
export function sanitizeContext(value: unknown): unknown {
  return summarize(value, '', 0, { nodes: MAX_NODES });
}

/** An inspected event (its catalogs, inputs and long lists summarized as in `sanitizeContext`). */
export function sanitizeEvent(event: unknown): unknown {
  return sanitizeContext(event);
}

/** A snapshot without its machinery, everything in it summarized (the context too). */
function sanitizeSnapshot(snapshot: unknown): unknown {
  if (snapshot === null || typeof snapshot !== 'object') return { status: 'active' };
  const toJSON = (snapshot as { toJSON?: unknown }).toJSON;
  const json = (typeof toJSON === 'function' ? toJSON.call(snapshot) : snapshot) as Record<string, unknown>;
  const shallow: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(json)) if (!SNAPSHOT_SKIP.has(key) && typeof item !== 'function') shallow[key] = item;
  return sanitizeContext(shallow);
}

/** JSON that survives cycles and functions (machine definitions hold logic objects and functions). */
export function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'function') return { type: (item as { name?: string }).name || 'anonymous' };
    if (item !== null && typeof item === 'object') {
      if (seen.has(item)) return '[circular]';
      seen.add(item);
    }
    return item;
  });
}

/** Machine definitions serialized once per machine (every server's connection actor shares one). */
const definitions = new WeakMap<object, string>();

/** The machine config of an actor's logic (a callback or promise actor's is a function). */
const configOf = (actorRef: AnyActorRef): unknown => (actorRef as unknown as { logic?: { config?: unknown } }).logic?.config;

function definitionOf(actorRef: AnyActorRef): string {
  const config = configOf(actorRef);
  if (config === null || typeof config !== 'object') return safeJson({ id: actorRef.id });
  let text = definitions.get(config);
  if (text === undefined) definitions.set(config, (text = safeJson(config)));
  return text;
}

/** The Stately message of an inspection event, or null for kinds the inspector does not take. */
export function inspectionMessage(event: InspectionEvent): Record<string, unknown> | null {
  const actorRef = event.actorRef as AnyActorRef;
  const common = { sessionId: actorRef.sessionId, rootId: event.rootId, _version: VERSION, createdAt: Date.now().toString(), id: null };
  switch (event.type) {
    case '@xstate.actor': {
      const config = configOf(actorRef) as { id?: unknown } | undefined;
      const named = actorRef.id === actorRef.sessionId && config && typeof config === 'object' && typeof config.id === 'string' ? config.id : actorRef.id;
      return { type: event.type, name: named, definition: definitionOf(actorRef), parentId: actorRef._parent?.sessionId, snapshot: sanitizeSnapshot(actorRef.getSnapshot()), ...common };
    }
    case '@xstate.event':
      return { type: event.type, event: sanitizeEvent(event.event), sourceId: event.sourceRef?.sessionId, ...common };
    case '@xstate.snapshot':
      return { type: event.type, event: sanitizeEvent(event.event), snapshot: sanitizeSnapshot(event.snapshot), ...common };
    default:
      return null;
  }
}
