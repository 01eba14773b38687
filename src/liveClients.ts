import type { ProtocolSession, Root } from './protocol/index.js';

/**
 * What the switchboard keeps about its servers' live sessions beyond the actors: each connected
 * server's protocol session (to announce roots changes), the roots set by `setRoots`, and the
 * resource subscriptions (with subscriber counts) that every new session re-sends.
 */
export class LiveClients {
  /** The live protocol session of each connected server. */
  readonly clients = new Map<string, ProtocolSession>();
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

  /** Sends `notifications/roots/list_changed` to every connected server (never rejects). */
  announceRoots(): void {
    for (const session of this.clients.values()) void session.notifyRootsChanged();
  }
}
