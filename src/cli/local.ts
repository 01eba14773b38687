import { SwitchboardError } from '../core/errors.js';
import type { ServerStatus } from '../servers/index.js';
import { createSwitchboard, type Switchboard } from '../switchboard/switchboard.js';

/**
 * What every command shares: where the config is, the standalone mode (start the configured
 * servers here, do the work, stop them) and the errors both modes raise the same way.
 */

/** The options every command may read; `positionals` are the words after the command's name. */
export interface CommandInput {
  config?: string | undefined;
  url?: string | undefined;
  token?: string | undefined;
  json?: boolean | undefined;
  args?: string | undefined;
  server?: string | undefined;
  timeout?: string | undefined;
  port?: string | undefined;
  host?: string | undefined;
  inspect?: boolean | undefined;
  'inspect-port'?: string | undefined;
  watch?: boolean | undefined;
  force?: boolean | undefined;
  'no-browser'?: boolean | undefined;
  'log-level'?: string | undefined;
  /** `add`: `K=V` for a stdio server's env, and for an http server's headers; `call`: that call's HTTP headers (repeatable). */
  env?: string[] | undefined;
  header?: string[] | undefined;
  /** `add --url`: http (default) or sse. */
  transport?: string | undefined;
  /** `gateway --profile`, `client connect --profile`: a `gateway.profiles` name. */
  profile?: string | undefined;
  /** `client connect`: the host's config file, instead of its usual place. */
  'host-config'?: string | undefined;
  /** `client connect`: the entry's name in the host's file. Defaults to `switchboard`. */
  name?: string | undefined;
  /** `tools --search Q`: the tools that best match Q, best first. */
  search?: string | undefined;
  /** The words before `--`, after the command's name. */
  positionals: string[];
  /** The words after `--` (`add <name> -- <command> [args...]`), untouched by option parsing. */
  commandLine?: string[] | undefined;
}

/** One CLI command: its `--help` text and what it does (resolves with the exit status). */
export interface Command {
  help: string;
  run(input: CommandInput): Promise<number>;
}

/** `--config`, then `SWITCHBOARD_CONFIG`, then `config/switchboard.yaml`. */
export const configPath = (input: CommandInput): string => input.config ?? process.env.SWITCHBOARD_CONFIG ?? 'config/switchboard.yaml';

/** Runs `work` against a switchboard started from the config, then stops it. */
export async function withLocal<T>(input: CommandInput, work: (sb: Switchboard) => Promise<T>): Promise<T> {
  const sb = createSwitchboard({ configPath: configPath(input) });
  try {
    await sb.start();
    return await work(sb);
  } finally {
    await sb.stop();
  }
}

/** The error of `--server` naming a server the config does not have (exit 1, as the API's 404). */
export const notFound = (name: string): SwitchboardError => new SwitchboardError('ServerNotFound', `no server named "${name}"`);

/** The `/mcp/servers` listing, as `--url` mode reads it. */
export type Listing = { servers: ServerStatus[] };

/** The identity redaction: what the service sends is already redacted. */
export const same = (text: string): string => text;
