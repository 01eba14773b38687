/// <reference lib="dom" />
import { h } from './dom.js';

/**
 * The cluster on the console (DESIGN §16): one tile in the summary strip, shown only when the
 * service is a replica of a cluster (`GET /mcp/cluster` answers; 404 without one). It tells the
 * cluster's name, whether Redis is reachable (an alert when not: the replica serves on local
 * state), the live replicas, which one leads the health checks, and which one this page talks to.
 */

/** `GET /mcp/cluster`. */
export interface ClusterStatus {
  name: string;
  redis: 'up' | 'down';
  self: string;
  leader: string | null;
  replicas: { id: string; lastSeenMs: number }[];
}

/** The tile's text for a status (pure, for tests without a browser). */
export function clusterText(status: ClusterStatus): { value: string; note: string; alert: boolean; title: string } {
  const replicas = status.replicas.length;
  const leader = status.leader === null ? 'no leader' : status.leader === status.self ? 'leader: this replica' : `leader: ${status.leader}`;
  const note = status.redis === 'up' ? `${replicas} replica${replicas === 1 ? '' : 's'} · ${leader}` : 'Redis down: serving on local state';
  const title = [`cluster "${status.name}"`, `this replica: ${status.self}`, ...status.replicas.map((r) => `${r.id} seen ${(r.lastSeenMs / 1000).toFixed(1)} s ago`)].join('\n');
  return { value: status.name, note, alert: status.redis === 'down', title };
}

/** Adds the tile (hidden until a status arrives) to the summary strip; the returned function shows a status or hides the tile (null). */
export function createClusterTile(container: HTMLElement): (status: ClusterStatus | null) => void {
  const value = h('span', { class: 'value', 'data-field': 'cluster' });
  const note = h('span', { class: 'note', 'data-note': 'cluster' });
  const tile = h('div', { class: 'tile', 'data-tile': 'cluster' }, h('span', { class: 'label' }, 'Cluster'), value, note);
  tile.hidden = true;
  container.append(tile);
  return (status) => {
    tile.hidden = status === null;
    if (!status) return;
    const text = clusterText(status);
    value.textContent = text.value;
    note.textContent = text.note;
    tile.title = text.title;
    tile.classList.toggle('alert', text.alert);
  };
}
