import MiniSearch from 'minisearch';
import type { ToolInfo } from '../../machines/types.js';

/**
 * Tool search (DESIGN §17): a MiniSearch index over each tool's name, title, description and
 * parameter names (typo-tolerant: fuzzy and prefix terms, camelCase and snake_case split, light
 * stemming), optionally made hybrid with the host's own embedding model: lexical and cosine ranks
 * combined by reciprocal-rank fusion. The index is kept per server and brought up to date lazily,
 * on a search, for the servers whose catalog changed since (no call ever waits on it).
 */

/** The host's embedding model: one vector per text, in order. */
export type Embed = (texts: string[]) => Promise<number[][]>;

/** The `search` option of `createSwitchboard`. */
export interface ToolSearchOptions {
  /** Makes the ranking hybrid (lexical + cosine of these embeddings). Defaults to lexical only. */
  embed?: Embed | undefined;
}

/** Options of one search. */
export interface SearchToolsOptions {
  /** How many tools at most. Defaults to 10, at most 100. */
  limit?: number | undefined;
  /** Only this server's tools. */
  server?: string | undefined;
}

/** One server's tools as a search source: `keys` change (by identity) when its shown catalog does. */
export interface SearchSource {
  server: string;
  keys: readonly unknown[];
  tools: () => ToolInfo[];
}

export const DEFAULT_SEARCH_LIMIT = 10;
export const MAX_SEARCH_LIMIT = 100;
/** Reciprocal-rank fusion constant (the usual 60). */
const RRF_K = 60;
/** Lexical candidates fused with the embedding ranking. */
const LEXICAL_DEPTH = 100;
/** Texts per `embed` call. */
const EMBED_BATCH = 256;

interface Doc {
  id: string;
  name: string;
  title: string;
  description: string;
  params: string;
  server: string;
}

/** Words of a text: split on non-alphanumerics and camelCase humps, lowercased. */
export function tokenize(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}

const STOP = new Set(['a', 'an', 'the', 'of', 'to', 'in', 'on', 'for', 'and', 'or', 'by', 'with', 'from', 'is', 'it', 'my', 'me', 'i', 'all', 'this', 'that', 'be', 'as', 'at', 'into', 'its', 'some', 'any']);

