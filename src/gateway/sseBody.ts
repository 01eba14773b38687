import type { Logger } from '../core/logger.js';
import { Outbox } from './outbox.js';

/**
 * A bounded SSE body in front of one the SDK's streamable HTTP transport made (DESIGN §12). The
 * SDK enqueues every event into its ReadableStream at once, and the HTTP writer pulls only as fast
 * as the socket drains, so a client that stops reading its GET stream (or a POST's SSE response)
 * grew the host without bound (+842 MiB during an upstream log flood). This reads the SDK's stream
 * as it fills into an `Outbox`: past `maxBufferedBytes` the oldest notifications go, and a client
 * that does not read its responses loses the stream (`onStall` destroys the connection; the SDK
 * forgets the stream, and the client may open a new one). So does a client whose queue has held
 * unread bytes for `stuckMs`: a stream that makes no progress keeps neither memory nor its session.
 */

/** Options of `boundedSseBody`. */
export interface SseBodyOptions {
  maxBufferedBytes: number;
  /** Further bytes of responses queued before the client counts as stuck. */
  stallBytes: number;
  /** How long the queue may hold unread bytes (the client took none) before the stream is closed. Defaults to never. */
  stuckMs?: number;
  /** Names the stream in warnings. */
  label: string;
  logger?: Logger | undefined;
  /** Ends the connection of a stuck client (erroring the body instead would make the HTTP adapter print to stderr). */
  onStall(): void;
}

const decoder = new TextDecoder();

/** Whether one SSE event of the SDK may be dropped: a comment (keep-alive) or a JSON-RPC notification. */
export function isNotificationEvent(chunk: Uint8Array): boolean {
  const text = decoder.decode(chunk);
  if (text.startsWith(':')) return true;
  const data = text.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart()).join('\n');
  if (data === '') return true;
  try {
    const message = JSON.parse(data) as unknown;
    return typeof message === 'object' && message !== null && !Array.isArray(message) && 'method' in message && !('id' in message);
  } catch {
    return false;
  }
}

/** The body to send instead of `source`. */
export function boundedSseBody(source: ReadableStream<Uint8Array>, options: SseBodyOptions): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  const outbox = new Outbox({ ...options, droppable: isNotificationEvent });
  let done = false;
  let stalled = false;
  let wake: (() => void) | null = null;
  let watch: ReturnType<typeof setTimeout> | undefined;
  /** Closes the stream of a client that took nothing for stuckMs; re-armed while bytes wait. */
  const watchProgress = () => {
    const stuckMs = options.stuckMs;
    if (stuckMs === undefined || watch !== undefined || stalled || outbox.bytes === 0) return;
    watch = setTimeout(() => {
      watch = undefined;
      if (stalled || outbox.bytes === 0) return;
      if (outbox.stuckMs() < stuckMs) return watchProgress();
      options.logger?.log('warn', `gateway: ${options.label} has read nothing for ${outbox.stuckMs()} ms; closing the stream`);
      outbox.clear();
      stalled = true;
      options.onStall();
      void reader.cancel().catch(() => undefined);
      finish();
    }, Math.max(1, stuckMs - outbox.stuckMs()));
    watch.unref();
  };
  const wakeUp = () => {
    const resume = wake;
    wake = null;
    resume?.();
  };
  const finish = () => {
    done = true;
    wakeUp();
  };
  const stop = () => {
    clearTimeout(watch);
    watch = undefined;
  };

  const pump = async () => {
    try {
      for (;;) {
        const { done: ended, value } = await reader.read();
        if (ended || done) break;
        if (outbox.push(value) === 'stalled') {
          options.logger?.log('warn', `gateway: ${options.label} has not read ${outbox.bytes} bytes of responses; closing the stream`);
          outbox.clear();
          stalled = true;
          options.onStall();
          await reader.cancel().catch(() => undefined);
          finish();
          return;
        }
        watchProgress();
        wakeUp();
      }
    } catch {
      // The SDK's stream failed: end ours after what is queued.
    }
    finish();
    // What is queued still waits for the client: keep watching it.
    watchProgress();
  };

  const body = new ReadableStream<Uint8Array>(
    {
      start: () => void pump(),
      pull: async (c) => {
        for (;;) {
          if (stalled) return c.close();
          const chunk = outbox.take();
          if (chunk) return c.enqueue(chunk);
          if (done) {
            stop();
            return c.close();
          }
          await new Promise<void>((resolve) => (wake = resolve));
        }
      },
      cancel: async () => {
        stop();
        done = true;
        outbox.clear();
        wakeUp();
        await reader.cancel().catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
  return body;
}
