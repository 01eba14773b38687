import type { CompleteRequest, CompleteResult, GetPromptResult, LoggingLevel, ReadResourceResult } from './protocol/index.js';
import type { PromptInfo, ResourceInfo, ResourceTemplateInfo } from '../machines/types.js';
import type { HealthReport } from './health.js';
import type { ServerStatus } from './serverView.js';
import type { ServerStatusView } from './status.js';
import type { ClientSurface, RequestOptions } from './surface.js';

/**
 * The public methods that only read or route, as the base of `Switchboard`: server status and
 * health, and the MCP surface beyond tools (DESIGN §10) — resources, templates, subscriptions,
 * prompts, completion and logging — each routed through `ClientSurface` into the facade's one
 * request path.
 */
export abstract class SurfaceMethods {
  protected abstract surface(): ClientSurface;
  protected abstract statusView(): ServerStatusView;

  /** One server's status, or undefined when no such server is configured. */
  getServer(name: string): ServerStatus | undefined {
    return this.statusView().getServer(name);
  }

  /** Every configured server's status. */
  listServers(): ServerStatus[] {
    return this.statusView().listServers();
  }

  /** Live ping round trip of every enabled server (or one); error messages are masked. */
  health(server?: string): Promise<Record<string, HealthReport>> {
    return this.statusView().health(server);
  }

  /** Every resource of every enabled server (or of one), from the last known catalogs. */
  listResources(server?: string): ResourceInfo[] {
    return this.surface().listResources(server);
  }

  /** Every resource template of every enabled server (or of one). */
  listResourceTemplates(server?: string): ResourceTemplateInfo[] {
    return this.surface().listResourceTemplates(server);
  }

  /** Every prompt of every enabled server (or of one), with routing names and `available`. */
  listPrompts(server?: string): PromptInfo[] {
    return this.statusView().withAvailability(this.surface().listPrompts(server));
  }

  /** Reads a resource, routed by the catalog uri or a matching template (or `{ server }`); the result is unchanged. */
  readResource(uri: string, options: RequestOptions = {}): Promise<ReadResourceResult> {
    return this.surface().readResource(uri, options);
  }

  /** Subscribes to a resource (`resource.updated` events, re-sent after reconnects); resolves with the unsubscribe function. */
  subscribeResource(uri: string, options: RequestOptions = {}): Promise<() => Promise<void>> {
    return this.surface().subscribeResource(uri, options);
  }

  /** Gets a prompt by bare, qualified or `server__prompt` name; the result is unchanged. */
  getPrompt(name: string, args?: Record<string, string>, options: RequestOptions = {}): Promise<GetPromptResult> {
    return this.surface().getPrompt(name, args, options);
  }

  /** Completes an argument of a prompt or resource template (`completion/complete`). */
  complete(params: CompleteRequest['params'], options: RequestOptions = {}): Promise<CompleteResult> {
    return this.surface().complete(params, options);
  }

  /** Sets the log level of one server, or of every connected server that declares logging. */
  setLogLevel(level: LoggingLevel, options: RequestOptions = {}): Promise<void> {
    return this.surface().setLogLevel(level, options);
  }
}
