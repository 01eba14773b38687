import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Root } from '@modelcontextprotocol/sdk/types.js';
import { notifyRootsChanged } from './session/serverRequests.js';

/**
 * What the switchboard keeps about its servers' live sessions beyond the actors: each connected
 * server's SDK client (to announce roots changes), the roots set by `setRoots`, and the resource
 * subscriptions (with subscriber counts) that every new session re-sends.
 */
export class LiveClients {
  /** The live SDK client of each connected server. */
  readonly clients = new Map<string, Client>();
  /** Subscribed resource uris per server, with subscriber counts. */
  readonly subscriptions = new Map<string, Map<string, number>>();
  private current: Root[] | undefined;

  /** Roots set by `setRoots`, when any (else the `roots` handler answers). */
  roots(): Root[] | undefined {
    return this.current;
  }

  setRoots(roots: Root[]): void {
    this.current = roots.map((root) => ({ ...root }));
    this.announceRoots();
  }

  /** Sends `notifications/roots/list_changed` to every connected server. */
  announceRoots(): void {
    for (const client of this.clients.values()) void notifyRootsChanged(client);
  }
}
