/// <reference lib="dom" />
import type { ToolInfo } from '../../../machines/types.js';
import type { ServerStatus } from '../../servers/index.js';
import type { ViewMachines } from '../machines.js';
import { api, ApiError, readEvents, type SseEvent } from './api.js';
import { createClusterTile, type ClusterStatus } from './cluster.js';
import { createDetail, type Charts, type Detail } from './detail.js';
import { byId, isProtocol } from './dom.js';
import { canvasMeasure, layoutChart } from './layout.js';
import { renderCalls, renderEvents, renderTools } from './lists.js';
import { createServerTable, createSummary } from './overview.js';
import { ConsoleStore, type HistorySnapshot } from './store.js';

/**
 * The console: asks for the admin token once (kept in `sessionStorage`, this tab only), follows
 * `/mcp/events`, and on each (re)connect of that stream reads `/mcp/history` (what happened before),
 * `/mcp/servers` and `/mcp/tools`. Events change the page at once; the substates and counters they
 * do not carry are re-read from `/mcp/servers` shortly after (one read per burst). The hash picks
 * the view: `#/` the overview, `#/server/<name>` a server's detail, `…/tool/<tool>` with a tool
 * open to try.
 */

const TOKEN_KEY = 'mcp-switchboard.token';
/** Wait after an event before re-reading `/mcp/servers` and `/mcp/tools`: one read per burst. */
const REFRESH_MS = 150;
/** Countdowns and per-minute activity move on this tick. */
const TICK_MS = 1000;
/** The cluster's replicas and leader are re-read this often (and on every `cluster.changed`). */
const CLUSTER_MS = 5000;

interface Session {
  token: string;
  abort: AbortController;
  store: ConsoleStore;
  /** Per server, how many state events arrived: a read started before one of them is stale. */
  seq: Map<string, number>;
  /** Live events that arrived before the history was read, applied after it. */
  pending: SseEvent[] | null;
  timer: ReturnType<typeof setTimeout> | undefined;
  ticker: ReturnType<typeof setInterval> | undefined;
  tools: ToolInfo[];
  /** Re-reads `/mcp/cluster` while the service is part of one. */
  clusterTicker: ReturnType<typeof setInterval> | undefined;
}

let charts: Charts | undefined;
let session: Session | undefined;
let detail: Detail | undefined;
let renderSummary: ReturnType<typeof createSummary> | undefined;
let renderCluster: ReturnType<typeof createClusterTile> | undefined;
let serverTable: ReturnType<typeof createServerTable> | undefined;
let frame = 0;
/** What the lists were last drawn from: they are drawn again only when it changed (focus and scroll in them survive the tick). */
let drawn: { version: number; tools: ToolInfo[] | null } = { version: -1, tools: null };

function setStream(text: string, state: string): void {
  const status = byId('stream-status');
  status.textContent = text;
  status.setAttribute('data-stream', state);
}

function showLogin(message = ''): void {
  byId('app').hidden = true;
  byId('forget').hidden = true;
  byId('login').hidden = false;
  byId('login-error').textContent = message;
  setStream('not connected', 'off');
  byId<HTMLInputElement>('token').focus();
}

function stop(message = ''): void {
  session?.abort.abort();
  clearTimeout(session?.timer);
  clearInterval(session?.ticker);
  clearInterval(session?.clusterTicker);
  session = undefined;
  detail = undefined;
  sessionStorage.removeItem(TOKEN_KEY);
  byId('detail').replaceChildren();
  showLogin(message);
}

const refused = (error: unknown) => error instanceof ApiError && error.status === 401;

let noticeTimer: ReturnType<typeof setTimeout> | undefined;
/** Says how an action went, for a while, beside the stream status (which it never replaces). */
function notice(text: string, kind: 'ok' | 'error'): void {
  const box = byId('notice');
  box.textContent = text;
  box.setAttribute('data-kind', kind);
  box.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (box.hidden = true), kind === 'error' ? 10_000 : 4_000);
}

