/// <reference lib="dom" />
import type { ToolInfo } from '../../../machines/types.js';
import { h } from './dom.js';
import { timeCell } from './overview.js';
import type { CallRecord, LoggedEvent } from './store.js';

/**
 * The lists under the servers: recent calls (what `call.completed` tells: tool, server, kind,
 * duration, outcome, where it came from — never arguments or results), recent events and server
 * logs, and the tool catalog. They are drawn from the console's store, which starts from the
 * service's history, so what happened before the page was opened is listed too.
 */

/** At most this many calls and events are drawn. */
export const SHOWN = { calls: 50, events: 100 };

/** `ok`, `tool error`, or the error code. */
export const outcomeOf = (c: Pick<CallRecord, 'ok' | 'isError' | 'errorCode'>) => (c.ok ? (c.isError ? 'tool error' : 'ok') : (c.errorCode ?? 'failed'));

/** The page's own calls are sent with this `source`. */
export const PAGE_SOURCE = 'live-view';

/**
 * One call as a row of four narrow columns — time, the call (tool, then server and kind in small
 * print, and `page` for the page's own), ms, outcome — so the outcome is not clipped in a side
 * column.
 */
export function callRowOf(c: CallRecord, withServer = true): HTMLTableRowElement {
  const outcome = outcomeOf(c);
  const meta = [withServer ? c.server : '', c.kind].filter(Boolean).join(' · ');
  const tag = c.source === PAGE_SOURCE ? h('span', { class: 'tag', title: 'called from this page' }, 'page') : c.source ? h('span', { class: 'tag' }, c.source) : null;
  return h(
    'tr',
    { 'data-tool': c.tool, 'data-server': c.server, 'data-kind': c.kind, 'data-outcome': outcome, ...(c.source ? { 'data-source': c.source } : {}) },
    timeCell(c.at),
    h('td', { class: 'call' }, h('code', {}, c.tool), ' ', h('span', { class: 'meta' }, meta), ...(tag ? [' ', tag] : [])),
    h('td', { class: 'num' }, String(Math.round(c.durationMs))),
    h('td', { class: outcome === 'ok' ? 'ok outcome' : 'bad outcome' }, outcome),
  );
}

export function renderCalls(tbody: HTMLTableSectionElement, calls: readonly CallRecord[], withServer = true): void {
  const rows: HTMLTableRowElement[] = [];
  for (let i = calls.length - 1; i >= 0 && rows.length < SHOWN.calls; i--) rows.push(callRowOf(calls[i]!, withServer));
  tbody.replaceChildren(...rows);
  if (rows.length === 0) tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: '4' }, 'No calls yet.')));
}

/** A one-line summary of a public event (never a call's arguments or result: events carry none). */
export function describeEvent(type: string, e: Record<string, unknown>): string {
  const error = e.error as { code?: string; message?: string } | undefined;
  switch (type) {
    case 'server.stateChanged':
    case 'breaker.stateChanged':
      return `${e.from} → ${e.to} (${e.reason})${error?.code ? ` ${error.code}` : ''}${typeof e.retryInMs === 'number' ? `, retry in ${e.retryInMs} ms` : ''}`;
    case 'call.completed':
      return `${e.kind ?? 'tool'} ${e.tool}: ${e.ok ? (e.isError ? 'tool error' : 'ok') : (e.errorCode ?? 'failed')} in ${Math.round(Number(e.durationMs ?? 0))} ms`;
    case 'tools.changed':
    case 'resources.changed':
    case 'prompts.changed':
      return 'catalog changed';
    case 'resource.updated':
      return String(e.uri ?? '');
    case 'server.log':
      return `${e.level}: ${String(e.message ?? '').slice(0, 200)}`;
    case 'config.reloaded':
      return `added ${(e.added as string[] | undefined)?.length ?? 0}, removed ${(e.removed as string[] | undefined)?.length ?? 0}, changed ${(e.changed as string[] | undefined)?.length ?? 0}`;
    case 'config.rejected':
      return `${(e.issues as unknown[] | undefined)?.length ?? 0} issue(s)`;
    case 'error':
      return `${error?.code ?? e.code ?? ''} ${error?.message ?? e.message ?? ''}`.trim();
    default:
      return '';
  }
}

/** Events and logs together, newest first. */
export function renderEvents(list: HTMLOListElement, events: readonly LoggedEvent[], logs: readonly LoggedEvent[]): void {
  const merged = [...events.slice(-SHOWN.events), ...logs.slice(-SHOWN.events)].sort((a, b) => b.at - a.at || (b.seq ?? 0) - (a.seq ?? 0)).slice(0, SHOWN.events);
  list.replaceChildren(
    ...merged.map((e) => {
      const server = typeof e.event.server === 'string' ? e.event.server : '';
      return h('li', { 'data-type': e.type, ...(server ? { 'data-server': server } : {}) }, timeCell(e.at).firstChild!, ' ', h('code', {}, e.type), server ? ` ${server}` : '', ' ', h('span', {}, describeEvent(e.type, e.event)));
    }),
  );
  if (merged.length === 0) list.append(h('li', { class: 'empty' }, 'No events yet.'));
}

export function renderTools(tbody: HTMLTableSectionElement, tools: readonly ToolInfo[]): void {
  const rows = [...tools]
    .sort((a, b) => a.server.localeCompare(b.server) || a.name.localeCompare(b.name))
    .map((t) =>
      h(
        'tr',
        { 'data-tool': t.qualifiedName, 'data-available': String(t.available !== false) },
        h('td', {}, h('a', { href: `#/server/${encodeURIComponent(t.server)}/tool/${encodeURIComponent(t.name)}`, title: t.description ?? '' }, h('code', {}, t.name))),
        h('td', {}, t.server),
        h('td', { class: t.available === false ? 'bad' : 'ok' }, t.available === false ? 'no' : 'yes'),
      ),
    );
  tbody.replaceChildren(...rows);
}
