import MiniSearch from 'minisearch';
import type { ToolInfo } from '../../machines/types.js';
import { InvalidRequestError } from '../core/errors.js';
import { ALIASES, editDistance, editsFor, processTerm, tokenize, verbOf, VERBS } from './terms.js';

export { editDistance, stem, tokenize } from './terms.js';

/**
 * Tool search (DESIGN §17): a MiniSearch index (BM25) over each tool's name, title, description
 * and parameter names (camelCase and snake_case split, light stemming), plus each tool's verb as
 * an `action` (its verb group: "add", "make", "new" are all `create`). Each query word is searched
 * on its own — as written and as a prefix; when the index does not know it, by its closest
 * spellings (transpositions count as one edit); when it is a verb, against the actions — and a
 * tool's score is the sum over words, times the share of the query's words it meets (squared),
 * divided by the words of its name the query does not meet, so `update_event` comes before
 * `update_event_note` for "update event". With the host's own embedding model the ranking is
 * hybrid: a convex combination of the lexical score and the cosine, each scaled by its best
 * candidate. The index is kept per server and brought up to date lazily, on a search, for the
 * servers whose catalog changed since (no call ever waits on it).
 */

/** The host's embedding model: one vector per text, in order. */
export type Embed = (texts: string[]) => Promise<number[][]>;

/** The `search` option of `createSwitchboard`. */
export interface ToolSearchOptions {
  /** Makes the ranking hybrid (lexical + cosine of these embeddings). Defaults to lexical only. */
  embed?: Embed | undefined;
  /**
   * How long one search waits for the embedder (the index's and the query's embeddings) before it
   * answers with the lexical ranking alone; the embeddings still arriving are kept for the next
   * search. Defaults to 5 000 ms.
   */
  embedTimeoutMs?: number | undefined;
}

export const DEFAULT_EMBED_TIMEOUT_MS = 5_000;

/** Options of one search. */
export interface SearchToolsOptions {
  /** How many tools at most. Defaults to 10, at most 100. */
  limit?: number | undefined;
  /** Only this server's tools. */
  server?: string | undefined;
  /** Only the tools it accepts (a gateway view's servers and globs), applied before ranking. */
  filter?: ((tool: ToolInfo) => boolean) | undefined;
}

/** One server's tools as a search source: `keys` change (by identity) when its shown catalog does. */
export interface SearchSource {
  server: string;
  keys: readonly unknown[];
  tools: () => ToolInfo[];
}

export const DEFAULT_SEARCH_LIMIT = 10;
export const MAX_SEARCH_LIMIT = 100;
/** Candidates of each ranking fused in a hybrid search. */
const FUSION_DEPTH = 100;
/** Texts per `embed` call. */
const EMBED_BATCH = 256;

interface Doc {
  id: string;
  name: string;
  title: string;
  description: string;
  params: string;
  server: string;
  /** The verb group of the tool's verb (the first word of its name, else of its title or description). */
  action: string;
}

/** Parameter names of a tool's input schema (top-level properties). */
function paramNames(tool: ToolInfo): string[] {
  const properties = (tool.inputSchema as { properties?: unknown }).properties;
  return properties && typeof properties === 'object' ? Object.keys(properties) : [];
}

/** The text a tool is embedded by. */
export function toolText(tool: ToolInfo): string {
  return [tool.name, tool.title ?? '', tool.description ?? '', paramNames(tool).join(' ')].join(' ').trim();
}

/**
 * The verb group head of a tool's verb: the first word of its name, else the last (`issue_create`),
 * else the first word of its title or description ("Creates a new issue").
 */
function actionOf(tool: ToolInfo): string {
  const name = tokenize(tool.name);
  const candidates = [name[0], name[name.length - 1], tokenize(tool.title ?? '')[0], tokenize(tool.description ?? '')[0]];
  for (const word of candidates) {
    const verb = word === undefined ? undefined : verbOf(word);
    if (verb) return verb;
  }
  return '';
}

/** Best score first; equal scores keep their order (sort is stable). */
const byScore = (a: [string, number], b: [string, number]): number => b[1] - a[1];

