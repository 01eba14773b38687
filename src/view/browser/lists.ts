/// <reference lib="dom" />
import type { ToolInfo } from '../../../machines/types.js';
import { h } from './cards.js';

/**
 * The side lists: recent calls (from `call.completed`: tool, server, kind, duration, outcome —
 * the event carries neither arguments nor results, and only these fields are read), recent
 * events, and the tool catalog with `available`.
 */

/** The fields of `call.completed` the page shows. */
export interface CallRow {
  at: number;
  tool: string;
  server: string;
  kind: string;
  durationMs: number;
  outcome: string;
}

/** At most this many calls and events are kept on the page. */
export const KEEP = { calls: 50, events: 100 };

const clock = (at: number) => new Date(at).toLocaleTimeString([], { hour12: false });

/** The row of one `call.completed` event; unknown fields are ignored. */
export function callRow(event: Record<string, unknown>, at: number): CallRow {
  const ok = event.ok === true;
  const outcome = ok ? (event.isError === true ? 'tool error' : 'ok') : String(event.errorCode ?? 'failed');
  return { at, tool: String(event.tool ?? ''), server: String(event.server ?? ''), kind: String(event.kind ?? 'tool'), durationMs: Number(event.durationMs ?? 0), outcome };
}

export function addCall(tbody: HTMLTableSectionElement, row: CallRow): void {
  const outcomeClass = row.outcome === 'ok' ? 'ok' : 'bad';
  tbody.prepend(
    h(
      'tr',
      { 'data-tool': row.tool, 'data-server': row.server, 'data-outcome': row.outcome },
      h('td', {}, clock(row.at)),
      h('td', {}, h('code', {}, row.tool)),
      h('td', {}, row.server),
      h('td', {}, row.kind),
      h('td', { class: 'num' }, String(Math.round(row.durationMs))),
      h('td', { class: outcomeClass }, row.outcome),
    ),
  );
  while (tbody.rows.length > KEEP.calls) tbody.rows[tbody.rows.length - 1]!.remove();
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

export function addEvent(list: HTMLOListElement, type: string, event: Record<string, unknown>, at: number): void {
  const server = typeof event.server === 'string' ? event.server : '';
  list.prepend(
    h('li', { 'data-type': type }, h('time', {}, clock(at)), ' ', h('code', {}, type), server ? ` ${server}` : '', ' ', h('span', {}, describeEvent(type, event))),
  );
  while (list.children.length > KEEP.events) list.lastElementChild!.remove();
}

export function renderTools(tbody: HTMLTableSectionElement, tools: ToolInfo[]): void {
  const rows = [...tools]
    .sort((a, b) => a.server.localeCompare(b.server) || a.name.localeCompare(b.name))
    .map((t) =>
      h(
        'tr',
        { 'data-tool': t.qualifiedName, 'data-available': String(t.available !== false) },
        h('td', {}, h('code', { title: t.description ?? '' }, t.name)),
        h('td', {}, t.server),
        h('td', { class: t.available === false ? 'bad' : 'ok' }, t.available === false ? 'no' : 'yes'),
      ),
    );
  tbody.replaceChildren(...rows);
}
