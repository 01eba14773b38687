import { performance } from 'node:perf_hooks';
import type { ConnectionEvent } from '../../machines/serverConnection.js';
import type { CatalogKind, ErrorInfo, ServerFacts } from '../../machines/types.js';
import type { RuntimeClock } from '../core/clock.js';
import type { RegisteredServer } from '../servers/index.js';
import type { ServerAuth } from '../auth/create.js';
import {
  connectorFor,
  verdictOf,
  listCatalog,
  type DeclaredCapabilities,
  type EraVerdict,
  type LossReason,
  type ProtocolSession,
  type ServerRequestOptions,
  type SessionEvents,
} from '../protocol/index.js';
import { endConnectSpan, startConnectSpan, type ConnectEnding } from '../traces/index.js';

/**
 * The lifecycle of connect attempts: each `session.open` opens a fresh protocol session (its
 * transport and handshake: src/protocol, whatever the era) and lists the catalog, and reports `session.ready` or `session.failed`; a live
 * session reports its loss once (`session.lost`, with `reason: 'expired'` when the server forgot it). Closing an attempt aborts what
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
  /** What this client declares (sampling, elicitation, roots: only where a handler exists). */
  capabilities: DeclaredCapabilities;
  /** The embedder's handlers of server → client requests, with their bounds (none: undefined). */
  serverRequests(): ServerRequestOptions | undefined;
  /** A subscribed resource changed on the server. */
  resourceUpdated(uri: string): void;
  /** The resource uris subscribed on this server, re-sent after every connect. */
  subscriptions(): readonly string[];
  /** A check of a suspect session found it alive: the calls held meanwhile may go. */
  checked(): void;
  /** This attempt's OAuth (servers with an `auth` block): hooks report the wait for consent. */
  auth(hooks: { onAuthorizing(): void; onAuthorized(): void }): ServerAuth | undefined;
  /** The cluster's health leader (DESIGN §16), when `cluster` is configured: see SharedHealthPort. */
  health?: SharedHealthPort;
}

/** The server a periodic health check is for, as the cluster's health leader sees it. */
export interface HealthTarget {
  name: string;
  transport: string;
  intervalMs: number;
}

/** A health check's result: ok, or the redacted error; the latency is a duration, never a clock reading. */
export interface SharedHealthResult {
  ok: boolean;
  latencyMs?: number;
  error?: ErrorInfo;
}

/**
 * The periodic health check in a cluster (src/cluster/leader.ts): `take` answers a fresh result
 * of the health leader instead of a ping (undefined: ping as always), `report` hands a ping's
 * result over (the leader publishes it). Both are synchronous and local: Redis is never awaited.
 */
export interface SharedHealthPort {
  take(target: HealthTarget): SharedHealthResult | undefined;
  report(target: HealthTarget, result: SharedHealthResult): void;
}

/** One connect attempt. */
export interface Attempt {
  readonly id: number;
  /** When it began, on the runtime clock. */
  readonly startedAt: number;
  readonly controller: AbortController;
  session: ProtocolSession | null;
  ready: boolean;
  checking: boolean;
  /** Loss already reported: one attempt ends once. */
  ended: boolean;
  /** Masks what this attempt's authorization flows have seen. */
  redact?: (text: string) => string;
  /** The last sign of life reported (`session.progressed`), and the timer of the next one when due. */
  lastSign: number;
  signTimer: unknown;
}

/** At most one sign of life a second (a quarter of a shorter connect deadline), so a chatty start costs few events. */
function signEveryMs(connectMs: number): number {
  return Math.max(1, Math.min(1_000, Math.floor(connectMs / 4)));
}

/** Failures of a connect that cannot come from speaking the wrong era. */
function saysNothingOfEra(info: ErrorInfo): boolean {
  return info.code === 'ConnectionClosed' || info.code === 'AuthRequired' || /^E[A-Z]+$/.test(info.code) || /^HTTP5\d\d$/.test(info.code);
}

