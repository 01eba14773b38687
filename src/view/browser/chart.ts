/// <reference lib="dom" />
import { METRICS, type PlacedChart, type Point } from './layout.js';

/**
 * Draws a placed statechart as SVG: states as rounded boxes (compound ones around their
 * children, parallel regions dashed), the initial child marked with a dot, transitions as arrows
 * with their events on them (guards in the arrow's tooltip), targetless transitions listed inside their state. The
 * current state is shown by `setActive` with a class and `data-active`, and is also said in the
 * chart's accessible name, since colour alone says nothing to a screen reader.
 */

const SVG = 'http://www.w3.org/2000/svg';
let markerSeq = 0;

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function pathOf(points: Point[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ');
}

/** A fresh SVG of `chart`; `title` names it (e.g. "connection of fs"). */
export function renderChart(chart: PlacedChart, title: string, kind: string): SVGSVGElement {
  const svg = el('svg', { viewBox: `0 0 ${chart.width} ${chart.height}`, width: chart.width, height: chart.height, class: 'chart', role: 'img', 'data-chart': kind });
  svg.append(el('title', {}, title));
  const marker = `arrow-${++markerSeq}`;
  const defs = el('defs');
  const m = el('marker', { id: marker, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  m.append(el('path', { d: 'M0 0 L10 5 L0 10 z', class: 'arrowhead' }));
  defs.append(m);
  svg.append(defs);

  const parents = new Map(chart.nodes.map((n) => [n.node.id, n.node.parent]));
  const typeOf = new Map(chart.nodes.map((n) => [n.node.id, n.node.type]));
  const initials = new Set(chart.graph.nodes.map((n) => n.initial).filter((id): id is string => id !== null));

  const states = el('g', { class: 'states' });
  for (const placed of chart.nodes) {
    const { node } = placed;
    const region = typeOf.get(node.parent ?? '') === 'parallel';
    const g = el('g', { class: `state ${node.type}${region ? ' region' : ''}`, 'data-state-id': node.id, 'data-state': node.key });
    if (node.description) g.append(el('title', {}, `${node.key}: ${node.description}`));
    g.append(el('rect', { x: placed.x, y: placed.y, width: placed.width, height: placed.height, rx: 7, class: 'box' }));
    const tx = placed.x + METRICS.pad;
    let ty = placed.y + METRICS.pad + METRICS.title - 2;
    g.append(el('text', { x: tx, y: ty, class: 'name' }, node.key));
    for (const line of placed.internal) {
      ty += METRICS.lineHeight;
      g.append(el('text', { x: tx, y: ty, class: 'internal' }, line));
    }
    if (initials.has(node.id) && parents.get(node.id) !== null) {
      const cy = placed.y + 10;
      g.append(el('circle', { cx: placed.x - 9, cy, r: 3.5, class: 'initial' }));
      g.append(el('path', { d: `M${placed.x - 6} ${cy} L${placed.x - 1} ${cy}`, class: 'initial-line' }));
    }
    states.append(g);
  }
  svg.append(states);

  const edges = el('g', { class: 'edges' });
  for (const placed of chart.edges) {
    if (placed.points.length < 2) continue;
    const kinds = [...new Set(placed.edges.map((e) => e.kind))].join(' ');
    const g = el('g', { class: `edge ${kinds}`, 'data-edges': placed.edges.map((e) => e.id).join(' '), 'data-source': placed.source, 'data-target': placed.target });
    // The full labels, guards included, as the arrow's tooltip.
    g.append(el('title', {}, placed.edges.map((e) => e.label).join('\n')));
    g.append(el('path', { d: pathOf(placed.points), class: 'line', 'marker-end': `url(#${marker})` }));
    const label = placed.label;
    if (label) {
      g.append(el('rect', { x: label.x, y: label.y, width: label.width, height: label.height, rx: 3, class: 'label-bg' }));
      label.lines.forEach((line, i) => g.append(el('text', { x: label.x + 3, y: label.y + (i + 1) * METRICS.labelHeight - 3.5, class: 'label' }, line)));
    }
    edges.append(g);
  }
  svg.append(edges);
  return svg;
}

/**
 * Lights the states in `active` (ids; their ancestors below the root are marked "within"), and names the
 * current state in the chart's label. Returns whether anything changed.
 */
export function setActive(svg: SVGSVGElement, active: readonly string[], label: string): boolean {
  const lit = new Set(active);
  const within = new Set<string>();
  // Ancestors below the root: the root (the machine itself) always contains the current state.
  for (const id of active) for (let i = id.lastIndexOf('.'); i > 0; i = id.lastIndexOf('.', i - 1)) if (id.slice(0, i).includes('.')) within.add(id.slice(0, i));
  const before = svg.getAttribute('data-current');
  const current = active.join(' ');
  for (const g of svg.querySelectorAll<SVGGElement>('g.state')) {
    const id = g.getAttribute('data-state-id')!;
    g.classList.toggle('active', lit.has(id));
    g.classList.toggle('within', within.has(id) && !lit.has(id));
    g.setAttribute('data-active', String(lit.has(id)));
  }
  svg.setAttribute('data-current', current);
  svg.setAttribute('aria-label', label);
  return before !== current;
}
