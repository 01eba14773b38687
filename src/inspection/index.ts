import type { InspectionEvent, Observer } from 'xstate';

/**
 * What inspection may see of the runtime (DESIGN §6): contexts, events and snapshots summarized.
 * The manager's context holds every server's catalog and `session.ready` carries a whole one: with
 * 5 000 tools each snapshot serialized for an inspector was megabytes, on every call. Here a
 * catalog is its count (`tools: 5000`), and the summary is bounded whatever the input: long lists
 * become their length, long strings their length, and depth, keys and nodes are capped; so the
 * work per event does not grow with any catalog. Secret-looking keys are masked.
 */

/** Keys whose values are masked whole: headers and env maps, and anything named like a credential. */
const SECRET_KEY = /^(headers|env)$|secret|token|passw|authorization|api[-_]?key|cookie|private[-_]?key|credential|bearer/i;
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

/** What one summary may still spend, and the switchboard's redactor for every string it keeps. */
type Budget = { nodes: number; redact?: ((text: string) => string) | undefined };

function summarize(value: unknown, key: string, depth: number, budget: Budget): unknown {
  if (key && SECRET_KEY.test(key)) return '***';
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.length > MAX_STRING ? `[${value.length} characters]` : budget.redact ? budget.redact(value) : value;
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
export function sanitizeContext(value: unknown, redact?: (text: string) => string): unknown {
  return summarize(value, '', 0, { nodes: MAX_NODES, redact });
}

/** An inspected event (its catalogs, inputs and long lists summarized as in `sanitizeContext`). */
export function sanitizeEvent(event: unknown, redact?: (text: string) => string): unknown {
  return sanitizeContext(event, redact);
}

/** A snapshot without its machinery, everything in it summarized (the context too). */
export function sanitizeSnapshot(snapshot: unknown, redact?: (text: string) => string): unknown {
  if (snapshot === null || typeof snapshot !== 'object') return { status: 'active' };
  const toJSON = (snapshot as { toJSON?: unknown }).toJSON;
  const json = (typeof toJSON === 'function' ? toJSON.call(snapshot) : snapshot) as Record<string, unknown>;
  const shallow: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(json)) if (!SNAPSHOT_SKIP.has(key) && typeof item !== 'function') shallow[key] = item;
  return sanitizeContext(shallow, redact);
}

/** Marks an observer that summarizes what it receives itself (the relay's), so it gets raw events. */
export const SUMMARIZES_ITSELF = Symbol.for('mcp-switchboard.inspect.summarizesItself');

/** Fields of an inspection event that are references or plain facts, passed on as they are. */
const AS_IS = new Set(['type', 'actorRef', 'sourceRef', 'rootId']);

/**
 * An inspection event whose every payload is summarized: the snapshot (a plain JSON summary,
 * without the machine), the event, an action and its params (a `sendTo` carries a whole catalog),
 * a microstep's transitions; every string kept goes through `redact` (the switchboard's: the
 * config's secret values, e.g. one a server echoes in its name). The actor refs stay as they are.
 * An inspector that serializes every snapshot (as `@statelyai/inspect` does before any sanitizer
 * of its own runs) then serializes summaries.
 */
export function summarizeInspectionEvent(event: InspectionEvent, redact?: (text: string) => string): InspectionEvent {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (AS_IS.has(key)) out[key] = value;
    else if (key === 'snapshot') out[key] = sanitizeSnapshot(value, redact);
    else if (key === '_transitions') out[key] = transitionsOf(value);
    else out[key] = sanitizeContext(value, redact);
  }
  // An inspector registering an actor reads its current snapshot from the ref itself.
  if (event.type === '@xstate.actor') out.actorRef = summarizingRef(event.actorRef, redact);
  return out as unknown as InspectionEvent;
}

/**
 * A microstep's transitions by name only (event, source and target state ids): the transition
 * objects reach every state node of the machine, and serializing a node builds its whole
 * definition, on every microstep.
 */
function transitionsOf(value: unknown): unknown {
  if (!Array.isArray(value)) return undefined;
  return value.slice(0, MAX_ITEMS).map((transition: { eventType?: unknown; source?: { id?: unknown }; target?: readonly { id?: unknown }[] }) => ({
    eventType: typeof transition?.eventType === 'string' ? transition.eventType : undefined,
    source: typeof transition?.source?.id === 'string' ? transition.source.id : undefined,
    target: Array.isArray(transition?.target) ? transition.target.map((node) => (typeof node?.id === 'string' ? node.id : undefined)) : undefined,
  }));
}

/** The actor ref with `getSnapshot()` answering a summary; everything else is the ref's own. */
function summarizingRef<T extends object>(ref: T, redact?: (text: string) => string): T {
  return new Proxy(ref, {
    get(target, key) {
      if (key === 'getSnapshot') return () => sanitizeSnapshot((target as { getSnapshot(): unknown }).getSnapshot(), redact);
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The embedder's `inspect` observer, fed summarized and redacted events (see
 * `summarizeInspectionEvent`); an observer marked `SUMMARIZES_ITSELF` is passed through unchanged.
 */
export function summarizingObserver(
  inspect: Observer<InspectionEvent> | ((event: InspectionEvent) => void),
  redact?: (text: string) => string,
): Observer<InspectionEvent> | ((event: InspectionEvent) => void) {
  if ((inspect as { [SUMMARIZES_ITSELF]?: boolean })[SUMMARIZES_ITSELF]) return inspect;
  // Inspection never breaks the runtime: an event that cannot be shown is skipped.
  const deliver = (send: (event: InspectionEvent) => void, event: InspectionEvent) => {
    try {
      send(summarizeInspectionEvent(event, redact));
    } catch {
      // The observer threw, or the event could not be summarized.
    }
  };
  if (typeof inspect === 'function') return (event) => deliver(inspect, event);
  return {
    next: (event) => deliver((e) => inspect.next?.(e), event),
    error: (error) => inspect.error?.(error),
    complete: () => inspect.complete?.(),
  };
}
