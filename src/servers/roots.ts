import type { Root } from '../protocol/index.js';
import type { ServerRecord } from './record.js';

/**
 * The roots set by `setRoots` (one list for every server) and their announcement to the live
 * session of every server record. The sessions themselves live in the records.
 */
export class Roots {
  private current: Root[] | undefined;

  constructor(private readonly records: () => Iterable<ServerRecord>) {}

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
    for (const record of this.records()) if (record.session) void record.session.notifyRootsChanged();
  }
}