function onAction(server: string, action: 'reconnect' | 'reset'): void {
  const s = session;
  if (!s) return;
  const path = action === 'reconnect' ? `mcp/servers/${encodeURIComponent(server)}/reconnect` : `mcp/circuit-breakers/${encodeURIComponent(server)}/reset`;
  api(s.token, path, 'POST').then(
    () => notice(action === 'reconnect' ? `Reconnecting ${server}…` : `The breaker of ${server} was reset.`, 'ok'),
    (error: unknown) => (refused(error) ? stop('The token was refused.') : notice(`${action === 'reconnect' ? 'Reconnect' : 'Reset'} of ${server} failed: ${(error as Error).message}`, 'error')),
  );
}

/** Draws everything from the store (at most once per animation frame). */
function render(): void {
  frame = 0;
  const s = session;
  if (!s) return;
  const now = Date.now();
  if (detail) {
    detail.update(s.store, now);
    return;
  }
  renderSummary!(s.store.summary(now));
  serverTable!.render(s.store, now);
  if (drawn.version !== s.store.version) {
    renderCalls(byId<HTMLTableElement>('calls').tBodies[0]!, s.store.calls);
    renderEvents(byId<HTMLOListElement>('events'), s.store.events, s.store.logs);
  }
  if (drawn.tools !== s.tools) renderTools(byId<HTMLTableElement>('tools').tBodies[0]!, s.tools);
  drawn = { version: s.store.version, tools: s.tools };
}

function scheduleRender(): void {
  if (frame === 0) frame = requestAnimationFrame(render);
}

function applyServers(s: Session, servers: ServerStatus[], seqAtStart?: Map<string, number>): void {
  const now = Date.now();
  s.store.removeMissing(new Set(servers.map((x) => x.name)));
  for (const status of servers) {
    // An event arrived while this read was under way: the event is newer; read again later.
    if (seqAtStart && (s.seq.get(status.name) ?? 0) !== (seqAtStart.get(status.name) ?? 0) && s.store.servers.has(status.name)) continue;
    s.store.setServer(status, now);
  }
  scheduleRender();
}

/** Whether two tool lists show the same rows (names, servers, availability, descriptions). */
function sameTools(a: readonly ToolInfo[], b: readonly ToolInfo[]): boolean {
  return a.length === b.length && a.every((t, i) => t.qualifiedName === b[i]!.qualifiedName && t.server === b[i]!.server && t.available === b[i]!.available && t.description === b[i]!.description);
}

async function refresh(s: Session): Promise<void> {
  const seqAtStart = new Map(s.seq);
  const [{ servers }, { tools }] = await Promise.all([api<{ servers: ServerStatus[] }>(s.token, 'mcp/servers'), api<{ tools: ToolInfo[] }>(s.token, 'mcp/tools')]);
  if (session !== s) return;
  // The same tools as drawn: keep the array, so the list is not drawn again (focus and scroll in it stay).
  if (!sameTools(s.tools, tools)) s.tools = tools;
  applyServers(s, servers, seqAtStart);
  const stale = [...s.seq].some(([name, n]) => n !== (seqAtStart.get(name) ?? 0));
  if (stale) scheduleRefresh(s);
}

/** Reads `/mcp/cluster` on a replica of a cluster (the page says so: `data-cluster`); hidden, and no longer polled, if it answers 404. */
async function refreshCluster(s: Session): Promise<void> {
  if (document.body.getAttribute('data-cluster') !== 'true') return;
  try {
    const status = await api<ClusterStatus>(s.token, 'mcp/cluster');
    if (session !== s) return;
    renderCluster?.(status);
    s.clusterTicker ??= setInterval(() => void refreshCluster(s), CLUSTER_MS);
  } catch (error) {
    if (session !== s) return;
    if (refused(error)) return stop('The token was refused.');
    if (error instanceof ApiError && error.status === 404) {
      renderCluster?.(null);
      clearInterval(s.clusterTicker);
      s.clusterTicker = undefined;
    }
  }
}

