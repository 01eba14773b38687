/// <reference lib="dom" />
import type { ToolInfo } from '../../../machines/types.js';
import type { ServerStatus } from '../../servers/index.js';
import type { ViewMachines } from '../machines.js';
import { api, ApiError, readEvents, type SseEvent } from './api.js';
import { createCard, isProtocol, type Card, type CardCharts } from './cards.js';
import { canvasMeasure, layoutChart } from './layout.js';
import { addCall, addEvent, callRow, renderTools } from './lists.js';

/**
 * The live view: asks for the admin token once (kept in `sessionStorage`, this tab only), then
 * reads `/mcp/servers` and `/mcp/tools`, and follows `/mcp/events`. Events change the page at
 * once; the substates and counters they do not carry are re-read from `/mcp/servers` shortly
 * after (one read per burst). After the stream drops, it reconnects and re-reads everything.
 */

const TOKEN_KEY = 'mcp-switchboard.token';
/** Wait after an event before re-reading `/mcp/servers` and `/mcp/tools`: one read per burst. */
const REFRESH_MS = 150;

interface Session {
  token: string;
  abort: AbortController;
  cards: Map<string, Card>;
  statuses: Map<string, ServerStatus>;
  /** Per server, how many state events arrived: a read started before one of them is stale. */
  seq: Map<string, number>;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
let charts: CardCharts | undefined;
let session: Session | undefined;

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
  session = undefined;
  sessionStorage.removeItem(TOKEN_KEY);
  byId('server-cards').replaceChildren();
  showLogin(message);
}

function onAction(server: string, action: 'reconnect' | 'reset'): void {
  const s = session;
  if (!s) return;
  const path = action === 'reconnect' ? `mcp/servers/${encodeURIComponent(server)}/reconnect` : `mcp/circuit-breakers/${encodeURIComponent(server)}/reset`;
  api(s.token, path, 'POST').catch((error: unknown) => setStream(`${action} ${server} failed: ${(error as Error).message}`, 'error'));
}

function applyServers(s: Session, servers: ServerStatus[], seqAtStart?: Map<string, number>): void {
  const container = byId('server-cards');
  const names = new Set(servers.map((x) => x.name));
  for (const [name, card] of s.cards) {
    if (names.has(name)) continue;
    card.element.remove();
    s.cards.delete(name);
    s.statuses.delete(name);
  }
  for (const status of servers) {
    // An event arrived while this read was under way: the event is newer; read again later.
    if (seqAtStart && (s.seq.get(status.name) ?? 0) !== (seqAtStart.get(status.name) ?? 0) && s.cards.has(status.name)) continue;
    s.statuses.set(status.name, status);
    const card = s.cards.get(status.name);
    if (card) card.update(status);
    else {
      const created = createCard(status, charts!, onAction);
      s.cards.set(status.name, created);
      container.append(created.element);
    }
  }
}

async function refresh(s: Session): Promise<void> {
  const seqAtStart = new Map(s.seq);
  const [{ servers }, { tools }] = await Promise.all([api<{ servers: ServerStatus[] }>(s.token, 'mcp/servers'), api<{ tools: ToolInfo[] }>(s.token, 'mcp/tools')]);
  if (session !== s) return;
  applyServers(s, servers, seqAtStart);
  renderTools(byId<HTMLTableElement>('tools').tBodies[0]!, tools);
  const stale = [...s.seq].some(([name, n]) => n !== (seqAtStart.get(name) ?? 0));
  if (stale) scheduleRefresh(s);
}

function scheduleRefresh(s: Session): void {
  if (s.timer !== undefined) return;
  s.timer = setTimeout(() => {
    s.timer = undefined;
    refresh(s).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 401) stop('The token was refused.');
    });
  }, REFRESH_MS);
}

function onEvent(s: Session, message: SseEvent): void {
  if (message.event === 'heartbeat') return;
  if (message.event === 'ready') {
    setStream('live', 'live');
    scheduleRefresh(s);
    return;
  }
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(message.data) as Record<string, unknown>;
  } catch {
    return;
  }
  const at = Date.now();
  addEvent(byId<HTMLOListElement>('events'), message.event, event, at);
  const server = typeof event.server === 'string' ? event.server : '';
  const status = s.statuses.get(server);
  const card = s.cards.get(server);
  if (message.event === 'server.stateChanged' && status && card) {
    s.seq.set(server, (s.seq.get(server) ?? 0) + 1);
    // The event names the top-level state only; the substate comes with the next read.
    const next: ServerStatus = { ...status, state: event.to as ServerStatus['state'] };
    delete next.substate;
    if (event.error) next.lastError = event.error as ServerStatus['lastError'];
    // To `connected` the event tells the new session's era, which may differ from the last one's.
    if (isProtocol(event.protocol)) next.protocol = { era: event.protocol.era, version: event.protocol.version };
    next.retryInMs = typeof event.retryInMs === 'number' ? event.retryInMs : null;
    s.statuses.set(server, next);
    card.update(next);
    card.transition(`${event.from} → ${event.to} (${event.reason})`);
  } else if (message.event === 'breaker.stateChanged' && status?.breaker && card) {
    s.seq.set(server, (s.seq.get(server) ?? 0) + 1);
    const next: ServerStatus = { ...status, breaker: { ...status.breaker, state: event.to as NonNullable<ServerStatus['breaker']>['state'] } };
    s.statuses.set(server, next);
    card.update(next);
    card.transition(`breaker ${event.from} → ${event.to} (${event.reason})`);
  } else if (message.event === 'call.completed') {
    addCall(byId<HTMLTableElement>('calls').tBodies[0]!, callRow(event, at));
  }
  scheduleRefresh(s);
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
      if (error instanceof ApiError && error.status === 401) return stop('The token was refused.');
    }
    if (session !== s) return;
    setStream(`event stream lost; retrying in ${(delay / 1000).toFixed(1)} s`, 'retrying');
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}

async function start(token: string): Promise<void> {
  setStream('connecting…', 'connecting');
  let servers: ServerStatus[];
  try {
    servers = (await api<{ servers: ServerStatus[] }>(token, 'mcp/servers')).servers;
  } catch (error) {
    const refused = error instanceof ApiError && error.status === 401;
    sessionStorage.removeItem(TOKEN_KEY);
    return showLogin(refused ? 'The token was refused.' : `Cannot reach the admin API: ${(error as Error).message}`);
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  const s: Session = { token, abort: new AbortController(), cards: new Map(), statuses: new Map(), seq: new Map(), timer: undefined };
  session = s;
  byId('login').hidden = true;
  byId('app').hidden = false;
  byId('forget').hidden = false;
  applyServers(s, servers);
  byId('servers').focus({ preventScroll: true });
  scheduleRefresh(s);
  void follow(s);
}

async function boot(): Promise<void> {
  const response = await fetch('view/machines.json', { cache: 'no-store' });
  const machines = (await response.json()) as ViewMachines;
  const measure = canvasMeasure();
  const [connection, breaker] = await Promise.all([layoutChart(machines.connection, measure), layoutChart(machines.breaker, measure)]);
  charts = { connection, breaker };
  byId('login').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = byId<HTMLInputElement>('token');
    const token = input.value.trim();
    input.value = '';
    if (token) void start(token);
  });
  byId('forget').addEventListener('click', () => stop());
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) await start(saved);
  else showLogin();
  document.body.setAttribute('data-ready', 'true');
}

boot().catch((error: unknown) => {
  setStream(`the live view failed to start: ${(error as Error).message}`, 'error');
});
