/**
 * Calls travel as `tool.call` events, coalesced per microtask and server: a burst of calls made in
 * one tick (64 callers woken by one batch of answers) costs one event through the manager and the
 * connection instead of one each. A lone call waits one microtask.
 */
export class CallOutbox {
  private batches = new Map<string, string[]>();
  private scheduled = false;

  /** @param send receives each server's burst, in the order servers were first called. */
  constructor(private readonly send: (server: string, requestIds: string[]) => void) {}

  push(server: string, requestId: string): void {
    const batch = this.batches.get(server);
    if (batch) batch.push(requestId);
    else this.batches.set(server, [requestId]);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batches = this.batches;
    this.batches = new Map();
    for (const [server, requestIds] of batches) this.send(server, requestIds);
  };
}