function scheduleRefresh(s: Session): void {
  if (s.timer !== undefined) return;
  s.timer = setTimeout(() => {
    s.timer = undefined;
    refresh(s).catch((error: unknown) => {
      if (refused(error)) stop('The token was refused.');
    });
  }, REFRESH_MS);
}

/** Reads the history, then applies what arrived meanwhile. Called on every (re)connect of the stream. */
async function loadHistory(s: Session): Promise<void> {
  s.pending = [];
  try {
    const history = await api<HistorySnapshot>(s.token, 'mcp/history');
    if (session !== s) return;
    s.store.loadHistory(history, Date.now());
    document.body.setAttribute('data-history', 'loaded');
  } catch (error) {
    if (refused(error)) return stop('The token was refused.');
    // Without the history the page still follows what happens from now on (every live event: a
    // restarted service numbers from 1 again, and nothing read overlaps them).
    s.store.forgetSequence();
    document.body.setAttribute('data-history', 'unavailable');
  }
  const pending = s.pending ?? [];
  s.pending = null;
  for (const message of pending) onEvent(s, message);
  scheduleRender();
}

function onEvent(s: Session, message: SseEvent): void {
  if (message.event === 'heartbeat') return;
  if (message.event === 'ready') {
    setStream('live', 'live');
    void loadHistory(s);
    scheduleRefresh(s);
    void refreshCluster(s);
    return;
  }
  if (message.event === 'cluster.changed') void refreshCluster(s);
  if (s.pending) {
    s.pending.push(message);
    return;
  }
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(message.data) as Record<string, unknown>;
  } catch {
    return;
  }
  const seq = message.id !== undefined && /^\d+$/.test(message.id) ? Number(message.id) : null;
  const now = Date.now();
  if (!s.store.take(seq, message.event, event, now)) return;
  const server = typeof event.server === 'string' ? event.server : '';
  const status = s.store.servers.get(server);
  if (message.event === 'server.stateChanged' && status) {
    s.seq.set(server, (s.seq.get(server) ?? 0) + 1);
    // The event names the top-level state only; the substate comes with the next read.
    const next: ServerStatus = { ...status, state: event.to as ServerStatus['state'] };
    delete next.substate;
    if (event.error) next.lastError = event.error as ServerStatus['lastError'];
    // To `connected` the event tells the new session's era, which may differ from the last one's.
    if (isProtocol(event.protocol)) next.protocol = { era: event.protocol.era, version: event.protocol.version };
    next.retryInMs = typeof event.retryInMs === 'number' ? event.retryInMs : null;
    s.store.setServer(next, now);
  } else if (message.event === 'breaker.stateChanged' && status?.breaker) {
    s.seq.set(server, (s.seq.get(server) ?? 0) + 1);
    s.store.setServer({ ...status, breaker: { ...status.breaker, state: event.to as NonNullable<ServerStatus['breaker']>['state'] } }, now);
  }
  if (detail && detail.server === server && (message.event === 'tools.changed' || message.event === 'prompts.changed' || message.event === 'resources.changed' || (message.event === 'server.stateChanged' && event.to === 'connected'))) detail.catalogChanged();
  scheduleRender();
  if (message.event !== 'server.log') scheduleRefresh(s);
}