const lost = (name: string, why: string): ErrorInfo => ({ code: 'ConnectionLost', message: `server "${name}" ${why}`, retryable: true });
const expired = (name: string): ErrorInfo => ({ code: 'SessionExpired', message: `server "${name}" no longer knows the session`, retryable: true });

export class Attempts {
  current: Attempt | null = null;
  /**
   * The protocol era found for this server (DESIGN §15): handed to the next connect so it sends no
   * `server/discover` of its own; forgotten when a connect with it fails. A config change makes a
   * new session actor, and so a new probe.
   */
  private verdict: EraVerdict | undefined;
  /** A session of this server was ready once: later attempts are traced as reconnects. */
  private connectedBefore = false;

  constructor(private readonly ports: AttemptPorts) {}

  private get name(): string {
    return this.ports.server.name;
  }

  private redactInfo(info: ErrorInfo, attempt: Attempt | null = this.current): ErrorInfo {
    const message = this.ports.redact(info.message);
    return { ...info, message: attempt?.redact ? attempt.redact(message) : message };
  }

  /** Starts attempt `id`, closing any other. */
  open(id: number): void {
    this.close();
    const current: Attempt = {
      id,
      startedAt: this.ports.clock.now(),
      controller: new AbortController(),
      session: null,
      ready: false,
      checking: false,
      ended: false,
      lastSign: -Infinity,
      signTimer: null,
    };
    this.current = current;
    const { server } = this.ports;
    const auth = this.ports.auth({
      onAuthorizing: () => {
        if (this.current === current) this.ports.send({ type: 'session.authorizing', attemptId: id });
      },
      onAuthorized: () => {
        if (this.current === current) this.ports.send({ type: 'session.authorized', attemptId: id });
      },
    });
    // Flow secrets (tokens, codes, verifiers) are masked in everything this attempt reports.
    if (auth) current.redact = (text) => auth.redact(text);
    const span = startConnectSpan(server.name, id, this.connectedBefore);
    let spanOpen = true;
    const traced = (ending: ConnectEnding): void => {
      if (spanOpen) endConnectSpan(span, ending);
      spanOpen = false;
    };
    const work = (async () => {
      try {
        const connector = connectorFor(server.config);
        const serverRequests = this.ports.serverRequests();
        const session = await connector.open(
          {
            server: server.config,
            custom: server.transport,
            stderr: server.stderr,
            signal: current.controller.signal,
            clientInfo: this.ports.clientInfo,
            capabilities: this.ports.capabilities,
            clock: this.ports.clock,
            warn: this.warn,
            ...(this.verdict ? { prior: this.verdict } : {}),
            ...(serverRequests ? { serverRequests } : {}),
            ...(auth ? { auth } : {}),
          },
          this.events(current),
        );
        if (this.current !== current) {
          traced({ outcome: 'superseded' });
          await session.close();
          return;
        }
        this.verdict = session.facts.verdict;
        current.session = session;
        const catalog = await listCatalog(session, this.listingServer(), current.controller.signal, this.warn);
        if (this.current !== current) return traced({ outcome: 'superseded' });
        current.ready = true;
        this.connectedBefore = true;
        traced({ outcome: 'connected', era: session.facts.era, protocolVersion: session.facts.protocolVersion });
        this.stopSigns(current);
        this.resubscribe(current);
        this.ports.send({ type: 'session.ready', attemptId: id, at: this.ports.clock.now(), facts: factsOf(session), catalog: { tools: [], resources: [], templates: [], prompts: [], ...catalog } });
      } catch (error) {
        if (this.current !== current) return traced({ outcome: 'superseded' });
        const info = connectorFor(server.config).connectFailure(error, current.session ?? undefined, server.config.limits.maxMessageBytes);
        // A remembered era that fails to connect in a way that may be the era's is asked again next
        // time (the server may have changed; a modern one adopted without a round trip fails only at
        // the first listing, after open). A process that cannot start, a network failure or an auth
        // refusal says nothing about the era: it stays. A connect that failed but found the era
        // after all (a slow modern server, a broken probe) hands that on.
        this.verdict = verdictOf(error) ?? (saysNothingOfEra(info) ? this.verdict : undefined);
        traced({ outcome: 'failed', errorCode: info.code });
        this.ports.send({ type: 'session.failed', attemptId: id, at: this.ports.clock.now(), error: this.redactInfo(info, current) });
      }
    })();
    this.ports.track(work);
  }

