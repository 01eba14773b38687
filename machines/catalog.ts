import type { CatalogKind, ServerCatalog } from './types.js';

/** What changed between two lists of one catalog kind, by key (name, uri or uriTemplate). */
export interface CatalogDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** The key that identifies an entry of each kind. */
export function keyOf(kind: CatalogKind, entry: object): string {
  const record = entry as Record<string, string>;
  return kind === 'resources' ? record.uri! : kind === 'templates' ? record.uriTemplate! : record.name!;
}

/** Compares two lists of one kind; `changed` lists entries whose definition differs. */
export function diffEntries(kind: CatalogKind, before: readonly object[], after: readonly object[]): CatalogDiff {
  const old = new Map(before.map((e) => [keyOf(kind, e), e]));
  const added: string[] = [];
  const changed: string[] = [];
  for (const entry of after) {
    const key = keyOf(kind, entry);
    const previous = old.get(key);
    if (!previous) added.push(key);
    else if (JSON.stringify(previous) !== JSON.stringify(entry)) changed.push(key);
    old.delete(key);
  }
  return { added, removed: [...old.keys()], changed };
}

/** True when a diff holds no change. */
export function isEmptyDiff(diff: CatalogDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;
}

/** An empty catalog (a server not listed yet, or lacking every capability). */
export function emptyCatalog(): ServerCatalog {
  return { tools: [], resources: [], templates: [], prompts: [] };
}
