import { mergePolicy } from './config/resolve.js';
import { DEFAULT_POLICY, type PolicyOverrides, type RuntimeServer } from './config/schema.js';
import { redactText, secretsOf } from './redact.js';
import type { TransportSource } from './protocol/index.js';
import { StderrRing } from './protocol/index.js';

/**
 * The one registry of configured servers: every part that needs a server's config, secrets,
 * stderr tail or custom transport (the facade, the session actors, the admin API through the
 * facade) reads it here. The manager's children are the supervised (enabled) subset; nothing else
 * keeps a list of servers.
 */

/** One configured server and the runtime resources that live exactly as long as it does. */
export interface RegisteredServer {
  readonly name: string;
  readonly config: RuntimeServer;
  /** Every value that must never leave the process (from `${VAR}`, headers, env). */
  readonly secrets: readonly string[];
  readonly stderr: StderrRing;
  readonly transport: TransportSource | undefined;
}

export class ServerRegistry {
  private readonly entries = new Map<string, RegisteredServer>();

  /** Registers a server; its name must be new. */
  add(config: RuntimeServer, transport: TransportSource | undefined): RegisteredServer {
    const entry: RegisteredServer = {
      name: config.name,
      config,
      secrets: secretsOf(config),
      stderr: new StderrRing(config.limits.stderrBufferBytes),
      transport,
    };
    this.entries.set(config.name, entry);
    return entry;
  }

  /** Registers a server given only as a transport; it still gets the config's `defaults`. */
  addCustom(name: string, transport: TransportSource, defaults: PolicyOverrides | undefined): RegisteredServer {
    return this.add({ ...mergePolicy(DEFAULT_POLICY, defaults), name, transport: 'custom', enabled: true, secrets: [] }, transport);
  }

  remove(name: string): void {
    this.entries.delete(name);
  }

  get(name: string): RegisteredServer | undefined {
    return this.entries.get(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  isEnabled(name: string): boolean {
    return this.entries.get(name)?.config.enabled === true;
  }

  /** Every registered server, in registration order. */
  all(): RegisteredServer[] {
    return [...this.entries.values()];
  }

  /** Masks one server's secrets in `text`. */
  redact(name: string, text: string): string {
    const entry = this.entries.get(name);
    return entry ? redactText(text, entry.secrets) : text;
  }

  /** Masks every server's secrets in `text`. */
  redactAll(text: string): string {
    let out = text;
    for (const entry of this.entries.values()) out = redactText(out, entry.secrets);
    return out;
  }
}
