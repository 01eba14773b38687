import { StderrRing } from '../protocol/index.js';

/**
 * A server's stderr ring that also tells who listens when the process wrote something: while a
 * stdio server connects, its output (npx downloading, a banner, log lines) is a sign of life that
 * extends its connect deadline (DESIGN §18; the session reports it as `session.progressed`).
 */
export class WatchedStderr extends StderrRing {
  private readonly listeners = new Set<() => void>();

  /** Calls `listener` after each chunk the process writes; returns the function that stops it. */
  onOutput(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  override push(chunk: Buffer | string): void {
    super.push(chunk);
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        // A listener's failure must not break the drain of the process's stderr.
      }
    }
  }
}
