/// <reference lib="dom" />
import { clock, duration, errorText, h, lastLines, svg } from './dom.js';
import { isProblem, type ConsoleStore, type ServerView, type Summary } from './store.js';

/**
 * The first screen: a summary strip and one compact row per server, problems first. A failing
 * server's row is followed by its last error and the last lines of its stderr, open, so the
 * reason is on screen without a click. Rows are built once and updated in place (keyboard focus
 * on a row's link survives updates and reordering).
 */

/** How many stderr lines a problem row shows. */
const STDERR_LINES = 3;

export const stateText = (s: Pick<ServerView, 'state' | 'substate'>) => (s.substate ? `${s.state}.${s.substate}` : s.state);

/** "retry in 2.1 s" while a reconnect is due, else ''. Only while backing off (never once connecting). */
export function retryText(s: Pick<ServerView, 'state' | 'retryAt'>, now: number): string {
  if (s.state !== 'disconnected' || s.retryAt === null) return '';
  const left = s.retryAt - now;
  return left > 0 ? `retry in ${duration(left)}` : 'retrying…';
}

/** A bar per minute (calls, failed calls in red on top of them). */
export function sparkline(calls: number[], errors: number[]): SVGSVGElement {
  const w = 3;
  const gap = 1;
  const height = 18;
  const max = Math.max(1, ...calls);
  const total = calls.reduce((a, b) => a + b, 0);
  const failedTotal = errors.reduce((a, b) => a + b, 0);
  const chart = svg('svg', { class: 'spark', width: calls.length * (w + gap), height, viewBox: `0 0 ${calls.length * (w + gap)} ${height}`, role: 'img' });
  chart.setAttribute('aria-label', `${total} calls in the last ${calls.length} minutes${failedTotal ? `, ${failedTotal} failed` : ''}`);
  chart.setAttribute('data-calls', String(total));
  calls.forEach((n, i) => {
    const x = i * (w + gap);
    if (n === 0) {
      chart.append(svg('rect', { x, y: height - 1, width: w, height: 1, class: 'idle' }));
      return;
    }
    const barH = Math.max(2, Math.round((n / max) * height));
    chart.append(svg('rect', { x, y: height - barH, width: w, height: barH, class: 'bar' }));
    const e = errors[i] ?? 0;
    if (e > 0) {
      const errH = Math.max(2, Math.round((e / max) * height));
      chart.append(svg('rect', { x, y: height - errH, width: w, height: errH, class: 'err' }));
    }
  });
  return chart;
}

