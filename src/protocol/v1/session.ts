import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import {
  EmptyResultSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { CatalogKind, ErrorInfo } from '../../../machines/types.js';
import type {
  CallFailure,
  CallMethod,
  FailureContext,
  ListedKinds,
  OpenOptions,
  ProtocolConnector,
  ProtocolSession,
  SessionEvents,
  SessionFacts,
  SessionRequestOptions,
} from '../session.js';
import type { LoggingLevel } from '../types.js';
import { sendCall } from './calls.js';
import { listKind } from './catalog.js';
import { classifyCallError, classifyConnectError, isSessionRejection } from './classify.js';
import { NO_SDK_TIMEOUT, openChannel, openSession, type OpenSession } from './connect.js';
import type { Channel } from '../transport.js';
import { pingServer, requestSignal } from './requests.js';
import { installServerRequests, notifyRootsChanged } from './serverRequests.js';

/**
 * The legacy era on `@modelcontextprotocol/sdk` 1.x (checked against 1.32.2): a `ProtocolSession`
 * over one SDK Client and its transport (connect.ts), with the SDK's events turned into ours and
 * its errors classified into ours (classify.ts). Every SDK import of the session path is in this
 * folder.
 */

/** One SDK request with a child of `signal` (requests.ts: the SDK never removes its abort listener). */
async function withChild<T>(signal: AbortSignal, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const child = requestSignal(signal);
  try {
    return await run(child.signal);
  } finally {
    child.done();
  }
}

class V1Session implements ProtocolSession {
  private readonly client: Client;

  constructor(
    private readonly open: OpenSession,
    readonly facts: SessionFacts,
  ) {
    this.client = open.client;
  }

  request(method: CallMethod, params: Record<string, unknown>, options: SessionRequestOptions): Promise<unknown> {
    return sendCall(this.client, method, params, options);
  }

  failure(error: unknown, context: FailureContext): CallFailure {
    return classifyCallError(error, context.abortCause, context.server, context.tool, context.subject, context.kind);
  }

  expired(error: unknown): boolean {
    return isSessionRejection(error);
  }

  list<K extends CatalogKind>(kind: K, signal: AbortSignal, warn: (message: string) => void): Promise<ListedKinds[K]> {
    return listKind(this.client, kind, signal, warn);
  }

  probe(signal: AbortSignal): Promise<void> {
    return withChild(signal, (child) => pingServer(this.client, child));
  }

  notifyRootsChanged(): Promise<void> {
    return notifyRootsChanged(this.client);
  }

  subscribe(uri: string, signal: AbortSignal): Promise<void> {
    return this.empty('resources/subscribe', { uri }, signal);
  }

  unsubscribe(uri: string, signal: AbortSignal): Promise<void> {
    return this.empty('resources/unsubscribe', { uri }, signal);
  }

  setLogLevel(level: LoggingLevel, signal: AbortSignal): Promise<void> {
    return this.empty('logging/setLevel', { level }, signal);
  }

  close(): Promise<void> {
    return this.open.close();
  }

  retryAfterMs(): number | undefined {
    return this.open.retryAfterMs();
  }

  private async empty(method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<void> {
    await withChild(signal, (child) => this.client.request({ method, params } as { method: 'ping' }, EmptyResultSchema, { signal: child, timeout: NO_SDK_TIMEOUT }));
  }
}

/**
 * Wires a fresh client's events to `events` before it connects. `fault` tells why the session
 * ended itself (a stdio server's output lost its framing), once the session exists.
 */
function wire(client: Client, options: OpenOptions, events: SessionEvents, fault: () => Error | undefined): void {
  client.onclose = () => {
    const error = fault();
    events.lost(error ? 'faulted' : 'closed', error);
  };
  client.onerror = (error: Error) => {
    events.transportError(error);
    // SDK 1.32.2: eventsource reconnects silently onto an uninitialized session; any SseError after
    // connect means the session is gone (sdk-notes §4). Over streamable HTTP it may be (§2).
    if (error instanceof SseError) events.lost('streamLost', error);
    else if (options.server.transport === 'http') events.suspect();
  };
  const changed = (kind: CatalogKind) => () => events.listChanged(kind);
  client.setNotificationHandler(ToolListChangedNotificationSchema, changed('tools'));
  client.setNotificationHandler(PromptListChangedNotificationSchema, changed('prompts'));
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
    events.listChanged('resources');
    events.listChanged('templates');
  });
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => events.resourceUpdated(notification.params.uri));
  if (options.serverRequests) installServerRequests(client, options.serverRequests);
  client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
    const { level, data, logger } = notification.params;
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    events.log(level, logger ? `${logger}: ${text}` : text);
  });
}

