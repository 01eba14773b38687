import type { ToolInfo } from './types.js';

/** What changed between two catalogs of one server, by tool name. */
export interface CatalogDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** Compares two catalogs; `changed` lists tools whose definition differs. */
export function diffCatalog(before: readonly ToolInfo[], after: readonly ToolInfo[]): CatalogDiff {
  const old = new Map(before.map((t) => [t.name, t]));
  const added: string[] = [];
  const changed: string[] = [];
  for (const tool of after) {
    const previous = old.get(tool.name);
    if (!previous) added.push(tool.name);
    else if (JSON.stringify(previous) !== JSON.stringify(tool)) changed.push(tool.name);
    old.delete(tool.name);
  }
  return { added, removed: [...old.keys()], changed };
}

/** True when a diff holds no change. */
export function isEmptyDiff(diff: CatalogDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;
}
