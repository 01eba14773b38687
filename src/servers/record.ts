import { ConsentSlot } from '../auth/consent.js';
import type { BreakerGate } from '../breaker/index.js';
import type { RuntimeServer } from '../config/schema.js';
import type { ProtocolSession, TransportSource } from '../protocol/index.js';
import { redactText, secretsOf } from '../secrets/index.js';
import { WatchedStderr } from './watchedStderr.js';

/** What a session reads of its server: config, secrets, stderr tail and the embedder's transport. */
export interface RegisteredServer {
  readonly name: string;
  readonly config: RuntimeServer;
  /** Every value that must never leave the process (from `${VAR}`, headers, env). */
  readonly secrets: readonly string[];
  /** The bounded tail of a stdio server's stderr; its output is also a sign of life while it connects. */
  readonly stderr: WatchedStderr;
  readonly transport: TransportSource | undefined;
}

/** Pings a server's live session (on-demand health); rejects when it does not answer. */
export type Pinger = (signal: AbortSignal) => Promise<void>;

/**
 * One configured server and every piece of runtime state that lives exactly as long as it does
 * (DESIGN §2, STYLE "One record of each fact"): config, secrets, stderr ring, custom transport,
 * breaker gate, the live session and its health probe, resource subscriptions, the open consent
 * flow. Only `Servers` creates and deletes records; removing a server deletes its record and with
 * it everything here, so nothing keyed by its name outlives it. What the machines keep (catalogs,
 * children, failures) stays in their context: that is the inspector's truth.
 */
export class ServerRecord implements RegisteredServer {
  readonly secrets: readonly string[];
  readonly stderr: WatchedStderr;
  /** The live protocol session once it is ready for requests; null otherwise. */
  session: ProtocolSession | null = null;
  /** Answers `health()` for the live session; undefined while none is connected. */
  probe: Pinger | undefined = undefined;
  /** Subscribed resource uris with subscriber counts; every new session re-sends them. */
  readonly subscriptions = new Map<string, number>();
  /** Subscribes in flight by uri, so that simultaneous subscribers wait on one. */
  readonly subscribing = new Map<string, Promise<unknown>>();
  /** The server's one open OAuth consent flow. */
  readonly consent = new ConsentSlot();
  private retired = false;

  constructor(
    readonly config: RuntimeServer,
    readonly transport: TransportSource | undefined,
    /** The breaker gate of the call path for this server. */
    readonly gate: BreakerGate,
  ) {
    this.secrets = secretsOf(config);
    this.stderr = new WatchedStderr(config.limits.stderrBufferBytes);
  }

  get name(): string {
    return this.config.name;
  }

  /** Whether `Servers` deleted this record (a session of the old server may still hold it). */
  get isRetired(): boolean {
    return this.retired;
  }

  /** Masks this server's secrets in `text`. */
  redact(text: string): string {
    return redactText(text, this.secrets);
  }

  /** Registers the live session's pinger; returns the unregister function (a later pinger stays). */
  registerProbe(pinger: Pinger): () => void {
    if (!this.retired) this.probe = pinger;
    return () => {
      if (this.probe === pinger) this.probe = undefined;
    };
  }

  /** Records the live session (null when it is gone); a retired record keeps none. */
  setSession(session: ProtocolSession | null): void {
    this.session = this.retired ? null : session;
  }

  /**
   * Ends the record (only `Servers.delete` calls it): waiting breaker outcomes are applied and no
   * more are taken, subscriptions and the live session are forgotten, an open consent flow closes.
   */
  retire(): void {
    this.retired = true;
    this.gate.close();
    this.session = null;
    this.probe = undefined;
    this.subscriptions.clear();
    this.subscribing.clear();
    void this.consent.close();
  }
}
