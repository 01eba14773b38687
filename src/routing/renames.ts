import type { ToolInfo } from '../../machines/types.js';
import { qualifiedName } from './naming.js';

/**
 * Per-server tool renames and description overrides (DESIGN §18: `tools.rename: { from: to }`,
 * `tools.describe: { name: text }`), applied to a server's listed tools before they are indexed,
 * so every place that shows or routes a tool (the facade, the gateway, the admin API, the CLI)
 * sees the new name, `server__to` as its qualified name and the new description, while a call
 * still reaches the server under the server's own name. Filters (`allow`/`deny`) have already
 * matched the server's own names when the catalog was listed.
 *
 * A rename must not make two tools of one server share a name: a rename onto a name that another
 * tool keeps, or two renames onto one name, are skipped (each with a warning) and those tools keep
 * their own names. Renames may swap names (`a: b, b: a`); then `a` calls the server's `b`. A
 * renamed tool's old name is not callable, unless it is another tool's new name.
 */

/** The overrides of one server, as its `tools:` config block carries them. */
export interface ToolOverrides {
  rename?: Readonly<Record<string, string>> | undefined;
  describe?: Readonly<Record<string, string>> | undefined;
}

/** A server's tools as shown, and how to get back to the server's names. */
export interface ShownTools {
  tools: ToolInfo[];
  /** The server's own name of each renamed tool, by its shown name (renamed tools only). */
  originals: Map<string, string>;
  /** Renames that were skipped or name no listed tool, one line each; empty when all applied. */
  warnings: string[];
}

/** Whether `overrides` changes anything. */
export function hasOverrides(overrides: ToolOverrides | undefined): overrides is ToolOverrides {
  return Object.keys(overrides?.rename ?? {}).length > 0 || Object.keys(overrides?.describe ?? {}).length > 0;
}

/** Applies one server's renames and descriptions to its listed tools. */
export function applyOverrides(server: string, tools: readonly ToolInfo[], overrides: ToolOverrides | undefined): ShownTools {
  const originals = new Map<string, string>();
  if (!hasOverrides(overrides)) return { tools: [...tools], originals, warnings: [] };
  const warnings: string[] = [];
  const accepted = acceptedRenames(server, tools, overrides.rename ?? {}, warnings);
  const describe = overrides.describe ?? {};
  const shown = tools.map((tool) => {
    const to = accepted.get(tool.name);
    const description = Object.hasOwn(describe, tool.name) ? describe[tool.name] : undefined;
    if (to === undefined && description === undefined) return tool;
    const next: ToolInfo = { ...tool };
    if (to !== undefined) {
      next.name = to;
      next.qualifiedName = qualifiedName(server, to);
      originals.set(to, tool.name);
    }
    if (description !== undefined) next.description = description;
    return next;
  });
  return { tools: shown, originals, warnings };
}

/**
 * The renames that apply, `from → to`: each names a listed tool, and no two tools end up with one
 * name. Dropping a rename can make another collide (a swap whose other half was dropped), so the
 * check runs until nothing more is dropped; each round only drops, so it ends.
 */
function acceptedRenames(server: string, tools: readonly ToolInfo[], rename: Readonly<Record<string, string>>, warnings: string[]): Map<string, string> {
  const listed = new Set(tools.map((t) => t.name));
  const accepted = new Map<string, string>();
  for (const [from, to] of Object.entries(rename)) {
    if (!listed.has(from)) warnings.push(`server "${server}": tools.rename "${from}" → "${to}" not applied: the server lists no tool "${from}" (or its tools filter hides it)`);
    else if (to !== from) accepted.set(from, to);
  }
  for (let dropped = true; dropped; ) {
    dropped = false;
    const targets = new Map<string, string[]>();
    for (const [from, to] of accepted) targets.set(to, [...(targets.get(to) ?? []), from]);
    for (const [to, froms] of targets) {
      const kept = listed.has(to) && !accepted.has(to);
      if (!kept && froms.length === 1) continue;
      for (const from of froms) accepted.delete(from);
      dropped = true;
      const why = kept ? `"${to}" is a tool of this server that keeps its name` : `several tools would be named "${to}" (${froms.map((f) => `"${f}"`).join(', ')})`;
      warnings.push(`server "${server}": tools.rename ${froms.map((f) => `"${f}"`).join(', ')} → "${to}" skipped: ${why}`);
    }
  }
  return accepted;
}

/**
 * The server's own name for `name` when its catalog is not known yet (never listed): a rename
 * target maps to its source; a source renamed to something else is undefined (not callable by
 * its old name); anything else is itself.
 */
export function unlistedOriginal(name: string, rename: Readonly<Record<string, string>> | undefined): string | undefined {
  if (!rename) return name;
  const sources = Object.entries(rename).filter(([from, to]) => to === name && from !== name);
  if (sources.length === 1) return sources[0]![0];
  if (Object.hasOwn(rename, name) && rename[name] !== name) return undefined;
  return name;
}
