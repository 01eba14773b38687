import { SUBSCRIPTION_ID_META_KEY, type JSONRPCMessage, type Transport } from '@modelcontextprotocol/server';

/**
 * Resource subscriptions of 2026-07-28 downstream clients (DESIGN §15). That era has no
 * `resources/subscribe`: a client names the uris it follows in a `subscriptions/listen` stream's
 * `resourceSubscriptions`, and the stream carries `notifications/resources/updated` for them. The
 * v2 server package serves those streams itself (the stdio entry and the HTTP handler), so the
 * gateway watches them from the side: for every uri a stream follows it subscribes upstream
 * through the switchboard (which counts subscribers per uri), and unsubscribes when the stream
 * ends: cancelled, closed, or its connection gone.
 */

/** Subscribes upstream to one uri; resolves with the unsubscribe function. */
export type SubscribeUpstream = (uri: string) => Promise<() => Promise<void>>;

/** Told once per stream whose subscriptions failed: how many of how many, and the first error. */
export type FollowFailed = (failed: number, total: number, first: unknown) => void;

interface Stream {
  uris: string[];
  unsubscribes: Promise<((() => Promise<void>) | undefined)[]>;
}

/** The listen streams of one connection (stdio) or of one HTTP handler, by a key per stream. */
export class ListenFollows {
  private readonly streams = new Map<unknown, Stream>();
  /** Streams following each uri. */
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly subscribe: SubscribeUpstream,
    private readonly failed: FollowFailed,
  ) {}

  /** Whether some stream follows `uri`. */
  has(uri: string): boolean {
    return this.counts.has(uri);
  }

  /** Streams open now. */
  get size(): number {
    return this.streams.size;
  }

  /** The stream `key` follows `uris` from now on (subscribed upstream, once per uri). */
  open(key: unknown, uris: readonly string[]): void {
    this.close(key);
    const unique = [...new Set(uris.filter((uri) => typeof uri === 'string'))];
    if (unique.length === 0) return;
    for (const uri of unique) this.counts.set(uri, (this.counts.get(uri) ?? 0) + 1);
    this.streams.set(key, { uris: unique, unsubscribes: this.subscribeAll(unique) });
  }

  /** The stream `key` ended: its upstream subscriptions go (after they were made, if still under way). */
  close(key: unknown): void {
    const stream = this.streams.get(key);
    if (!stream) return;
    this.streams.delete(key);
    for (const uri of stream.uris) {
      const left = (this.counts.get(uri) ?? 1) - 1;
      if (left > 0) this.counts.set(uri, left);
      else this.counts.delete(uri);
    }
    void stream.unsubscribes.then((unsubscribes) => Promise.allSettled(unsubscribes.map((unsubscribe) => unsubscribe?.())));
  }

  /** Ends every stream (the connection or the handler closed). */
  clear(): void {
    for (const key of [...this.streams.keys()]) this.close(key);
  }

  /** Subscribes to each uri; a uri that failed (unknown, its server down) gets no updates, told once per stream, not once per uri. */
  private async subscribeAll(uris: string[]): Promise<((() => Promise<void>) | undefined)[]> {
    const settled = await Promise.allSettled(uris.map((uri) => this.subscribe(uri)));
    const failures = settled.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failures.length > 0) this.failed(failures.length, uris.length, failures[0]!.reason);
    return settled.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The uris a `subscriptions/listen` filter (its `notifications`) follows. */
export function listenedUris(notifications: unknown): string[] {
  const uris = isRecord(notifications) ? notifications.resourceSubscriptions : undefined;
  return Array.isArray(uris) ? uris.filter((uri): uri is string => typeof uri === 'string') : [];
}

/**
 * Watches the listen streams the SDK's stdio entry serves on `transport` (call after handing the
 * transport to it): a stream is open once its `notifications/subscriptions/acknowledged` goes out
 * (the filter the server honored, with the stream's id), and ends with the client's
 * `notifications/cancelled` of that id or with the connection (the caller clears `follows` then).
 */
export function watchListens(transport: Transport, follows: ListenFollows): void {
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    const acknowledged = acknowledgement(message);
    if (acknowledged) follows.open(acknowledged.id, listenedUris(acknowledged.notifications));
    return send(message, options);
  };
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    if ('method' in message && message.method === 'notifications/cancelled' && !('id' in message)) {
      const id = (message.params as { requestId?: unknown } | undefined)?.requestId;
      if (id !== undefined) follows.close(id);
    }
    deliver?.(message, extra);
  };
}

/** The stream id and honored filter of an outgoing `notifications/subscriptions/acknowledged`. */
function acknowledgement(message: JSONRPCMessage): { id: unknown; notifications: unknown } | undefined {
  if (!('method' in message) || message.method !== 'notifications/subscriptions/acknowledged' || 'id' in message) return undefined;
  const params = message.params as { notifications?: unknown; _meta?: Record<string, unknown> } | undefined;
  const id = params?._meta?.[SUBSCRIPTION_ID_META_KEY];
  return id === undefined ? undefined : { id, notifications: params?.notifications };
}
