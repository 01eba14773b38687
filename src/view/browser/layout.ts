/// <reference lib="dom" />
import ElkModule from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { GraphEdge, GraphNode, MachineGraph } from '../graph.js';

/**
 * Places a statechart with ELK's layered algorithm. ELK lays out nested (compound) nodes and
 * edges that cross their borders in one pass (`hierarchyHandling: INCLUDE_CHILDREN`), which a
 * statechart needs: `server.reconnect` leaves the compound `disconnected`, `session.lost` leaves
 * the parallel `connected` for `disconnected.backoff`. Coordinates come back relative to each
 * node's parent (edges: to their `container`); they are made absolute here.
 */

export interface Point {
  x: number;
  y: number;
}

/** A placed state: absolute box, its title and the transitions without a target listed inside it. */
export interface PlacedNode {
  node: GraphNode;
  x: number;
  y: number;
  width: number;
  height: number;
  depth: number;
  internal: string[];
}

/** One arrow: every transition from `source` to `target`, a label line each. */
export interface PlacedEdge {
  edges: GraphEdge[];
  source: string;
  target: string;
  points: Point[];
  label: { lines: string[]; x: number; y: number; width: number; height: number } | null;
}

export interface PlacedChart {
  graph: MachineGraph;
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

/** Text metrics of the chart (px); the stylesheet draws with the same sizes. */
export const METRICS = { title: 14, line: 11, label: 12, lineHeight: 14, pad: 9, labelHeight: 15 };

/** Width of `text` at `size` px, measured with the page's font (canvas 2D, no network). */
export type Measure = (text: string, size: number, bold?: boolean) => number;

/** The label on an arrow: the trigger without its guard (the full label is the arrow's tooltip). */
export function shortLabel(edge: GraphEdge): string {
  return edge.guard ? edge.label.slice(0, edge.label.length - edge.guard.length - 3) : edge.label;
}

export function canvasMeasure(): Measure {
  const context = document.createElement('canvas').getContext('2d');
  const family = getComputedStyle(document.body).fontFamily || 'system-ui, sans-serif';
  return (text, size, bold = false) => {
    if (!context) return text.length * size * 0.6;
    context.font = `${bold ? '600 ' : ''}${size}px ${family}`;
    return context.measureText(text).width;
  };
}

// The package is CommonJS: its constructor is `module.exports`, also set as `.default` (what the types name).
const elk = new ElkModule.default();

/** ELK options of the chart and of every compound state (some are read per hierarchy level). */
const LAYOUT: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.direction': 'RIGHT',
  'elk.edgeRouting': 'ORTHOGONAL',
  // Depth-first cycle breaking keeps the written order of states left to right (disconnected →
  // connecting → connected → error; closed → open → half-open). ELK 0.12's model-order options
  // crash on nested graphs, so they are not used.
  'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
  'elk.spacing.nodeNode': '12',
  'elk.layered.spacing.nodeNodeBetweenLayers': '16',
  'elk.spacing.edgeLabel': '2',
  'elk.spacing.edgeNode': '6',
  'elk.spacing.edgeEdge': '4',
  'elk.layered.spacing.edgeNodeBetweenLayers': '6',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '4',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
};

/** Lays out `graph` (every state of the machine, the root included); `extra` ELK options go on top of LAYOUT (defaults to none). */
export async function layoutChart(graph: MachineGraph, measure: Measure, extra: Record<string, string> = {}): Promise<PlacedChart> {
  const internal = new Map<string, string[]>();
  for (const e of graph.edges) {
    if (e.target !== null) continue;
    const list = internal.get(e.source) ?? [];
    if (!list.includes(shortLabel(e))) list.push(shortLabel(e));
    internal.set(e.source, list);
  }
  const children = new Map<string | null, GraphNode[]>();
  for (const n of graph.nodes) children.set(n.parent, [...(children.get(n.parent) ?? []), n]);

  const shared: Record<string, string> = { ...LAYOUT, ...extra };
  const headerOf = (n: GraphNode) => METRICS.pad + METRICS.title + 4 + (internal.get(n.id)?.length ?? 0) * METRICS.lineHeight;
  const widthOf = (n: GraphNode) =>
    Math.ceil(Math.max(measure(n.key, METRICS.title, true), ...(internal.get(n.id) ?? []).map((t) => measure(t, METRICS.line))) + 2 * METRICS.pad);

  const toElk = (n: GraphNode): ElkNode => {
    const kids = children.get(n.id) ?? [];
    if (kids.length === 0) return { id: n.id, width: widthOf(n), height: headerOf(n) + METRICS.pad - 4 };
    return {
      id: n.id,
      layoutOptions: {
        'elk.padding': `[top=${headerOf(n) + 6},left=${METRICS.pad + 4},bottom=${METRICS.pad + 4},right=${METRICS.pad + 4}]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${widthOf(n)}, ${headerOf(n) + 20})`,
        ...shared,
      },
      children: kids.map(toElk),
    };
  };

  // Transitions between the same two states share one arrow, one label line each: fewer,
  // narrower label dummies keep the layered layout compact.
  const groups = new Map<string, GraphEdge[]>();
  for (const e of graph.edges) {
    if (e.target === null) continue;
    const key = `${e.source}->${e.target}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const linesOf = (group: GraphEdge[]) => [...new Set(group.map(shortLabel))];
  const edges: ElkExtendedEdge[] = [...groups].map(([key, group]) => {
    const lines = linesOf(group);
    const width = Math.ceil(Math.max(...lines.map((t) => measure(t, METRICS.label)))) + 6;
    return { id: key, sources: [group[0]!.source], targets: [group[0]!.target!], labels: [{ id: `${key}#label`, text: lines.join('\n'), width, height: lines.length * METRICS.labelHeight }] };
  });

  const root = graph.nodes.find((n) => n.parent === null)!;
  const input: ElkNode = {
    id: '#chart',
    layoutOptions: { ...shared, 'elk.padding': '[top=4,left=4,bottom=4,right=4]' },
    children: [toElk(root)],
    edges,
  };
  const laid: ElkNode = await elk.layout(input);

  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const offsets = new Map<string, Point>([['#chart', { x: 0, y: 0 }]]);
  const nodes: PlacedNode[] = [];
  const walk = (elkNode: ElkNode, origin: Point, depth: number) => {
    for (const child of elkNode.children ?? []) {
      const at = { x: origin.x + (child.x ?? 0), y: origin.y + (child.y ?? 0) };
      offsets.set(child.id, at);
      const node = byId.get(child.id)!;
      nodes.push({ node, ...at, width: child.width ?? 0, height: child.height ?? 0, depth, internal: internal.get(child.id) ?? [] });
      walk(child, at, depth + 1);
    }
  };
  walk(laid, { x: 0, y: 0 }, 0);


  const placedEdges: PlacedEdge[] = (laid.edges ?? []).map((e) => {
    const container = (e as { container?: string }).container;
    const o = (container && offsets.get(container)) || { x: 0, y: 0 };
    const shift = (p: Point) => ({ x: p.x + o.x, y: p.y + o.y });
    const points = (e.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].map(shift));
    const l = e.labels?.[0];
    const group = groups.get(e.id)!;
    const label = l ? { lines: linesOf(group), x: (l.x ?? 0) + o.x, y: (l.y ?? 0) + o.y, width: l.width ?? 0, height: l.height ?? 0 } : null;
    return { edges: group, source: group[0]!.source, target: group[0]!.target!, points, label };
  });

  return { graph, width: Math.ceil(laid.width ?? 0), height: Math.ceil(laid.height ?? 0), nodes, edges: placedEdges };
}
