import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { LoggingMessageNotificationSchema, ToolListChangedNotificationSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ConnectionEvent } from '../../machines/serverConnection.js';
import type { ErrorInfo, ServerFacts, ToolInfo } from '../../machines/types.js';
import type { RuntimeClock } from '../clock.js';
import type { RegisteredServer } from '../registry.js';
import { classifyConnectError, isSessionRejection } from './classify.js';
import { openSession, type OpenSession } from './connect.js';
import { pingServer, requestSignal } from './requests.js';
import { listAllTools, toCatalog } from './tools.js';

/**
 * The lifecycle of connect attempts: each `session.open` builds a fresh SDK Client and transport,
 * initializes and lists the catalog, and reports `session.ready` or `session.failed`; a live
 * session reports its loss once (`session.lost`/`session.expired`). Closing an attempt aborts what
 * it is doing and hands the close (the whole process group, the HTTP DELETE) to `track`, so that
 * `stop()` waits until it is complete.
 */

/** What the attempt lifecycle needs from the session. */
export interface AttemptPorts {
  server: RegisteredServer;
  clock: RuntimeClock;
  clientInfo: { name: string; version: string };
  /** Registers a closing session (or attempt) so that `stop()` can wait for it. */
  track(closing: Promise<unknown>): void;
  log(level: string, message: string): void;
  redact(text: string): string;
  /** Reports to the connection machine (dropped once the session actor stopped). */
  send(event: ConnectionEvent): void;
}

/** One connect attempt. */
export interface Attempt {
  readonly id: number;
  readonly controller: AbortController;
  session: OpenSession | null;
  ready: boolean;
  checking: boolean;
  /** Loss already reported: one attempt ends once. */
  ended: boolean;
}

const lost = (name: string, why: string): ErrorInfo => ({ code: 'ConnectionLost', message: `server "${name}" ${why}`, retryable: true });
const expired = (name: string): ErrorInfo => ({ code: 'SessionExpired', message: `server "${name}" no longer knows the session`, retryable: true });

export class Attempts {
  current: Attempt | null = null;

  constructor(private readonly ports: AttemptPorts) {}

  private get name(): string {
    return this.ports.server.name;
  }

  private redactInfo(info: ErrorInfo): ErrorInfo {
    return { ...info, message: this.ports.redact(info.message) };
  }

  /** Starts attempt `id`, closing any other. */
  open(id: number): void {
    this.close();
    const current: Attempt = { id, controller: new AbortController(), session: null, ready: false, checking: false, ended: false };
    this.current = current;
    const { server } = this.ports;
    const work = (async () => {
      try {
        const session = await openSession(
          { server: server.config, custom: server.transport, stderr: server.stderr, signal: current.controller.signal, clientInfo: this.ports.clientInfo },
          (client) => this.prepare(current, client),
        );
        if (this.current !== current) {
          await session.close();
          return;
        }
        current.session = session;
        const listing = requestSignal(current.controller.signal);
        const tools = await listAllTools(session.client, listing.signal, (message) => this.ports.log('warning', message)).finally(listing.done);
        if (this.current !== current) return;
        current.ready = true;
        this.ports.send({ type: 'session.ready', attemptId: id, at: this.ports.clock.now(), facts: factsOf(session), tools: this.catalog(tools) });
      } catch (error) {
        if (this.current !== current) return;
        const info = classifyConnectError(error, current.session?.retryAfterMs());
        this.ports.send({ type: 'session.failed', attemptId: id, at: this.ports.clock.now(), error: this.redactInfo(info) });
      }
    })();
    this.ports.track(work);
  }

  /** Ends the current attempt: aborts its work and closes its session completely (tracked). */
  close(): void {
    const old = this.current;
    this.current = null;
    if (!old) return;
    old.controller.abort(new Error('session closed'));
    if (old.session) this.ports.track(old.session.close());
  }

  /** Reports the loss of a ready session once. */
  lose(current: Attempt, error: ErrorInfo, isExpired = false): void {
    if (this.current !== current || !current.ready || current.ended) return;
    current.ended = true;
    this.ports.send({ type: isExpired ? 'session.expired' : 'session.lost', attemptId: current.id, at: this.ports.clock.now(), error: this.redactInfo(error) });
  }

  /** A transport error or a timeout may or may not mean the session is gone: ping once to find out. */
  check(current: Attempt): void {
    const session = current.session;
    if (!session || current.checking || this.current !== current) return;
    current.checking = true;
    const controller = new AbortController();
    const clock = this.ports.clock;
    const timer = clock.setTimeout(() => controller.abort(new Error('ping timed out')), this.ports.server.config.health.timeoutMs);
    pingServer(session.client, controller.signal)
      .then(
        () => undefined,
        (error: unknown) => {
          if (isSessionRejection(error)) this.lose(current, expired(this.name), true);
          else this.lose(current, lost(this.name, 'stopped answering'));
        },
      )
      .finally(() => {
        clock.clearTimeout(timer);
        current.checking = false;
      });
  }

  /** A health ping of attempt `id`, answered with `health.passed`/`health.failed`. */
  ping(id: number): void {
    const current = this.current;
    if (!current?.session || current.id !== id) return;
    const { signal, done } = requestSignal(current.controller.signal);
    pingServer(current.session.client, signal)
      .then(
        () => this.ports.send({ type: 'health.passed', attemptId: id }),
        (error: unknown) =>
          this.ports.send({ type: 'health.failed', attemptId: id, error: { code: 'HealthCheckFailed', message: this.ports.redact(String((error as Error)?.message ?? error)) } }),
      )
      .finally(done);
  }

  /** Lists the catalog again (after list_changed) and reports `tools.listed`. */
  relist(id: number): void {
    const current = this.current;
    if (!current?.session || current.id !== id) return;
    const { signal, done } = requestSignal(current.controller.signal);
    listAllTools(current.session.client, signal, (message) => this.ports.log('warning', message))
      .then(
        (tools) => {
          if (this.current !== current) return;
          this.ports.send({ type: 'tools.listed', attemptId: id, tools: this.catalog(tools) });
        },
        (error: unknown) => this.ports.log('warning', this.ports.redact(`relisting tools failed: ${(error as Error)?.message ?? error}`)),
      )
      .finally(done);
  }

  private catalog(tools: readonly Tool[]): ToolInfo[] {
    return toCatalog(this.name, tools, this.ports.server.config.tools);
  }

  private prepare(current: Attempt, client: OpenSession['client']): void {
    client.onclose = () => this.lose(current, lost(this.name, 'closed the connection'));
    client.onerror = (error: Error) => {
      this.ports.log('debug', this.ports.redact(`transport error: ${error.message}`));
      if (!current.ready) return;
      if (error instanceof SseError) this.lose(current, lost(this.name, 'lost its SSE stream'));
      else if (this.ports.server.config.transport === 'http') this.check(current);
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      if (this.current === current) this.ports.send({ type: 'tools.listChanged', attemptId: current.id });
    });
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      const { level, data, logger } = notification.params;
      const text = typeof data === 'string' ? data : JSON.stringify(data);
      this.ports.log(level, this.ports.redact(logger ? `${logger}: ${text}` : text));
    });
  }
}

function factsOf(session: OpenSession): ServerFacts {
  const facts: ServerFacts = {};
  const serverInfo = session.client.getServerVersion();
  const capabilities = session.client.getServerCapabilities();
  const instructions = session.client.getInstructions();
  if (serverInfo) facts.serverInfo = serverInfo;
  if (capabilities) facts.capabilities = capabilities as Record<string, unknown>;
  if (instructions) facts.instructions = instructions;
  return facts;
}