const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(r > 0 && r < 0.1 ? 1 : 0)} %`);

/** The summary strip's tiles (built once, text updated). */
export function createSummary(container: HTMLElement): (s: Summary) => void {
  const tile = (key: string, label: string) => {
    const value = h('span', { class: 'value', 'data-field': key });
    const note = h('span', { class: 'note', 'data-note': key });
    container.append(h('div', { class: 'tile', 'data-tile': key }, h('span', { class: 'label' }, label), value, note));
    return { value, note };
  };
  const servers = tile('servers', 'Servers');
  const breakers = tile('breakers', 'Open breakers');
  const rate = tile('calls', 'Calls / min');
  const errors = tile('errors', 'Error rate');
  const latency = tile('latency', 'Latency p50');
  const eras = tile('eras', 'Protocol eras');
  return (s) => {
    servers.value.textContent = String(s.servers);
    const parts = [`${s.byState.connected} connected`];
    if (s.byState.connecting) parts.push(`${s.byState.connecting} connecting`);
    if (s.byState.disconnected) parts.push(`${s.byState.disconnected} disconnected`);
    if (s.byState.error) parts.push(`${s.byState.error} failing`);
    if (s.byState.disabled) parts.push(`${s.byState.disabled} disabled`);
    servers.note.textContent = parts.join(' · ');
    servers.value.parentElement!.classList.toggle('alert', s.byState.error + s.byState.disconnected > 0);
    breakers.value.textContent = String(s.breakersOpen);
    breakers.note.textContent = s.breakersHalfOpen ? `${s.breakersHalfOpen} half-open` : 'circuit breakers';
    breakers.value.parentElement!.classList.toggle('alert', s.breakersOpen > 0);
    rate.value.textContent = s.callsPerMin >= 10 || s.callsPerMin === 0 ? String(Math.round(s.callsPerMin)) : s.callsPerMin.toFixed(1);
    rate.note.textContent = `last ${s.windowMin} min`;
    errors.value.textContent = pct(s.errorRate);
    errors.note.textContent = `last ${s.windowMin} min`;
    errors.value.parentElement!.classList.toggle('alert', (s.errorRate ?? 0) >= 0.05);
    latency.value.textContent = s.p50Ms === null ? '—' : duration(s.p50Ms);
    latency.note.textContent = 'recent calls';
    eras.value.textContent = `${s.eras.legacy + s.eras.modern}`;
    eras.note.textContent = `${s.eras.legacy} legacy · ${s.eras.modern} modern`;
  };
}

interface Row {
  main: HTMLTableRowElement;
  problem: HTMLTableRowElement;
  link: HTMLAnchorElement;
  cells: Record<string, HTMLElement>;
}

export const COLUMNS = ['server', 'state', 'era', 'breaker', 'tools', 'latency', 'activity', 'reconnects', 'error'] as const;
const HEADINGS: Record<(typeof COLUMNS)[number], string> = {
  server: 'Server',
  state: 'State',
  era: 'Era',
  breaker: 'Breaker',
  tools: 'Tools',
  latency: 'p50',
  activity: 'Calls, 30 min',
  reconnects: 'Reconnects',
  error: 'Last error',
};

/** The server table: `render` updates it from the store; `open(name)` is called on a row's click. */
export function createServerTable(table: HTMLTableElement, open: (name: string) => void): { render(store: ConsoleStore, now: number): void } {
  table.createTHead().append(h('tr', {}, ...COLUMNS.map((c) => h('th', { scope: 'col', class: `col-${c}` }, HEADINGS[c]))));
  const body = table.createTBody();
  const rows = new Map<string, Row>();

  const build = (name: string): Row => {
    const link = h('a', { href: `#/server/${encodeURIComponent(name)}`, class: 'server-link' }, name);
    const cells: Record<string, HTMLElement> = {};
    const main = h('tr', { class: 'server-row', 'data-server': name });
    for (const c of COLUMNS) {
      const td = h('td', { class: `col-${c}`, 'data-label': HEADINGS[c] });
      cells[c] = td;
      main.append(td);
    }
    cells.server!.append(link, h('span', { class: 'transport', 'data-field': 'transport' }));
    main.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).closest('a, button')) return;
      open(name);
    });
    const problem = h('tr', { class: 'problem-row', 'data-server': name, hidden: '' }, h('td', { colspan: String(COLUMNS.length) }));
    return { main, problem, link, cells };
  };

  const fill = (row: Row, s: ServerView, store: ConsoleStore, now: number) => {
    const { cells } = row;
    row.main.setAttribute('data-state', s.state);
    row.main.setAttribute('data-breaker', s.breaker?.state ?? 'none');
    const problem = isProblem(s);
    row.main.classList.toggle('problem', problem);
    (cells.server!.querySelector('[data-field="transport"]') as HTMLElement).textContent = s.transport;
    // The badge names the state; beside it the retry countdown, else the substate, in small print.
    const retry = retryText(s, now);
    const aside = retry ? h('span', { class: 'retry', 'data-field': 'retry', 'data-retry-at': String(s.retryAt) }, retry) : s.substate && s.state !== 'connected' ? h('span', { class: 'retry', 'data-field': 'substate' }, s.substate) : null;
    cells.state!.replaceChildren(h('span', { class: `badge state-${s.state}`, 'data-field': 'state', 'data-substate': s.substate ?? '' }, s.state), ...(aside ? [aside] : []));
    cells.state!.title = stateText(s) + (retry ? `, ${retry}` : '');
    cells.era!.textContent = s.protocol ? s.protocol.era : '—';
    cells.era!.title = s.protocol ? `MCP ${s.protocol.version}` : 'not connected yet';
    const b = s.breaker?.state ?? 'none';
    cells.breaker!.replaceChildren(h('span', { class: `breaker breaker-${b}`, 'data-field': 'breaker' }, b));
    cells.tools!.textContent = s.state === 'disabled' ? '—' : String(s.toolsCount);
    const p50 = store.latency(s.name);
    cells.latency!.textContent = p50 === null ? '—' : duration(p50);
    const spark = store.sparkline(s.name, now);
    cells.activity!.replaceChildren(sparkline(spark.calls, spark.errors));
    cells.reconnects!.textContent = String(s.reconnects);
    const error = errorText(s.lastError);
    cells.error!.textContent = error || '—';
    cells.error!.title = error;
    // A problem row says why on the next line: the error in full and the stderr's last lines.
    const stderr = lastLines(s.stderrTail, STDERR_LINES);
    const why = problem && (error || stderr);
    row.problem.hidden = !why;
    if (why) {
      const td = row.problem.cells[0]!;
      td.replaceChildren(
        ...(error ? [h('p', { class: 'why', 'data-field': 'why' }, error)] : []),
        ...(stderr ? [h('pre', { class: 'stderr-lines', 'data-field': 'stderr', 'aria-label': `last stderr lines of ${s.name}` }, stderr)] : []),
      );
    }
  };

  return {
    render(store, now) {
      const ordered = store.ordered();
      const names = new Set(ordered.map((s) => s.name));
      for (const [name, row] of rows) {
        if (names.has(name)) continue;
        row.main.remove();
        row.problem.remove();
        rows.delete(name);
      }
      const wanted: HTMLTableRowElement[] = [];
      for (const s of ordered) {
        let row = rows.get(s.name);
        if (!row) rows.set(s.name, (row = build(s.name)));
        fill(row, s, store, now);
        wanted.push(row.main, row.problem);
      }
      // Reorder only when the order changed; moving a focused link would drop its focus, so it is given back.
      const current = [...body.rows];
      if (current.length !== wanted.length || current.some((r, i) => r !== wanted[i])) {
        const focused = document.activeElement instanceof HTMLElement && body.contains(document.activeElement) ? document.activeElement : null;
        body.replaceChildren(...wanted);
        focused?.focus({ preventScroll: true });
      }
    },
  };
}

/** The time column of the lists. */
export const timeCell = (at: number) => h('td', { class: 'time' }, h('time', { datetime: new Date(at).toISOString() }, clock(at)));