/**
 * Keeps the protocol version the server chose: SDK 1.32.2's Client checks it in `connect()` and
 * forgets it. The instance's `request` is wrapped for the `initialize` request only, then the
 * prototype's method is back (no cost on later requests).
 */
function captureVersion(client: Client): () => string | undefined {
  let version: string | undefined;
  const original = client.request;
  const own = client as unknown as { request: Client['request'] };
  own.request = ((request: { method: string }, ...rest: unknown[]) => {
    const sent = (original as (...args: unknown[]) => Promise<unknown>).call(client, request, ...rest);
    if (request.method === 'initialize') {
      delete (own as { request?: unknown }).request;
      sent.then(
        (result) => {
          const chosen = (result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
          if (typeof chosen === 'string') version = chosen;
        },
        () => undefined,
      );
    }
    return sent;
  }) as Client['request'];
  return () => version;
}

function factsOf(client: Client, version: string | undefined): SessionFacts {
  const facts: SessionFacts = { era: 'legacy', verdict: { era: 'legacy' } };
  const serverInfo = client.getServerVersion();
  const capabilities = client.getServerCapabilities();
  const instructions = client.getInstructions();
  if (version) facts.protocolVersion = version;
  if (serverInfo) facts.serverInfo = serverInfo;
  if (capabilities) facts.capabilities = capabilities;
  if (instructions) facts.instructions = instructions;
  return facts;
}

/** The legacy-era connector: `initialize` on a fresh SDK 1.x Client and transport per attempt. */
export const v1Connector: ProtocolConnector & {
  /** `initialize` on a channel the era probe found legacy (the same stdio process). */
  openOn(channel: Channel, options: OpenOptions, events: SessionEvents): Promise<ProtocolSession>;
} = {
  open(options: OpenOptions, events: SessionEvents): Promise<ProtocolSession> {
    return openV1(options, events);
  },

  openOn(channel: Channel, options: OpenOptions, events: SessionEvents): Promise<ProtocolSession> {
    return openV1(options, events, channel);
  },

  connectFailure(error: unknown, session: ProtocolSession | undefined, maxMessageBytes?: number): ErrorInfo {
    return classifyConnectError(error, session?.retryAfterMs(), maxMessageBytes);
  },
};

/** Builds and starts a stdio or custom server's transport for the era probe (connect.ts `openChannel`). */
export function v1Channel(options: OpenOptions): Promise<Channel> {
  return openChannel({
    server: options.server,
    custom: options.custom,
    stderr: options.stderr,
    signal: options.signal,
    clientInfo: options.clientInfo,
    ...(options.clock ? { clock: options.clock } : {}),
  });
}

async function openV1(options: OpenOptions, events: SessionEvents, channel?: Channel): Promise<ProtocolSession> {
  {
    let opened: OpenSession | undefined;
    let version: () => string | undefined = () => undefined;
    opened = await openSession(
      {
        server: options.server,
        custom: options.custom,
        stderr: options.stderr,
        signal: options.signal,
        clientInfo: options.clientInfo,
        capabilities: options.capabilities ?? {},
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.auth ? { auth: options.auth } : {}),
      },
      (client) => {
        wire(client, options, events, () => opened?.fault());
        version = captureVersion(client);
      },
      channel,
    );
    return new V1Session(opened, factsOf(opened.client, version()));
  }
}
