import { createInspector } from '@statelyai/inspect';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { sanitizeEvent, sanitizeSnapshot } from '../inspection/index.js';

export { sanitizeContext, sanitizeEvent } from '../inspection/index.js';

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

/** The message format version of the installed `@statelyai/inspect` (its inspector reads `_version`). */
const VERSION = (() => {
  let version = '0';
  createInspector({ send: (event: unknown) => void (version = String((event as { _version?: unknown })._version ?? version)) }).actor('version-probe');
  return version;
})();

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
