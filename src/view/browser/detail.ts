/// <reference lib="dom" />
import { renderChart, setActive } from './chart.js';
import { connectionActive, duration, errorText, h, protocolText } from './dom.js';
import type { PlacedChart } from './layout.js';
import { renderCalls } from './lists.js';
import { retryText, stateText, timeCell } from './overview.js';
import { isProblem, type ConsoleStore, type ServerView } from './store.js';
import { createTryIt, type TryIt } from './tryit.js';

/**
 * One server's detail: its two statecharts lit live at their actual size, its facts and breaker
 * numbers, its transitions with time and reason (from the service's history, so a crash before
 * the page was opened is there), its stderr (open while it is failing), its calls, reconnect and
 * reset, and "try it". Built when opened, updated in place while open.
 */

export interface Charts {
  connection: PlacedChart;
  breaker: PlacedChart;
}

export interface Detail {
  element: HTMLElement;
  server: string;
  update(store: ConsoleStore, now: number): void;
  /** A catalog of this server changed. */
  catalogChanged(): void;
  selectTool(name: string): void;
}

type Action = (server: string, action: 'reconnect' | 'reset') => void;

/** How many transitions the detail lists. */
const TRANSITIONS = 40;

const percent = (rate: number) => (rate < 0 ? 'below minimum calls' : `${rate.toFixed(1)} %`);

/**
 * A statechart at its actual size in a sideways-scrolling region, with a "Fit to width" toggle.
 * `follow()` scrolls the region to the lit state when it changed (at actual size a wide chart's
 * current state may be off to the right).
 */
function chartFigure(kind: string, caption: string, current: HTMLElement, chart: SVGSVGElement): { element: HTMLElement; follow(): void } {
  const fit = h('button', { type: 'button', class: 'small', 'aria-pressed': 'false', 'data-action': 'fit' }, 'Fit to width');
  const scroller = h('div', { class: 'chart-scroll', tabindex: '0', role: 'region', 'aria-label': `${caption.replace(/[: ]+$/, '')} statechart` }, chart);
  const element = h('figure', { class: `chart-box ${kind}`, 'data-chart-box': kind }, h('figcaption', {}, h('span', {}, caption, current), fit), scroller);
  fit.addEventListener('click', () => fit.setAttribute('aria-pressed', String(element.classList.toggle('fit'))));
  const follow = () => {
    if (element.classList.contains('fit')) return;
    const lit = [...chart.querySelectorAll<SVGGElement>('g.state.active')].pop();
    const box = lit?.querySelector('rect');
    if (!box || scroller.clientWidth === 0) return;
    const x = Number(box.getAttribute('x'));
    const width = Number(box.getAttribute('width'));
    const left = scroller.scrollLeft;
    // Already in view: leave the operator's scrolling alone.
    if (x >= left && x + width <= left + scroller.clientWidth) return;
    scroller.scrollLeft = Math.max(0, x + width / 2 - scroller.clientWidth / 2);
  };
  return { element, follow };
}

