import type { AnyStateMachine } from 'xstate';

/**
 * A statechart as plain JSON, read from an XState v5 machine's own definition (`machine.root`
 * and its state nodes), so that the live view never repeats the shape of a machine by hand: a
 * state or transition added to `machines/*` shows up on the page by itself.
 */

/** One state node; `id` is XState's (`serverConnection.disconnected.backoff`). */
export interface GraphNode {
  id: string;
  /** The state's own name (`backoff`); the machine id for the root. */
  key: string;
  /** The id of the parent state, or null for the root. */
  parent: string | null;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** The id of the initial child of a compound state, else null. */
  initial: string | null;
  description: string | null;
  tags: string[];
  /** Named entry/exit actions (inline functions and XState's own delay scheduling are left out). */
  entry: string[];
  exit: string[];
  /** Ids of the actors invoked while in this state. */
  invoke: string[];
}

/** What makes a transition happen. */
export type GraphEdgeKind = 'event' | 'after' | 'always' | 'done' | 'error' | 'snapshot' | 'stateDone';

/** One transition (one edge per target; `target` null for a targetless, actions-only transition). */
export interface GraphEdge {
  /** Unique in the graph: `source`, event, the transition's index for that event, the target's index. */
  id: string;
  source: string;
  target: string | null;
  kind: GraphEdgeKind;
  /** The event as XState names it (`tool.call`, `xstate.after.retryDelay.<state id>`, `''` for always). */
  event: string;
  /** For `after`: the delay's name (`retryDelay`) or its milliseconds. */
  delay: string | number | null;
  /** The guard's name, or null when there is none. */
  guard: string | null;
  actions: string[];
  reenter: boolean;
  /** What the page prints on the edge: `server.reconnect`, `after retryDelay`, `always [isX]`, `done: session`. */
  label: string;
}

export interface MachineGraph {
  /** The machine id, also the id of the root node. */
  id: string;
  /** Every state node, parents before their children, in document order. */
  nodes: GraphNode[];
  /** Every transition, in document order per state. */
  edges: GraphEdge[];
}

/** The slice of XState's StateNode that this module reads (its runtime shape in v5). */
interface StateNodeLike {
  id: string;
  key: string;
  type: GraphNode['type'];
  description?: string;
  tags: string[];
  entry: unknown[];
  exit: unknown[];
  states: Record<string, StateNodeLike>;
  invoke: { id: string }[];
  initial?: { target: StateNodeLike[] };
  transitions: Map<string, TransitionLike[]>;
  always?: TransitionLike[];
}

interface TransitionLike {
  eventType: string;
  target?: StateNodeLike[];
  guard?: unknown;
  actions: unknown[];
  reenter: boolean;
  delay?: string | number;
}

/** Walks `machine.root` into nodes and edges; pure and cheap (call it once and cache the result). */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const visit = (node: StateNodeLike, parent: string | null) => {
    nodes.push({
      id: node.id,
      key: node.key,
      parent,
      type: node.type,
      initial: node.type === 'compound' ? (node.initial?.target[0]?.id ?? null) : null,
      description: node.description ?? null,
      tags: [...node.tags],
      entry: actionNames(node.entry),
      exit: actionNames(node.exit),
      invoke: node.invoke.map((i) => i.id),
    });
    for (const [descriptor, transitions] of node.transitions) addEdges(edges, node, descriptor, transitions);
    if (node.always) addEdges(edges, node, '', node.always);
    for (const child of Object.values(node.states)) visit(child, node.id);
  };
  visit(machine.root as unknown as StateNodeLike, null);
  return { id: machine.id, nodes, edges };
}

function addEdges(edges: GraphEdge[], source: StateNodeLike, descriptor: string, transitions: TransitionLike[]): void {
  transitions.forEach((t, index) => {
    const kind = kindOf(descriptor, t);
    const guard = guardName(t.guard);
    const base = {
      source: source.id,
      kind,
      event: descriptor,
      delay: kind === 'after' ? (t.delay ?? null) : null,
      guard,
      actions: actionNames(t.actions),
      reenter: t.reenter,
      label: labelOf(kind, descriptor, t, source, guard),
    };
    const targets = t.target && t.target.length > 0 ? t.target : [null];
    targets.forEach((target, i) => {
      edges.push({ id: `${source.id}|${descriptor || 'always'}|${index}|${i}`, target: target?.id ?? null, ...base });
    });
  });
}

function kindOf(descriptor: string, t: TransitionLike): GraphEdgeKind {
  if (descriptor === '') return 'always';
  if (t.delay !== undefined || descriptor.startsWith('xstate.after.')) return 'after';
  if (descriptor.startsWith('xstate.done.actor.')) return 'done';
  if (descriptor.startsWith('xstate.error.actor.')) return 'error';
  if (descriptor.startsWith('xstate.snapshot.')) return 'snapshot';
  if (descriptor.startsWith('xstate.done.state.')) return 'stateDone';
  return 'event';
}

function labelOf(kind: GraphEdgeKind, descriptor: string, t: TransitionLike, source: StateNodeLike, guard: string | null): string {
  const when = (() => {
    switch (kind) {
      case 'always':
        return 'always';
      case 'after':
        return typeof t.delay === 'number' ? `after ${t.delay} ms` : `after ${t.delay ?? '?'}`;
      case 'done':
        return `done: ${descriptor.slice('xstate.done.actor.'.length)}`;
      case 'error':
        return `error: ${descriptor.slice('xstate.error.actor.'.length)}`;
      case 'snapshot':
        return `snapshot: ${descriptor.slice('xstate.snapshot.'.length)}`;
      case 'stateDone':
        return descriptor === `xstate.done.state.${source.id}` ? 'done' : descriptor;
      default:
        return descriptor;
    }
  })();
  return guard ? `${when} [${guard}]` : when;
}

/** A guard's name: its string, its `type`, or a function's name (`and`/`or`/`not` guards show as such). */
function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name || 'guard';
  if (typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string') {
    const { type, params } = guard as { type: string; params?: unknown };
    // Static params tell same-named guards apart (`isChangingTo(open)` vs `isChangingTo(closed)`).
    const shown = params && typeof params === 'object' ? Object.values(params).filter((v) => ['string', 'number', 'boolean'].includes(typeof v)) : [];
    return shown.length > 0 ? `${type}(${shown.join(', ')})` : type;
  }
  return 'guard';
}

/** Named actions only: a string or a `{ type }`; inline functions (XState's delay scheduling among them) carry no name worth showing. */
function actionNames(actions: readonly unknown[]): string[] {
  const names: string[] = [];
  for (const action of actions) {
    if (typeof action === 'string') names.push(action);
    else if (action && typeof action === 'object' && typeof (action as { type?: unknown }).type === 'string') names.push((action as { type: string }).type);
  }
  return names;
}