async function follow(s: Session): Promise<void> {
  let delay = 500;
  while (session === s) {
    setStream('connecting to the event stream…', 'connecting');
    try {
      await readEvents(s.token, 'mcp/events', s.abort.signal, (message) => {
        if (message.event === 'ready') delay = 500;
        onEvent(s, message);
      });
    } catch (error) {
      if (session !== s) return;
      if (refused(error)) return stop('The token was refused.');
    }
    if (session !== s) return;
    setStream(`event stream lost; retrying in ${(delay / 1000).toFixed(1)} s`, 'retrying');
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}

/** `#/server/<name>[/tool/<tool>]` → the parts; anything else is the overview. */
function parseRoute(hash: string): { server?: string; tool?: string } {
  const m = /^#\/server\/([^/]+)(?:\/tool\/([^/]+))?$/.exec(hash);
  if (!m) return {};
  try {
    return { server: decodeURIComponent(m[1]!), ...(m[2] ? { tool: decodeURIComponent(m[2]) } : {}) };
  } catch {
    return {};
  }
}

function route(): void {
  const s = session;
  if (!s) return;
  const { server, tool } = parseRoute(location.hash);
  const overview = byId('overview');
  const box = byId('detail');
  if (server === undefined) {
    const from = detail?.server;
    detail = undefined;
    box.replaceChildren();
    box.hidden = true;
    overview.hidden = false;
    drawn = { version: -1, tools: null };
    render();
    // Back where the operator came from: the server's row.
    if (from !== undefined) document.querySelector<HTMLElement>(`tr.server-row[data-server="${CSS.escape(from)}"] a`)?.focus();
    return;
  }
  if (!detail || detail.server !== server) {
    detail = createDetail(server, charts!, onAction, () => session?.token);
    box.replaceChildren(detail.element);
    overview.hidden = true;
    box.hidden = false;
    render();
    window.scrollTo(0, 0);
    document.getElementById('detail-title')?.focus({ preventScroll: true });
  }
  if (tool !== undefined) detail.selectTool(tool);
}

function openServer(name: string): void {
  location.hash = `#/server/${encodeURIComponent(name)}`;
}

async function start(token: string): Promise<void> {
  setStream('connecting…', 'connecting');
  let servers: ServerStatus[];
  try {
    servers = (await api<{ servers: ServerStatus[] }>(token, 'mcp/servers')).servers;
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    return showLogin(refused(error) ? 'The token was refused.' : `Cannot reach the admin API: ${(error as Error).message}`);
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  const s: Session = { token, abort: new AbortController(), store: new ConsoleStore(), seq: new Map(), pending: [], timer: undefined, ticker: undefined, tools: [], clusterTicker: undefined };
  session = s;
  drawn = { version: -1, tools: null };
  byId('login').hidden = true;
  byId('app').hidden = false;
  byId('forget').hidden = false;
  applyServers(s, servers);
  s.ticker = setInterval(scheduleRender, TICK_MS);
  route();
  if (!detail) byId('servers').focus({ preventScroll: true });
  void follow(s);
}

async function boot(): Promise<void> {
  const response = await fetch('view/machines.json', { cache: 'no-store' });
  const machines = (await response.json()) as ViewMachines;
  const measure = canvasMeasure();
  const [connection, breaker] = await Promise.all([layoutChart(machines.connection, measure), layoutChart(machines.breaker, measure)]);
  charts = { connection, breaker };
  renderSummary = createSummary(byId('summary'));
  renderCluster = createClusterTile(byId('summary'));
  serverTable = createServerTable(byId<HTMLTableElement>('server-table'), openServer);
  byId('login').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = byId<HTMLInputElement>('token');
    const token = input.value.trim();
    input.value = '';
    if (token) void start(token);
  });
  byId('forget').addEventListener('click', () => stop());
  window.addEventListener('hashchange', route);
  // Escape leaves a server's detail (not while typing: Escape there belongs to the field).
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || !detail) return;
    const target = e.target as HTMLElement;
    // Not while typing or trying something out: Escape there must not throw the arguments away.
    if (target.closest('input, textarea, select, .try, details')) return;
    location.hash = '#/';
  });
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) await start(saved);
  else showLogin();
  document.body.setAttribute('data-ready', 'true');
}

boot().catch((error: unknown) => {
  setStream(`the console failed to start: ${(error as Error).message}`, 'error');
});
