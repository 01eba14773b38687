/**
 * Calls travel as `tool.call` events, coalesced per server: a burst of calls made together costs
 * one event through the manager and the connection instead of one each.
 *
 * When no other call is in flight (a lone or sequential caller), the burst leaves in a microtask:
 * no added latency. When calls are in flight, their answers arrive as separate I/O callbacks of
 * one event-loop turn (64 HTTP responses, several stdio chunks), and callers woken by each would
 * make bursts of one; the burst then waits for the end of that turn (`setImmediate`), gathering
 * every call made in it. Measured over streamable HTTP with 64 in flight: a quarter less client
 * CPU per call.
 */
export class CallOutbox {
  private batches = new Map<string, string[]>();
  private queued = 0;
  private scheduled = false;

  /**
   * @param send receives each server's burst, in the order servers were first called.
   * @param pending how many calls are open in the pending-call table (queued ones included).
   */
  constructor(
    private readonly send: (server: string, requestIds: string[]) => void,
    private readonly pending: () => number,
  ) {}

  push(server: string, requestId: string): void {
    const batch = this.batches.get(server);
    if (batch) batch.push(requestId);
    else this.batches.set(server, [requestId]);
    this.queued++;
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.pending() > this.queued) setImmediate(this.flush);
    else queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    this.queued = 0;
    const batches = this.batches;
    this.batches = new Map();
    for (const [server, requestIds] of batches) this.send(server, requestIds);
  };
}
