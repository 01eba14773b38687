/**
 * A server-sent-events body with a bounded queue. Node pulls from it only as fast as the socket
 * drains, so whatever a client does not read waits here; past `maxQueuedBytes` the client is
 * dropped (its connection is destroyed) instead of letting the process grow without bound. An
 * `EventSource` reconnects on its own and can re-read state from the other routes. Only unread
 * events count against a client: one event larger than the whole bound (a 1.5 MB log line) is
 * sent as `{"truncated":<bytes>}` instead, and the client stays.
 */

/** 1 MiB: what `/mcp/events` keeps queued for one client before dropping it. */
export const MAX_QUEUED_EVENT_BYTES = 1024 * 1024;

export interface EventStreamOptions {
  maxQueuedBytes?: number;
  /** Called once when the client goes away: it disconnected, or it was dropped for being slow. */
  onClose(reason: 'closed' | 'slow'): void;
  /**
   * Cuts the client's connection (e.g. `ServerResponse.destroy`) when it is dropped for being slow.
   * Without it the body just ends. Erroring the body instead would make `@hono/node-server` print
   * the error to the host's stderr. Defaults to none.
   */
  disconnect?: () => void;
}

/** One client's event stream: `send` queues an event, `body` is the response body. */
export class EventStream {
  readonly body: ReadableStream<Uint8Array>;
  private readonly encoder = new TextEncoder();
  private readonly maxQueuedBytes: number;
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private wake: (() => void) | null = null;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private closed = false;

  constructor(private readonly options: EventStreamOptions) {
    this.maxQueuedBytes = options.maxQueuedBytes ?? MAX_QUEUED_EVENT_BYTES;
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: async (controller) => {
          while (this.queue.length === 0 && !this.closed) await new Promise<void>((resolve) => (this.wake = resolve));
          if (this.closed) return;
          const chunks = this.queue;
          this.queue = [];
          this.queuedBytes = 0;
          controller.enqueue(chunks.length === 1 ? chunks[0]! : concat(chunks));
        },
        cancel: () => this.finish('closed'),
      },
      { highWaterMark: 0 },
    );
  }

  /**
   * Queues one event; drops the client when unread events fill its queue. `id` becomes the
   * message's `id:` line, written after its data (readers that take `event:` then `data:` as the
   * first two lines keep working). Defaults to none.
   */
  send(event: string, data: string, id?: number): void {
    if (this.closed) return;
    let chunk = this.encode(event, data, id);
    // Too large for any client: not this client's fault, so it gets a note in its place.
    if (chunk.byteLength > this.maxQueuedBytes) chunk = this.encode(event, JSON.stringify({ truncated: chunk.byteLength }), id);
    if (this.queuedBytes + chunk.byteLength > this.maxQueuedBytes) {
      this.finish('slow');
      try {
        this.controller.close();
      } catch {
        // Already cancelled.
      }
      this.options.disconnect?.();
      return;
    }
    this.queue.push(chunk);
    this.queuedBytes += chunk.byteLength;
    this.wakeUp();
  }

  private encode(event: string, data: string, id: number | undefined): Uint8Array {
    const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}`);
    return this.encoder.encode(`event: ${event}\n${lines.join('\n')}\n${id === undefined ? '' : `id: ${id}\n`}\n`);
  }

  /** Ends the stream (shutdown). */
  close(): void {
    if (this.closed) return;
    try {
      this.controller.close();
    } catch {
      // Already errored or cancelled.
    }
    this.finish('closed');
  }

  private finish(reason: 'closed' | 'slow'): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.wakeUp();
    this.options.onClose(reason);
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
