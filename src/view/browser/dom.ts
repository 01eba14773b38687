/// <reference lib="dom" />
import type { ServerStatus } from '../../servers/index.js';

/** Small DOM and text helpers shared by the console's parts. */

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

export const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** `14:03:27` in the viewer's locale, 24 h. */
export const clock = (at: number) => new Date(at).toLocaleTimeString([], { hour12: false });

/** A duration for people: `12 ms`, `1.3 s`, `42 s`, `1 min 5 s`, `2 h 3 min`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

/** `2026-07-28 (modern)`, or `—` before the server first connected (no `protocol` yet). */
export const protocolText = (status: Pick<ServerStatus, 'protocol'>): string => (status.protocol ? `${status.protocol.version} (${status.protocol.era})` : '—');

/** Whether an event's `protocol` field has the shape the page shows (events arrive as parsed JSON). */
export function isProtocol(value: unknown): value is NonNullable<ServerStatus['protocol']> {
  if (value === null || typeof value !== 'object') return false;
  const { era, version } = value as Record<string, unknown>;
  return (era === 'legacy' || era === 'modern') && typeof version === 'string';
}

/** The lit state ids of a server: the top-level state and, when known, its substate. */
export function connectionActive(root: string, status: Pick<ServerStatus, 'state' | 'substate'>): string[] {
  if (status.state === 'disabled') return [];
  const top = `${root}.${status.state}`;
  return status.substate ? [top, `${top}.${status.substate}`] : [top];
}

/** The last `n` non-empty lines of a text. */
export function lastLines(text: string, n: number): string {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').slice(-n).join('\n');
}

/** `code: message` of a server's last error, or ''. */
export const errorText = (e: ServerStatus['lastError']): string => (e ? `${e.code}: ${e.message}` : '');