function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** The fields searched for a query's words (the `action` field is searched for its verbs only). */
const WORD_FIELDS = ['name', 'title', 'description', 'params', 'server'];
/** Field weights: a tool's own name and title say more than its description. */
const BOOST = { name: 3, title: 2, params: 1, description: 0.7, server: 2 };
/** Weight of a query verb met as a tool's action (relative to the field boosts above). */
const ACTION_BOOST = 1.5;
/** Weight of a spelling correction relative to the word as written. */
const CORRECTION_WEIGHT = 0.7;
/** How strongly tools meeting more of the query's words come first (score × coverage^this). */
const COVERAGE_EXPONENT = 2;
/** How much each word of a tool's name that the query does not meet costs (score / (1 + this × n)). */
const EXTRA_NAME_WORD = 0.5;
/** Share of the hybrid score from the lexical ranking (the rest from cosine similarity). */
const LEXICAL_SHARE = 0.5;

interface WordPlan {
  /** The word as indexed, if the index knows it (then also matched as a prefix). */
  term: string;
  /** Words of the index within a few edits, when the word itself is not in it. */
  corrections: string[];
  /** The verb group head, when the word is a verb. */
  action: string | undefined;
}

const same = (term: string): string => term;

export class ToolSearch {
  private readonly index = new MiniSearch<Doc>({
    fields: ['name', 'title', 'description', 'params', 'server', 'action'],
    tokenize,
    processTerm,
    searchOptions: { processTerm: same, bm25: { k: 1.2, b: 0.5, d: 0.5 } },
  });
  private readonly servers = new Map<string, { keys: readonly unknown[]; ids: string[] }>();
  private readonly tools = new Map<string, ToolInfo>();
  /** Index words (not actions) by the number of tools that have them, and each tool's words. */
  private readonly vocabulary = new Map<string, number>();
  private readonly words = new Map<string, string[]>();
  /** The distinct words of each tool's name, its verb first. */
  private readonly nameWords = new Map<string, string[]>();
  /** Embeddings by tool id, with the text they are of (a changed tool is embedded again). */
  private readonly vectors = new Map<string, { tool: ToolInfo; text: string; vector: number[]; norm: number }>();

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
        const doc: Doc = { id, name: tool.name, title: tool.title ?? '', description: tool.description ?? '', params: paramNames(tool).join(' '), server: tool.server, action: actionOf(tool) };
        docs.push(doc);
        const words = [...new Set(WORD_FIELDS.flatMap((field) => tokenize(doc[field as keyof Doc]).map(processTerm).filter((w): w is string => w !== null)))];
        this.words.set(id, words);
        this.nameWords.set(id, [...new Set(tokenize(tool.name).map(processTerm).filter((w): w is string => w !== null))]);
        for (const word of words) this.vocabulary.set(word, (this.vocabulary.get(word) ?? 0) + 1);
      }
      this.index.addAll(docs);
      this.servers.set(source.server, { keys: source.keys, ids });
    }
    for (const server of [...this.servers.keys()]) if (!seen.has(server)) this.drop(server);
  }

  /** The best matches of `query`, best first. */
  async search(query: string, options: SearchToolsOptions = {}): Promise<ToolInfo[]> {
    if (typeof query !== 'string') throw new InvalidRequestError(`the search query must be a string, not ${query === null ? 'null' : typeof query}`);
    // No number (absent, NaN): the default; anything else clamped to 1..MAX_SEARCH_LIMIT.
    const wanted = typeof options.limit !== 'number' || Number.isNaN(options.limit) ? DEFAULT_SEARCH_LIMIT : Math.floor(options.limit);
    const limit = Math.max(1, Math.min(MAX_SEARCH_LIMIT, wanted));
    const { server, filter } = options;
    // Which tools may be answered, applied inside the ranking: a narrow view must not lose its
    // matches to better ones it cannot show.
    const accept = server === undefined && filter === undefined ? undefined : (tool: ToolInfo) => (server === undefined || tool.server === server) && (filter === undefined || filter(tool));
    const lexical = query.trim() === '' ? new Map<string, number>() : this.lexical(query, accept);
    const ranked = [...lexical.entries()].sort(byScore).map(([id]) => id);
    if (!this.options.embed || query.trim() === '') return this.toTools(ranked.slice(0, limit));
    // The host's embedder failed (its model down, a quota) or hangs: the lexical ranking still answers.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.options.embedTimeoutMs ?? DEFAULT_EMBED_TIMEOUT_MS);
    });
    const semantic = await Promise.race([this.semantic(query, accept).catch(() => undefined), late]).finally(() => clearTimeout(timer));
    if (semantic === undefined) return this.toTools(ranked.slice(0, limit));
    // Convex combination of the two scores, each scaled by its theoretical minimum (0: a lexical
    // miss, an orthogonal vector) and its best candidate's score, so neither ranking's units
    // matter (Bruch et al., "An analysis of fusion functions for hybrid retrieval", 2023).
    const top = ranked.length > 0 ? lexical.get(ranked[0]!)! : 0;
    const high = semantic[0]?.[1] ?? 0;
    const cosines = new Map(semantic);
    const fused = new Map<string, number>();
    for (const id of [...ranked.slice(0, FUSION_DEPTH), ...semantic.slice(0, FUSION_DEPTH).map(([id]) => id)]) {
      if (fused.has(id)) continue;
      const lexicalScore = top > 0 ? (lexical.get(id) ?? 0) / top : 0;
      const semanticScore = high > 0 ? Math.max(0, cosines.get(id) ?? 0) / high : 0;
      fused.set(id, LEXICAL_SHARE * lexicalScore + (1 - LEXICAL_SHARE) * semanticScore);
    }
    return this.toTools([...fused.entries()].sort(byScore).map(([id]) => id).slice(0, limit));
  }

  /**
   * Lexical scores: each query word is searched on its own (BM25 over the fields, as a prefix
   * too, or by its spelling corrections when the index does not know it, and as a verb against
   * the tools' actions); a tool's score is the sum over words, times the share of the query's
   * words it meets (squared), so a tool meeting three words outranks one meeting one word thrice.
   */
  private lexical(query: string, accept: ((tool: ToolInfo) => boolean) | undefined): Map<string, number> {
    const plans = this.plan(query);
    const filter = accept === undefined ? undefined : (result: { id: string }) => {
      const tool = this.tools.get(result.id);
      return tool !== undefined && accept(tool);
    };
    const total = new Map<string, number>();
    const covered = new Map<string, number>();
    const named = new Map<string, Set<string>>();
    const meetName = (id: string, term: string) => {
      const terms = named.get(id) ?? new Set<string>();
      terms.add(term);
      named.set(id, terms);
    };
    for (const plan of plans) {
      const scores = new Map<string, number>();
      const add = (results: Array<{ id: unknown; score: number; match: Record<string, string[]> }>, weight: number) => {
        for (const r of results) {
          const id = r.id as string;
          scores.set(id, Math.max(scores.get(id) ?? 0, r.score * weight));
          for (const [term, fields] of Object.entries(r.match)) if (fields.includes('name')) meetName(id, term);
        }
      };
      const base = { fields: WORD_FIELDS, boost: BOOST, combineWith: 'OR' as const, ...(filter ? { filter } : {}) };
      if (plan.term !== '') add(this.index.search(plan.term, { ...base, prefix: plan.term.length >= 3, weights: { prefix: 0.4, fuzzy: 0 } }), 1);
      for (const correction of plan.corrections) add(this.index.search(correction, { ...base, prefix: false }), CORRECTION_WEIGHT);
      if (plan.action) {
        for (const r of this.index.search(plan.action, { fields: ['action'], ...(filter ? { filter } : {}) })) {
          const id = r.id as string;
          scores.set(id, (scores.get(id) ?? 0) + r.score * ACTION_BOOST);
          const verb = this.nameWords.get(id)?.find((word) => verbOf(word) === plan.action);
          if (verb !== undefined) meetName(id, verb);
        }
      }
      for (const [id, score] of scores) {
        total.set(id, (total.get(id) ?? 0) + score);
        covered.set(id, (covered.get(id) ?? 0) + 1);
      }
    }
    const n = Math.max(1, plans.length);
    for (const [id, score] of total) {
      const extra = (this.nameWords.get(id)?.length ?? 0) - (named.get(id)?.size ?? 0);
      total.set(id, (score * ((covered.get(id) ?? 0) / n) ** COVERAGE_EXPONENT) / (1 + EXTRA_NAME_WORD * Math.max(0, extra)));
    }
    return total;
  }

  /** What each distinct word of a query is searched as. */
  private plan(query: string): WordPlan[] {
    const plans = new Map<string, WordPlan>();
    for (const token of tokenize(query)) {
      let action = verbOf(token);
      const term = processTerm(token);
      if (term === null && action === undefined) continue;
      const key = term ?? token;
      if (plans.has(key)) continue;
      const corrections = (ALIASES[token] ?? []).filter((alias) => this.vocabulary.has(alias));
      // A word the index or the verb groups know is taken as written, never "corrected"; a
      // misspelt verb ("dowload") is corrected to its group too.
      if (term !== null && action === undefined && !this.vocabulary.has(term)) {
        for (const correction of this.corrections(term)) {
          if (this.vocabulary.has(correction)) corrections.push(correction);
          action ??= verbOf(correction);
        }
      }
      plans.set(key, { term: term ?? '', corrections, action });
    }
    return [...plans.values()];
  }

  /** Index words within the edits a misspelling of `word` may carry, the closest ones. */
  private corrections(word: string): string[] {
    const max = editsFor(word);
    if (max === 0) return [];
    let best = max + 1;
    let found: string[] = [];
    const consider = (candidate: string) => {
      if (Math.abs(candidate.length - word.length) > Math.min(max, best)) return;
      const d = editDistance(word, candidate, Math.min(max, best));
      if (d < best) {
        best = d;
        found = [candidate];
      } else if (d === best && d <= max) found.push(candidate);
    };
    for (const candidate of this.vocabulary.keys()) consider(candidate);
    for (const candidate of VERBS.keys()) if (!this.vocabulary.has(candidate)) consider(candidate);
    return found;
  }

  /** Tool ids by cosine to the query's embedding (tools not embedded yet are embedded first). */
  private async semantic(query: string, accept: ((tool: ToolInfo) => boolean) | undefined): Promise<Array<[string, number]>> {
    const embed = this.options.embed!;
    const wanted = [...this.tools.entries()].filter(([, tool]) => accept === undefined || accept(tool));
    // The text is only worked out for a tool object not embedded as such yet.
    const missing = wanted
      .filter(([id, tool]) => this.vectors.get(id)?.tool !== tool)
      .map(([id, tool]) => ({ id, tool, text: toolText(tool) }))
      .filter(({ id, tool, text }) => {
        const held = this.vectors.get(id);
        if (held?.text !== text) return true;
        held.tool = tool;
        return false;
      });
    for (let i = 0; i < missing.length; i += EMBED_BATCH) {
      const batch = missing.slice(i, i + EMBED_BATCH);
      const vectors = await embed(batch.map((m) => m.text));
      batch.forEach((m, j) => {
        const vector = vectors[j];
        // A tool removed while its batch was embedded is not kept.
        if (vector && this.tools.has(m.id)) this.vectors.set(m.id, { tool: m.tool, text: m.text, vector, norm: Math.sqrt(dot(vector, vector)) });
      });
    }
    const [q] = await embed([query]);
    if (!q) return [];
    const qNorm = Math.sqrt(dot(q, q));
    const scored: Array<[string, number]> = [];
    for (const [id, tool] of this.tools) {
      if (accept !== undefined && !accept(tool)) continue;
      const held = this.vectors.get(id);
      if (held) scored.push([id, qNorm === 0 || held.norm === 0 ? 0 : dot(q, held.vector) / (qNorm * held.norm)]);
    }
    return scored.sort(byScore);
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
      for (const word of this.words.get(id) ?? []) {
        const n = (this.vocabulary.get(word) ?? 1) - 1;
        if (n > 0) this.vocabulary.set(word, n);
        else this.vocabulary.delete(word);
      }
      this.words.delete(id);
      this.nameWords.delete(id);
    }
    this.servers.delete(server);
  }
}
