/**
 * Sessions that are closing (a process group going down, an HTTP session being ended): `stop()`
 * and `removeServer()` wait on them, so nothing is left running when they resolve.
 */
export class ClosingTracker {
  private readonly closing = new Set<Promise<unknown>>();

  /** Registers a closing session; its failure is of no interest, only its end. */
  track(promise: Promise<unknown>): void {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.closing.add(settled);
    void settled.then(() => this.closing.delete(settled));
  }

  /** Waits until every session that is closing has closed (closing may start more). */
  async drain(): Promise<void> {
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }
}
