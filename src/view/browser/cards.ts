/// <reference lib="dom" />
import type { ServerStatus } from '../../servers/index.js';
import { renderChart, setActive } from './chart.js';
import type { PlacedChart } from './layout.js';

/**
 * One card per server: facts, both statecharts, the last transitions and the stderr tail. The
 * card is built once and then only its text and classes change, so keyboard focus on its buttons
 * survives every update.
 */

export interface CardCharts {
  connection: PlacedChart;
  breaker: PlacedChart;
}

export interface Card {
  element: HTMLElement;
  update(status: ServerStatus): void;
  /** Adds a line to the card's recent transitions ("connected → disconnected (connectionLost)"). */
  transition(text: string): void;
}

type Action = (server: string, action: 'reconnect' | 'reset') => void;

let cardSeq = 0;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** `2026-07-28 (modern)`, or `—` before the server first connected (no `protocol` yet). */
export const protocolText = (status: Pick<ServerStatus, 'protocol'>): string => (status.protocol ? `${status.protocol.version} (${status.protocol.era})` : '—');

/** Whether an event's `protocol` field has the shape the card shows (events arrive as parsed JSON). */
export function isProtocol(value: unknown): value is NonNullable<ServerStatus['protocol']> {
  if (value === null || typeof value !== 'object') return false;
  const { era, version } = value as Record<string, unknown>;
  return (era === 'legacy' || era === 'modern') && typeof version === 'string';
}

const percent = (rate: number) => (rate < 0 ? 'below minimum calls' : `${rate.toFixed(1)} %`);

/** The lit state ids of a server: the top-level state and, when known, its substate. */
export function connectionActive(root: string, status: ServerStatus): string[] {
  if (status.state === 'disabled') return [];
  const top = `${root}.${status.state}`;
  return status.substate ? [top, `${top}.${status.substate}`] : [top];
}

/**
 * A chart with its caption and a toggle between "fit to the card" (the default) and its actual
 * size, scrolled sideways in a focusable region (arrow keys scroll it).
 */
function chartBox(kind: string, caption: string, current: HTMLElement, svg: SVGSVGElement, label: string): HTMLElement {
  const zoom = h('button', { type: 'button', class: 'zoom', 'aria-pressed': 'false', 'data-action': 'zoom' }, 'Actual size');
  const figure = h(
    'figure',
    { class: `chart-box ${kind}` },
    h('figcaption', {}, h('span', {}, caption, current), zoom),
    h('div', { class: 'chart-scroll', tabindex: '0', role: 'region', 'aria-label': label }, svg),
  );
  zoom.addEventListener('click', () => zoom.setAttribute('aria-pressed', String(figure.classList.toggle('actual'))));
  return figure;
}

export function createCard(status: ServerStatus, charts: CardCharts, onAction: Action): Card {
  const n = ++cardSeq;
  const name = status.name;
  const field = (key: string, tag: 'span' | 'dd' | 'pre' = 'span') => h(tag, { 'data-field': key });
  const fields: Record<string, HTMLElement> = {};
  const f = (key: string, tag?: 'span' | 'dd' | 'pre') => (fields[key] = field(key, tag));
  const fact = (term: string, key: string) => [h('dt', {}, term), f(key, 'dd')];

  const reconnect = h('button', { type: 'button', 'data-action': 'reconnect' }, 'Reconnect');
  const reset = h('button', { type: 'button', 'data-action': 'reset' }, 'Reset breaker');
  reconnect.addEventListener('click', () => onAction(name, 'reconnect'));
  reset.addEventListener('click', () => onAction(name, 'reset'));

  const connSvg = renderChart(charts.connection, `Connection statechart of ${name}`, 'connection');
  const breakerSvg = renderChart(charts.breaker, `Breaker statechart of ${name}`, 'breaker');
  const trail = h('ol', { class: 'trail', 'aria-label': `Recent transitions of ${name}` });
  const stateBadge = f('state');

  const element = h(
    'article',
    { class: 'card', 'data-server': name, 'aria-labelledby': `card-${n}-title` },
    h('header', { class: 'card-head' }, h('h3', { id: `card-${n}-title` }, name), stateBadge, h('span', { class: 'grow' }), reconnect, reset),
    h(
      'div',
      { class: 'summary' },
      h('dl', { class: 'facts', 'aria-label': `Connection of ${name}` }, ...fact('transport', 'transport'), ...fact('protocol', 'protocol'), ...fact('target', 'target'), ...fact('reconnects', 'reconnects'), ...fact('next retry', 'retry'), ...fact('tools', 'tools'), ...fact('last error', 'lastError')),
      chartBox('breaker', 'Breaker: ', f('breakerCurrent'), breakerSvg, `Breaker statechart of ${name}`),
      h('dl', { class: 'facts', 'aria-label': `Breaker of ${name}` }, ...fact('failure rate', 'failureRate'), ...fact('slow-call rate', 'slowRate'), ...fact('window', 'window'), ...fact('refused', 'refused'), ...fact('opens in a row', 'opens'), ...fact('half-open in', 'retryAfter')),
    ),
    chartBox('connection', 'Connection: ', f('connCurrent'), connSvg, `Connection statechart of ${name}`),
    h(
      'div',
      { class: 'foot' },
      h('section', { class: 'trail-box', 'aria-label': `Transitions of ${name}` }, h('h4', {}, 'Recent transitions'), trail),
      h('details', { class: 'stderr' }, h('summary', {}, 'stderr tail'), f('stderr', 'pre')),
    ),
  );

  const update = (s: ServerStatus) => {
    const sub = s.substate ? `${s.state}.${s.substate}` : s.state;
    stateBadge.textContent = sub;
    stateBadge.className = `badge state-${s.state}`;
    fields.transport!.textContent = s.transport;
    fields.protocol!.textContent = protocolText(s);
    fields.target!.textContent = s.target || '—';
    fields.reconnects!.textContent = String(s.reconnects);
    fields.retry!.textContent = s.retryInMs === null ? '—' : `${s.retryInMs} ms`;
    fields.tools!.textContent = String(s.toolsCount);
    fields.lastError!.textContent = s.lastError ? `${s.lastError.code}: ${s.lastError.message}` : '—';
    fields.stderr!.textContent = s.stderrTail || '(nothing)';
    fields.connCurrent!.textContent = sub;
    setActive(connSvg, connectionActive(charts.connection.graph.id, s), `Connection statechart of ${s.name}, current state ${sub}`);
    const b = s.breaker;
    fields.breakerCurrent!.textContent = b ? b.state : 'none';
    setActive(breakerSvg, b ? [`${charts.breaker.graph.id}.${b.state}`] : [], `Breaker statechart of ${s.name}, current state ${b ? b.state : 'none'}`);
    fields.failureRate!.textContent = b ? percent(b.failureRate) : '—';
    fields.slowRate!.textContent = b ? percent(b.slowCallRate) : '—';
    fields.window!.textContent = b ? `${b.bufferedCalls} calls, ${b.failedCalls} failed, ${b.slowCalls} slow` : '—';
    fields.refused!.textContent = b ? String(b.notPermittedCalls) : '—';
    fields.opens!.textContent = b ? String(b.consecutiveOpens) : '—';
    fields.retryAfter!.textContent = b?.retryAfterMs != null ? `${b.retryAfterMs} ms` : '—';
    reset.disabled = !b;
    reconnect.disabled = s.state === 'disabled';
  };
  update(status);

  return {
    element,
    update,
    transition(text) {
      trail.prepend(h('li', {}, text));
      while (trail.children.length > 6) trail.lastElementChild!.remove();
    },
  };
}