/** A light English stemmer (plural and verb endings), enough to meet "issues" with "issue". */
export function stem(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (word.endsWith('ing') && word.length > 5) return word.slice(0, -3);
  if (word.endsWith('ed') && word.length > 4) return word.slice(0, -2);
  if (word.endsWith('es') && /(ch|sh|x|z)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us')) return word.slice(0, -1);
  return word;
}

/**
 * Verbs that tool names spell one way and people another: each is indexed and searched as the
 * first word of its group, so "add", "make" or "new" meet `create_*` tools.
 */
const VERB_GROUPS = [
  ['create', 'add', 'new', 'make', 'open', 'raise', 'post', 'send', 'write', 'start', 'publish', 'insert', 'register', 'compose', 'book'],
  ['list', 'show', 'enumerate', 'browse'],
  ['get', 'fetch', 'read', 'retrieve', 'lookup', 'view', 'describe'],
  ['update', 'edit', 'change', 'modify', 'set', 'rename', 'patch'],
  ['delete', 'remove', 'erase', 'destroy', 'drop', 'cancel'],
  ['search', 'find', 'query', 'look'],
  ['count', 'tally', 'many'],
  ['export', 'download', 'dump'],
  ['watch', 'subscribe', 'follow', 'monitor', 'notify'],
];
const VERBS = new Map<string, string>(VERB_GROUPS.flatMap((group) => group.map((word) => [word, group[0]!] as [string, string])));

const processTerm = (term: string): string | null => {
  if (STOP.has(term)) return null;
  const stemmed = stem(term);
  return VERBS.get(term) ?? VERBS.get(stemmed) ?? stemmed;
};

/** Parameter names of a tool's input schema (top-level properties). */
function paramNames(tool: ToolInfo): string[] {
  const properties = (tool.inputSchema as { properties?: unknown }).properties;
  return properties && typeof properties === 'object' ? Object.keys(properties) : [];
}

/** The text a tool is embedded by. */
export function toolText(tool: ToolInfo): string {
  return [tool.name, tool.title ?? '', tool.description ?? '', paramNames(tool).join(' ')].join(' ').trim();
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

export class ToolSearch {
  private readonly index = new MiniSearch<Doc>({
    fields: ['name', 'title', 'description', 'params', 'server'],
    tokenize,
    processTerm,
    searchOptions: {
      boost: { name: 4, title: 2, params: 1, description: 0.5, server: 2 },
      fuzzy: (term) => (term.length >= 4 ? 0.25 : false),
      prefix: (term) => term.length >= 3,
      weights: { fuzzy: 0.3, prefix: 0.5 },
      combineWith: 'OR',
    },
  });
  private readonly servers = new Map<string, { keys: readonly unknown[]; ids: string[] }>();
  private readonly tools = new Map<string, ToolInfo>();
  /** Embeddings by tool id, with the text they are of (a changed tool is embedded again). */
  private readonly vectors = new Map<string, { text: string; vector: number[] }>();

  constructor(private readonly options: ToolSearchOptions = {}) {}

  /** Number of tools indexed. */
  get size(): number {
    return this.tools.size;
  }

  /**
   * Brings the index up to date with `sources`: a server whose keys changed is re-indexed, one
   * that is gone is dropped, the others are not touched.
   */
  sync(sources: readonly SearchSource[]): void {
    const seen = new Set<string>();
    for (const source of sources) {
      seen.add(source.server);
      const held = this.servers.get(source.server);
      if (held && held.keys.length === source.keys.length && held.keys.every((k, i) => k === source.keys[i])) continue;
      this.drop(source.server);
      const ids: string[] = [];
      const docs: Doc[] = [];
      for (const tool of source.tools()) {
        const id = `${tool.server}\u0000${tool.name}`;
        if (this.tools.has(id)) continue;
        ids.push(id);
        this.tools.set(id, tool);
        docs.push({ id, name: tool.name, title: tool.title ?? '', description: tool.description ?? '', params: paramNames(tool).join(' '), server: tool.server });
      }
      this.index.addAll(docs);
      this.servers.set(source.server, { keys: source.keys, ids });
    }
    for (const server of [...this.servers.keys()]) if (!seen.has(server)) this.drop(server);
  }

  /** The best matches of `query`, best first. */
  async search(query: string, options: SearchToolsOptions = {}): Promise<ToolInfo[]> {
    const limit = Math.max(1, Math.min(MAX_SEARCH_LIMIT, Math.floor(options.limit ?? DEFAULT_SEARCH_LIMIT)));
    const server = options.server;
    const filter = server === undefined ? undefined : (result: { id: string }) => this.tools.get(result.id)?.server === server;
    const lexical = query.trim() === '' ? [] : this.index.search(query, filter ? { filter } : {}).map((r) => r.id as string);
    if (!this.options.embed || query.trim() === '') return this.toTools(lexical.slice(0, limit));
    const semantic = await this.semantic(query, server);
    const fused = new Map<string, number>();
    lexical.slice(0, LEXICAL_DEPTH).forEach((id, rank) => fused.set(id, 1 / (RRF_K + rank + 1)));
    semantic.slice(0, LEXICAL_DEPTH).forEach((id, rank) => fused.set(id, (fused.get(id) ?? 0) + 1 / (RRF_K + rank + 1)));
    const ranked = [...fused.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
    return this.toTools(ranked.slice(0, limit));
  }

  /** Tool ids by cosine to the query's embedding (tools not embedded yet are embedded first). */
  private async semantic(query: string, server: string | undefined): Promise<string[]> {
    const embed = this.options.embed!;
    const wanted = [...this.tools.entries()].filter(([, tool]) => server === undefined || tool.server === server);
    const missing = wanted.map(([id, tool]) => ({ id, text: toolText(tool) })).filter(({ id, text }) => this.vectors.get(id)?.text !== text);
    for (let i = 0; i < missing.length; i += EMBED_BATCH) {
      const batch = missing.slice(i, i + EMBED_BATCH);
      const vectors = await embed(batch.map((m) => m.text));
      batch.forEach((m, j) => {
        const vector = vectors[j];
        // A tool removed while its batch was embedded is not kept.
        if (vector && this.tools.has(m.id)) this.vectors.set(m.id, { text: m.text, vector });
      });
    }
    const [q] = await embed([query]);
    if (!q) return [];
    const scored: Array<[string, number]> = [];
    for (const [id, tool] of this.tools) {
      if (server !== undefined && tool.server !== server) continue;
      const held = this.vectors.get(id);
      if (held) scored.push([id, cosine(q, held.vector)]);
    }
    return scored.sort((a, b) => b[1] - a[1]).map(([id]) => id);
  }

  private toTools(ids: string[]): ToolInfo[] {
    return ids.map((id) => this.tools.get(id)).filter((tool): tool is ToolInfo => tool !== undefined);
  }

  private drop(server: string): void {
    const held = this.servers.get(server);
    if (!held) return;
    for (const id of held.ids) {
      this.index.discard(id);
      this.tools.delete(id);
      this.vectors.delete(id);
    }
    this.servers.delete(server);
  }
}