export function createDetail(name: string, charts: Charts, onAction: Action, token: () => string | undefined): Detail {
  const fields: Record<string, HTMLElement> = {};
  const f = (key: string, tag: 'span' | 'dd' = 'dd') => (fields[key] = h(tag, { 'data-field': key }));
  const fact = (term: string, key: string) => [h('dt', {}, term), f(key)];

  // A button, not a `#…` link: the hash names the view, and a fragment would leave the detail.
  const jump = h('button', { type: 'button', class: 'link-button', 'data-action': 'jump' }, 'Try it ↓');
  const reconnect = h('button', { type: 'button', 'data-action': 'reconnect' }, 'Reconnect');
  const reset = h('button', { type: 'button', 'data-action': 'reset' }, 'Reset breaker');
  reconnect.addEventListener('click', () => onAction(name, 'reconnect'));
  reset.addEventListener('click', () => onAction(name, 'reset'));

  const connSvg = renderChart(charts.connection, `Connection statechart of ${name}`, 'connection');
  const breakerSvg = renderChart(charts.breaker, `Breaker statechart of ${name}`, 'breaker');
  const state = f('state', 'span');
  const stderr = h('pre', { 'data-field': 'stderr' });
  const stderrBox = h('details', { class: 'stderr' }, h('summary', {}, 'stderr'), stderr);
  const why = h('div', { class: 'why-box', 'data-field': 'why', role: 'status' });
  const transitions = h('tbody');
  const calls = h('tbody');
  const tryIt: TryIt = createTryIt(name, token);
  const connectionFigure = chartFigure('connection', 'Connection: ', f('connCurrent', 'span'), connSvg);
  const breakerFigure = chartFigure('breaker', 'Breaker: ', f('breakerCurrent', 'span'), breakerSvg);
  let wasProblem: boolean | undefined;

  const element = h(
    'section',
    { class: 'detail', 'data-server': name, 'aria-labelledby': 'detail-title' },
    h(
      'header',
      { class: 'detail-head' },
      h('a', { href: '#/', class: 'back', 'data-action': 'back' }, '← All servers'),
      h('h2', { id: 'detail-title', tabindex: '-1' }, name),
      state,
      h('span', { class: 'grow' }),
      jump,
      reconnect,
      reset,
    ),
    why,
    h(
      'div',
      { class: 'detail-grid' },
      h('dl', { class: 'facts', 'aria-label': `Connection of ${name}` }, ...fact('transport', 'transport'), ...fact('target', 'target'), ...fact('protocol', 'protocol'), ...fact('server', 'serverInfo'), ...fact('tools', 'tools'), ...fact('reconnects', 'reconnects'), ...fact('next retry', 'retry'), ...fact('latency p50', 'latency'), ...fact('calls, 5 min', 'recent'), ...fact('last error', 'lastError')),
      h('dl', { class: 'facts', 'aria-label': `Breaker of ${name}` }, ...fact('breaker', 'breakerState'), ...fact('failure rate', 'failureRate'), ...fact('slow-call rate', 'slowRate'), ...fact('window', 'window'), ...fact('refused', 'refused'), ...fact('opens in a row', 'opens'), ...fact('half-open in', 'retryAfter')),
    ),
    stderrBox,
    breakerFigure.element,
    connectionFigure.element,
    h(
      'div',
      { class: 'detail-lists' },
      h(
        'section',
        { 'aria-labelledby': 'transitions-title' },
        h('h3', { id: 'transitions-title' }, 'Transitions'),
        h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'transitions-title' }, h('table', { class: 'transitions' }, h('thead', {}, h('tr', {}, ...['time', 'machine', 'change', 'reason'].map((c) => h('th', { scope: 'col' }, c)))), transitions)),
      ),
      h(
        'section',
        { 'aria-labelledby': 'server-calls-title' },
        h('h3', { id: 'server-calls-title' }, 'Calls'),
        h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'server-calls-title' }, h('table', { class: 'calls' }, h('thead', {}, h('tr', {}, ...['time', 'call', 'ms', 'outcome'].map((c) => h('th', { scope: 'col', ...(c === 'ms' ? { class: 'num' } : {}) }, c)))), calls)),
      ),
    ),
    tryIt.element,
  );
  tryIt.refresh();
  jump.addEventListener('click', () => {
    tryIt.element.scrollIntoView({ block: 'start' });
    tryIt.element.querySelector<HTMLElement>('[role="tab"][aria-selected="true"]')?.focus({ preventScroll: true });
  });

  let lastTransitionSeq: string | undefined;
  let lastCalls: unknown = null;

  const update = (store: ConsoleStore, now: number) => {
    const s: ServerView | undefined = store.servers.get(name);
    if (!s) {
      // Removed by a reload: nothing here can be acted on any more.
      state.textContent = 'removed';
      state.className = 'badge state-disabled';
      element.setAttribute('data-removed', 'true');
      reconnect.disabled = true;
      reset.disabled = true;
      jump.hidden = true;
      tryIt.element.hidden = true;
      why.hidden = false;
      why.textContent = `${name} is no longer in the config (removed by a reload).`;
      return;
    }
    if (element.hasAttribute('data-removed')) {
      // Back in the config under the same name.
      element.removeAttribute('data-removed');
      jump.hidden = false;
      tryIt.element.hidden = false;
      tryIt.refresh();
    }
    const sub = stateText(s);
    state.textContent = sub;
    state.className = `badge state-${s.state}`;
    fields.transport!.textContent = s.transport;
    fields.target!.textContent = s.target || '—';
    fields.protocol!.textContent = protocolText(s);
    fields.serverInfo!.textContent = s.serverInfo ? `${s.serverInfo.name} ${s.serverInfo.version}` : '—';
    fields.tools!.textContent = String(s.toolsCount);
    fields.reconnects!.textContent = String(s.reconnects);
    fields.retry!.textContent = retryText(s, now) || '—';
    const p50 = store.latency(name);
    fields.latency!.textContent = p50 === null ? '—' : duration(p50);
    const recent = store.recent(now, 5, name);
    fields.recent!.textContent = `${recent.calls}${recent.errors ? `, ${recent.errors} failed` : ''}`;
    fields.lastError!.textContent = errorText(s.lastError) || '—';
    fields.connCurrent!.textContent = sub;
    if (setActive(connSvg, connectionActive(charts.connection.graph.id, s), `Connection statechart of ${name}, current state ${sub}`)) requestAnimationFrame(connectionFigure.follow);
    const b = s.breaker;
    fields.breakerCurrent!.textContent = b ? b.state : 'none';
    fields.breakerState!.textContent = b ? b.state : 'none';
    setActive(breakerSvg, b ? [`${charts.breaker.graph.id}.${b.state}`] : [], `Breaker statechart of ${name}, current state ${b ? b.state : 'none'}`);
    fields.failureRate!.textContent = b ? percent(b.failureRate) : '—';
    fields.slowRate!.textContent = b ? percent(b.slowCallRate) : '—';
    fields.window!.textContent = b ? `${b.bufferedCalls} calls, ${b.failedCalls} failed, ${b.slowCalls} slow` : '—';
    fields.refused!.textContent = b ? String(b.notPermittedCalls) : '—';
    fields.opens!.textContent = b ? String(b.consecutiveOpens) : '—';
    fields.retryAfter!.textContent = b?.retryAfterMs != null ? duration(b.retryAfterMs) : '—';
    reset.disabled = !b;
    reconnect.disabled = s.state === 'disabled';

    const problem = isProblem(s);
    stderr.textContent = s.stderrTail || '(nothing)';
    // Open while failing (and when it starts failing); the operator's own toggle is kept otherwise.
    if (problem !== wasProblem) stderrBox.open = problem;
    wasProblem = problem;
    const error = errorText(s.lastError);
    why.hidden = !problem || !error;
    why.textContent = error;

    const list = store.transitionsOf(name);
    const key = `${list.length}:${list[0]?.seq ?? ''}:${list[0]?.at ?? ''}`;
    if (key !== lastTransitionSeq) {
      lastTransitionSeq = key;
      transitions.replaceChildren(
        ...list.slice(0, TRANSITIONS).map((e) => {
          const ev = e.event;
          const machine = e.type === 'breaker.stateChanged' ? 'breaker' : 'connection';
          const err = ev.error as { code?: string; message?: string } | undefined;
          return h(
            'tr',
            { 'data-machine': machine, 'data-to': String(ev.to ?? '') },
            timeCell(e.at),
            h('td', {}, machine),
            h('td', {}, `${String(ev.from)} → ${String(ev.to)}`),
            h('td', {}, String(ev.reason ?? ''), err?.code ? h('span', { class: 'bad' }, ` ${err.code}${err.message ? `: ${err.message}` : ''}`) : '', typeof ev.retryInMs === 'number' ? `, retry in ${duration(ev.retryInMs)}` : ''),
          );
        }),
      );
      if (list.length === 0) transitions.append(h('tr', { class: 'empty' }, h('td', { colspan: '4' }, 'No transitions recorded yet.')));
    }
    const serverCalls = store.callsOf(name);
    if (serverCalls[0] !== lastCalls) {
      lastCalls = serverCalls[0];
      renderCalls(calls, [...serverCalls].reverse(), false);
    }
  };

  return { element, server: name, update, catalogChanged: () => tryIt.refresh(), selectTool: (tool) => tryIt.selectTool(tool) };
}