  /**
   * The server wrote output while its attempt connects: a sign of life for the connection machine
   * (`session.progressed`, which restarts the connect deadline). One at most every `signEveryMs`,
   * and one more at the end of that interval for output in between, so the deadline never comes
   * sooner after the last output than the connect deadline says.
   */
  showedLife(): void {
    const current = this.current;
    if (!current || current.ready || current.signTimer !== null) return;
    const { clock } = this.ports;
    const wait = current.lastSign + signEveryMs(this.ports.server.config.timeouts.connectMs) - clock.now();
    if (wait <= 0) {
      this.sign(current);
      return;
    }
    current.signTimer = clock.setTimeout(() => {
      current.signTimer = null;
      if (this.current === current && !current.ready) this.sign(current);
    }, wait);
  }

  private sign(current: Attempt): void {
    const now = this.ports.clock.now();
    current.lastSign = now;
    this.ports.send({ type: 'session.progressed', attemptId: current.id, elapsedMs: now - current.startedAt });
  }

  private stopSigns(attempt: Attempt): void {
    if (attempt.signTimer === null) return;
    this.ports.clock.clearTimeout(attempt.signTimer);
    attempt.signTimer = null;
  }

  /** Ends the current attempt: aborts its work and closes its session completely (tracked). */
  close(): void {
    const old = this.current;
    this.current = null;
    if (!old) return;
    this.stopSigns(old);
    old.controller.abort(new Error('session closed'));
    if (old.session) this.ports.track(old.session.close());
  }

  /** Reports the loss of a ready session once. */
  lose(current: Attempt, error: ErrorInfo, isExpired = false): void {
    if (this.current !== current || !current.ready || current.ended) return;
    current.ended = true;
    this.ports.send({ type: 'session.lost', reason: isExpired ? 'expired' : 'closed', attemptId: current.id, at: this.ports.clock.now(), error: this.redactInfo(error, current) });
  }

  /** A transport error or a timeout may or may not mean the session is gone: probe once to find out. */
  check(current: Attempt): void {
    const session = current.session;
    if (!session || current.checking || this.current !== current) return;
    current.checking = true;
    const controller = new AbortController();
    const clock = this.ports.clock;
    const timer = clock.setTimeout(() => controller.abort(new Error('ping timed out')), this.ports.server.config.health.timeoutMs);
    session
      .probe(controller.signal)
      .then(
        () => undefined,
        (error: unknown) => {
          if (session.expired(error)) this.lose(current, expired(this.name), true);
          else this.lose(current, lost(this.name, 'stopped answering'));
        },
      )
      .finally(() => {
        clock.clearTimeout(timer);
        current.checking = false;
        if (this.current === current && !current.ended) this.ports.checked();
      });
  }

