import Fuse from 'fuse.js';
import type { ToolInfo } from '../../machines/types.js';
import { ToolSearch, stem, tokenize, type Embed } from '../../src/search/toolSearch.js';
import { catalog } from './fixtures/catalog.js';
import { QUERIES } from './fixtures/queries.js';

/** A ranker under test: the qualified names of its best 5 for a query. */
export type Ranker = (q: string) => Promise<string[]> | string[];

export interface Figures {
  top1: number;
  top5: number;
  /** Share of the typo queries found first. */
  typos1: number;
  /** Share of the typo queries in the top 5. */
  typos5: number;
  p95Ms: number;
  total: number;
}

export const TOOLS: ToolInfo[] = Object.values(catalog()).flat();

/** Hit rates and the p95 latency of a ranker over QUERIES (each query timed `runs` times). */
export async function measure(rank: Ranker, runs = 5): Promise<Figures> {
  let top1 = 0;
  let top5 = 0;
  let typos1 = 0;
  let typos5 = 0;
  const times: number[] = [];
  for (const { q, expect, typo } of QUERIES) {
    let found: string[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      found = await rank(q);
      times.push(performance.now() - start);
    }
    const at = found.slice(0, 5).indexOf(expect);
    if (at === 0) top1++;
    if (at >= 0) top5++;
    if (typo && at === 0) typos1++;
    if (typo && at >= 0) typos5++;
  }
  times.sort((a, b) => a - b);
  const typos = QUERIES.filter((q) => q.typo).length;
  return { top1: top1 / QUERIES.length, top5: top5 / QUERIES.length, typos1: typos1 / typos, typos5: typos5 / typos, p95Ms: times[Math.floor(times.length * 0.95)]!, total: QUERIES.length };
}

/** The baseline: tools ranked by how many query words occur in their text as substrings. */
export function substringRanker(): Ranker {
  const texts = TOOLS.map((t) => ({ id: t.qualifiedName, text: `${t.name} ${t.description ?? ''} ${Object.keys((t.inputSchema.properties as object) ?? {}).join(' ')}`.toLowerCase() }));
  return (q) => {
    const words = q.toLowerCase().split(/\s+/).filter((w) => w.length > 2);
    return texts
      .map((t) => ({ id: t.id, n: words.filter((w) => t.text.includes(w)).length }))
      .filter((t) => t.n > 0)
      .sort((a, b) => b.n - a.n)
      .slice(0, 5)
      .map((t) => t.id);
  };
}

/** fuse.js (the comparison), its usual setup: weighted keys, extended off, threshold 0.4. */
export function fuseRanker(): Ranker {
  const fuse = new Fuse(
    TOOLS.map((t) => ({ id: t.qualifiedName, name: t.name.replace(/_/g, ' '), description: t.description ?? '', params: Object.keys((t.inputSchema.properties as object) ?? {}).join(' ').replace(/_/g, ' ') })),
    { keys: [{ name: 'name', weight: 3 }, { name: 'description', weight: 1 }, { name: 'params', weight: 1 }], threshold: 0.4, ignoreLocation: true, useExtendedSearch: false },
  );
  return (q) => fuse.search(q, { limit: 5 }).map((r) => r.item.id);
}

/** The switchboard's ToolSearch (MiniSearch), lexical or hybrid. */
export function toolSearchRanker(embed?: Embed): { search: ToolSearch; rank: Ranker } {
  const search = new ToolSearch(embed ? { embed } : {});
  const byServer = catalog();
  search.sync(Object.entries(byServer).map(([server, tools]) => ({ server, keys: [tools], tools: () => tools })));
  return { search, rank: async (q) => (await search.search(q, { limit: 5 })).map((t) => t.qualifiedName) };
}

/** Words that mean the same thing to the test embedder (what a real model knows and a lexical index does not). */
const SYNONYMS: Record<string, string> = {
  bug: 'issue', report: 'issue', raise: 'create', open: 'create', new: 'create', make: 'create', add: 'create', book: 'create', write: 'create', post: 'create', send: 'create', compose: 'create', spin: 'create', deploy: 'create', declare: 'create', give: 'create', run: 'create', apply: 'create', start: 'create', publish: 'create',
  show: 'list', find: 'search', remove: 'delete', cancel: 'delete', move: 'update', set: 'update', chmod: 'permission', mode: 'permission',
  folder: 'directory', dm: 'direct', colleague: 'user', vm: 'instance', virtual: 'instance', machine: 'instance', storage: 'bucket', serverless: 'lambda',
  meeting: 'event', room: 'room', vacation: 'office', responder: 'reply', unsent: 'draft', prospect: 'lead', deal: 'opportunity', money: 'refund', back: 'refund',
  hash: 'checksum', sha256: 'checksum', space: 'usage', hours: 'worklog', worked: 'worklog', emoji: 'reaction', react: 'reaction', mute: 'disturb', silence: 'downtime', maintenance: 'downtime',
  spend: 'cost', spent: 'cost', plan: 'plan', slow: 'plan', pending: 'migration', version: 'release', planning: 'sprint', done: 'transition', push: 'collaborator', on: 'call', page: 'page',
  card: 'charge', dollars: 'charge', annoying: 'blocked', block: 'blocked', security: 'scan', scanning: 'scan', free: 'busy', everybody: 'busy', sql: 'query', select: 'query',
};

/** A deterministic bag-of-words hashing embedder with a synonym table, 256 dimensions. */
export const testEmbed: Embed = async (texts) =>
  texts.map((text) => {
    const v = new Array<number>(256).fill(0);
    for (const word of tokenize(text)) {
      const w = stem(SYNONYMS[word] ?? word);
      let h = 2166136261;
      for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619);
      v[(h >>> 0) % 256]! += 1;
    }
    return v;
  });
