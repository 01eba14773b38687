import { isMcpServersShape } from '../config/mcpServers.js';
import { isJsonText, MAX_CONFIG_BYTES, parseConfigText } from '../config/parse.js';
import { FileReadError, readRegularFile } from '../config/readFile.js';
import { resolveConfig, serverNameProblem } from '../config/resolve.js';
import type { ResolvedConfig } from '../config/schema.js';
import { ConfigError, SwitchboardError, type ConfigIssue } from '../core/errors.js';
import { withFileLock, writeFileAtomic } from './atomicWrite.js';
import { deleteJsonMember, setJsonMember } from './jsonEdit.js';
import { keepingLineEndings } from './lineEndings.js';
import { UsageError } from './usage.js';
import { deleteYamlEntry, setYamlEntry } from './yamlEdit.js';

/**
 * `switchboard add` and `remove` on our config file (YAML or JSON, our format or an `mcpServers`
 * file): one server entry changed, every other byte kept (yamlEdit.ts, jsonEdit.ts), the whole
 * result validated as `serve` would read it before anything is written, then written atomically
 * under a lock (atomicWrite.ts). A refused edit leaves the file untouched.
 */

/** Where the servers of a config live: `mcpServers` in a host-style file, `servers` in ours. */
export type ServersKey = 'servers' | 'mcpServers';

/** What an edit did. */
export interface EditOutcome {
  path: string;
  /** The file did not exist before. */
  created: boolean;
  key: ServersKey;
  /** `${VAR}` references this shell cannot expand: the process that runs the config needs them. */
  unsetVariables: ConfigIssue[];
}

/** The text of a file, or undefined when there is none (bounded, regular files only). */
export async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readRegularFile(path, MAX_CONFIG_BYTES);
  } catch (error) {
    if (error instanceof FileReadError && error.code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${error instanceof FileReadError ? error.reason : String(error)}`);
  }
}

const UNSET = /^environment variable ([A-Za-z_][A-Za-z0-9_]*) is not set/;

/**
 * Validates config text as `serve` would load it. Variables this shell does not have are not the
 * edit's fault (the service or the host that runs the config has its own environment): they are
 * returned, and the rest is checked with a stand-in value for each (`config` is then what the
 * stand-ins make of it, or absent). Anything else throws the ConfigError, naming every key path.
 */
export function checkConfigText(text: string, path: string, env: NodeJS.ProcessEnv = process.env): { config?: ResolvedConfig; unset: ConfigIssue[] } {
  const data = parseConfigText(text, path);
  try {
    return { config: resolveConfig(data, { source: path, env }), unset: [] };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const unset = error.issues.filter((i) => UNSET.test(i.message));
    if (unset.length === 0) throw error;
    const standIns = Object.fromEntries(unset.map((i) => [UNSET.exec(i.message)![1]!, '0']));
    const at = new Set(unset.map((i) => i.path));
    try {
      return { config: resolveConfig(data, { source: path, env: { ...env, ...standIns } }), unset };
    } catch (again) {
      if (!(again instanceof ConfigError)) throw again;
      // A stand-in may not fit where the variable stands (a URL, a port): that key was named already.
      const rest = again.issues.filter((i) => !at.has(i.path));
      if (rest.length > 0) throw new ConfigError(rest, path);
      return { unset };
    }
  }
}

/** The data of a config text, or `{}` for a file that is empty (or absent). */
function dataOf(text: string, path: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  const data = parseConfigText(text, path);
  return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}

/** The entry names under `key`. */
function namesOf(data: Record<string, unknown>, key: ServersKey): string[] {
  const servers = data[key];
  return servers !== null && typeof servers === 'object' && !Array.isArray(servers) ? Object.keys(servers) : [];
}

/**
 * Reads the config at `path` (empty when absent), lets `change` compute the new text from the
 * current one, validates it and writes it atomically, all under the file's lock.
 */
async function editConfig(path: string, change: (text: string, key: ServersKey, names: string[]) => string, env: NodeJS.ProcessEnv): Promise<EditOutcome> {
  return withFileLock(path, async () => {
    const before = await readIfPresent(path);
    const text = before ?? '';
    const data = dataOf(text, path);
    const key: ServersKey = isMcpServersShape(data) ? 'mcpServers' : 'servers';
    const names = namesOf(data, key);
    // New lines end as the file's own do (CRLF in a file written on Windows).
    const next = keepingLineEndings(text, (lf) => change(lf, key, names));
    let unset: ConfigIssue[];
    try {
      ({ unset } = checkConfigText(next, path, env));
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(error.issues, `${path} as edited; nothing was written`);
      throw error;
    }
    writeFileAtomic(path, next);
    return { path, created: before === undefined, key, unsetVariables: unset };
  });
}

/** Sets `key.name` in the text, as JSON or YAML as the file is written. */
function setEntry(text: string, path: string, key: ServersKey, name: string, entry: unknown): string {
  return isJsonText(text, path) ? setJsonMember(text, [key, name], entry) : setYamlEntry(text, key, name, entry);
}

/**
 * Adds server `name` to the config at `path`; `entryFor` gives its entry in the file's format
 * (ours or `mcpServers`). An existing name is refused unless `force` (then replaced where it
 * stands). A name that `serverNameProblem` refuses is a usage error.
 */
export async function addServerEntry(
  path: string,
  name: string,
  entryFor: (key: ServersKey) => Record<string, unknown>,
  options: { force?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<EditOutcome & { replaced: boolean }> {
  const problem = serverNameProblem(name);
  if (problem) throw new UsageError(`"${name}": ${problem}`);
  let replaced = false;
  const outcome = await editConfig(
    path,
    (text, key, names) => {
      if (names.includes(name)) {
        if (!options.force) throw new SwitchboardError('InvalidRequest', `server "${name}" already exists in ${path}; use --force to replace it`);
        replaced = true;
      }
      return setEntry(text, path, key, name, entryFor(key));
    },
    options.env ?? process.env,
  );
  return { ...outcome, replaced };
}

/** Removes server `name` from the config at `path`; an unknown name is ServerNotFound naming it. */
export async function removeServerEntry(path: string, name: string, options: { env?: NodeJS.ProcessEnv } = {}): Promise<EditOutcome> {
  return editConfig(
    path,
    (text, key, names) => {
      if (!names.includes(name)) throw new SwitchboardError('ServerNotFound', `no server named "${name}" in ${path}`);
      return isJsonText(text, path) ? deleteJsonMember(text, [key, name]) : deleteYamlEntry(text, key, name);
    },
    options.env ?? process.env,
  );
}