  /** A health probe of attempt `id`, answered with `health.passed`/`health.failed`. */
  ping(id: number): void {
    const current = this.current;
    if (!current?.session || current.id !== id) return;
    const { config } = this.ports.server;
    const target: HealthTarget = { name: this.name, transport: config.transport, intervalMs: config.health.intervalMs };
    // In a cluster, a fresh result of the health leader stands in for the ping.
    const shared = this.ports.health?.take(target);
    if (shared) {
      queueMicrotask(() => {
        if (this.current !== current || current.ended) return;
        this.ports.send(shared.ok ? { type: 'health.passed', attemptId: id } : { type: 'health.failed', attemptId: id, error: shared.error ?? { code: 'HealthCheckFailed', message: 'the health leader saw it fail' } });
      });
      return;
    }
    const started = performance.now();
    current.session.probe(current.controller.signal).then(
      () => {
        this.ports.health?.report(target, { ok: true, latencyMs: Math.round((performance.now() - started) * 1000) / 1000 });
        this.ports.send({ type: 'health.passed', attemptId: id });
      },
      (error: unknown) => {
        const info = { code: 'HealthCheckFailed', message: this.ports.redact(String((error as Error)?.message ?? error)) };
        // A ping cut off by closing the attempt says nothing about the server.
        if (!current.controller.signal.aborted) this.ports.health?.report(target, { ok: false, error: info });
        this.ports.send({ type: 'health.failed', attemptId: id, error: info });
      },
    );
  }

  /** Lists the stale kinds again (after list_changed) and reports `catalog.listed`. */
  relist(id: number, kinds: readonly CatalogKind[]): void {
    const current = this.current;
    if (!current?.session || current.id !== id || kinds.length === 0) return;
    listCatalog(current.session, this.listingServer(), current.controller.signal, this.warn, kinds).then(
      (catalog) => {
        if (this.current === current) this.ports.send({ type: 'catalog.listed', attemptId: id, catalog });
      },
      (error: unknown) => this.ports.log('warning', this.ports.redact(`relisting ${kinds.join(', ')} failed: ${(error as Error)?.message ?? error}`)),
    );
  }

  /** Sends `resources/subscribe` for every subscribed uri again: a fresh session knows none. */
  private resubscribe(current: Attempt): void {
    const session = current.session;
    if (!session?.facts.capabilities?.resources?.subscribe) return;
    for (const uri of this.ports.subscriptions()) {
      session
        .subscribe(uri, current.controller.signal)
        .catch((error: unknown) => this.ports.log('warning', this.ports.redact(`re-subscribing to ${uri} failed: ${(error as Error)?.message ?? error}`)));
    }
  }

  private readonly warn = (message: string): void => this.ports.log('warning', this.ports.redact(message));

  private listingServer(): { name: string; tools?: { allow?: string[]; deny?: string[] } } {
    const { config } = this.ports.server;
    return config.tools ? { name: this.name, tools: config.tools } : { name: this.name };
  }

  /** What the attempt's session reports, dropped once another attempt took its place. */
  private events(current: Attempt): SessionEvents {
    const why: Record<LossReason, (error?: Error) => string> = {
      closed: () => 'closed the connection',
      faulted: (error) => `was disconnected: ${error?.message ?? 'its output broke the protocol'}`,
      streamLost: () => 'lost its SSE stream',
    };
    return {
      lost: (reason, error) => this.lose(current, lost(this.name, why[reason](error))),
      suspect: () => {
        if (current.ready) this.check(current);
      },
      transportError: (error) => this.ports.log('debug', this.ports.redact(`transport error: ${error.message}`)),
      listChanged: (kind) => {
        if (this.current === current) this.ports.send({ type: 'catalog.listChanged', attemptId: current.id, kind });
      },
      resourceUpdated: (uri) => {
        if (this.current === current) this.ports.resourceUpdated(uri);
      },
      log: (level, message) => this.ports.log(level, this.ports.redact(message)),
    };
  }
}

function factsOf(session: ProtocolSession): ServerFacts {
  const { serverInfo, capabilities, instructions, protocolVersion } = session.facts;
  const facts: ServerFacts = { era: session.facts.era };
  if (serverInfo) facts.serverInfo = serverInfo;
  if (capabilities) facts.capabilities = capabilities as Record<string, unknown>;
  if (instructions) facts.instructions = instructions;
  if (protocolVersion) facts.protocolVersion = protocolVersion;
  return facts;
}
