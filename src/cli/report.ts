import type { SwitchboardError } from '../core/errors.js';
import type { CallToolResult } from '../protocol/index.js';
import type { HealthReport } from '../servers/index.js';
import type { ServerProtocol, ServerStatus } from '../servers/index.js';
import type { ErrorInfo, ToolInfo } from '../../machines/types.js';
import { contentText } from './content.js';
import { short, table } from './format.js';
import { jsonText, terminalText } from './terminal.js';

/**
 * What the read commands print, for people (tables on stdout, notes on stderr) and for scripts
 * (`--json`, one document on stdout). Shared by the standalone and the `--url` modes.
 */

const STDERR_LINES = 5;

/**
 * An error as `--json` prints it on stderr: `{ "error": { code, message, ... } }` with the fields
 * its class carries (`retryAfterMs`, `servers` on the ambiguous codes, `issues` on ConfigError),
 * as the admin API sends them.
 */
export function errorJson(error: SwitchboardError): { error: Record<string, unknown> } {
  const body: Record<string, unknown> = { code: error.code, message: error.message };
  if (error.retryAfterMs !== undefined) body.retryAfterMs = error.retryAfterMs;
  if ('servers' in error) body.servers = error.servers;
  if ('issues' in error) body.issues = error.issues;
  return { error: body };
}

/** A server that is enabled but not connected, as `tools` and `health` report it. */
export interface Unavailable {
  server: string;
  state: ServerStatus['state'];
  lastError: ErrorInfo | null;
  /** The last lines the server wrote to stderr (secrets masked). */
  stderrTail: string;
}

/** One human-readable line (or lines) on stdout, escaped for the terminal: it may quote servers. */
export const out = (text: string): void => {
  process.stdout.write(`${terminalText(text, { multiline: true })}\n`);
};
/** One `--json` document on stdout: exact JSON, no raw control character (terminal.ts). */
export const outJson = (value: unknown): void => {
  process.stdout.write(`${jsonText(value)}\n`);
};
/** A note for people on stderr, escaped like `out`. */
export const note = (text: string): void => {
  process.stderr.write(`${terminalText(text, { multiline: true })}\n`);
};

/** The enabled servers that are not connected (of `only`, when given), with what they said last. */
export function unavailableOf(servers: Pick<ServerStatus, 'name' | 'state' | 'lastError' | 'stderrTail'>[], redact: (t: string) => string, only?: string): Unavailable[] {
  return servers
    .filter((s) => (only === undefined || s.name === only) && s.state !== 'connected' && s.state !== 'disabled')
    .map((s) => ({ server: s.name, state: s.state, lastError: s.lastError, stderrTail: redact(s.stderrTail.trimEnd().split('\n').slice(-STDERR_LINES).join('\n')) }));
}

const describe = (u: Unavailable) => `${u.state}${u.lastError ? `, ${u.lastError.code}: ${u.lastError.message}` : ''}`;

/** Tools as a table (unconnected servers noted on stderr) or `{ tools, unavailable }` JSON. */
export function printTools(tools: ToolInfo[], unavailable: Unavailable[], json: boolean | undefined): void {
  if (json) {
    outJson({ tools, unavailable });
    return;
  }
  out(table(['TOOL', 'SERVER', 'QUALIFIED NAME', 'DESCRIPTION'], tools.map((t) => [t.name, t.server, t.qualifiedName, short(t.description)])));
  noteUnavailable(unavailable, 'its tools are not listed');
}

/** Names each unconnected server on stderr with its state, last error and stderr lines. */
export function noteUnavailable(unavailable: Unavailable[], consequence: string): void {
  for (const u of unavailable) {
    note(`warning: server "${u.server}" is not connected (${describe(u)}); ${consequence}`);
    if (u.stderrTail) note(u.stderrTail.split('\n').map((line) => `  ${u.server} stderr: ${line}`).join('\n'));
  }
}

/**
 * A tool result: its text content, images, audio and blobs as `<N bytes of MIME>` (as `read`
 * prints them), structuredContent only when there is no text; or all of it as JSON.
 */
export function printResult(result: CallToolResult, json: boolean | undefined): number {
  if (json) outJson(result);
  else {
    const content = result.content ?? [];
    for (const item of content) out(contentText(item));
    if (result.structuredContent && !content.some((item) => item.type === 'text')) outJson(result.structuredContent);
  }
  return result.isError ? 1 : 0;
}

/**
 * A health report with, for each server that is not connected, its state and last error, and for
 * each connected one the protocol era and version of its session (DESIGN §15).
 */
export type HealthView = HealthReport & { state?: ServerStatus['state']; lastError?: ErrorInfo | null; protocol?: ServerProtocol };

/** The protocol of each connected server, by name (a disconnected server's last one is not "now"). */
export function protocolsOf(servers: Pick<ServerStatus, 'name' | 'state' | 'protocol'>[]): Map<string, ServerProtocol> {
  return new Map(servers.flatMap((s) => (s.state === 'connected' && s.protocol ? [[s.name, s.protocol] as const] : [])));
}

/** Adds the state and last error of unconnected servers, and the protocol of connected ones, to their health reports. */
export function withLastErrors(reports: Record<string, HealthReport>, unavailable: Unavailable[], protocols: ReadonlyMap<string, ServerProtocol> = new Map()): Record<string, HealthView> {
  const byName = new Map(unavailable.map((u) => [u.server, u]));
  return Object.fromEntries(
    Object.entries(reports).map(([name, report]) => {
      const u = report.ok ? undefined : byName.get(name);
      const protocol = protocols.get(name);
      const view: HealthView = u ? { ...report, state: u.state, lastError: u.lastError } : { ...report };
      if (protocol) view.protocol = { era: protocol.era, version: protocol.version };
      return [name, view];
    }),
  );
}

/** Health as a table or JSON; exit 1 when any server is unhealthy. */
export function printHealth(reports: Record<string, HealthView>, json: boolean | undefined): number {
  const healthy = Object.values(reports).every((r) => r.ok);
  if (json) outJson({ healthy, servers: reports });
  else {
    const why = (r: HealthView) => (r.state ? `not connected (${r.state})${r.lastError ? `: ${r.lastError.code}: ${r.lastError.message}` : ''}` : r.error ? `${r.error.code}: ${r.error.message}` : '');
    const protocol = (r: HealthView) => (r.protocol ? `${r.protocol.version} (${r.protocol.era})` : '');
    out(table(['SERVER', 'OK', 'LATENCY', 'PROTOCOL', 'ERROR'], Object.entries(reports).map(([name, r]) => [name, r.ok ? 'yes' : 'no', r.latencyMs !== undefined ? `${r.latencyMs} ms` : '', protocol(r), why(r)])));
  }
  return healthy ? 0 : 1;
}
