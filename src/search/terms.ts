/**
 * The words of tool search (DESIGN §17): how text becomes index terms (tokens, stop words, a
 * light stemmer), which words are verbs of the same group, everyday abbreviations, and the edit
 * distance that spelling corrections are found by. Pure functions and tables; `toolSearch.ts`
 * builds the index and ranks with them.
 */

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
  if (word.endsWith('ied') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('ed') && word.length > 4) return word.slice(0, -2);
  if (word.endsWith('es') && /(ch|sh|x|z)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us')) return word.slice(0, -1);
  return word;
}

/**
 * Verbs that tool names spell one way and people another: each maps to the first word of its
 * group. A tool's verb (the first word of its name, else of its title or description) is indexed
 * as its `action`; a query's verbs are looked up there (besides their own words), so "add",
 * "make" or "new" meet `create_*` tools, while an object word that happens to be a verb ("view",
 * "deploy key", "start date") is indexed only as itself.
 */
const VERB_GROUPS = [
  ['create', 'add', 'new', 'make', 'open', 'raise', 'post', 'send', 'write', 'start', 'publish', 'insert', 'register', 'compose', 'book', 'launch', 'provision', 'spin', 'submit', 'upload', 'generate', 'save', 'declare', 'build', 'setup', 'initiate', 'deploy'],
  ['list', 'show', 'enumerate', 'browse'],
  ['get', 'fetch', 'read', 'retrieve', 'lookup', 'view', 'describe', 'inspect', 'see', 'display', 'load'],
  ['update', 'edit', 'change', 'modify', 'set', 'rename', 'patch', 'move', 'alter', 'adjust', 'replace', 'toggle', 'configure', 'assign'],
  ['delete', 'remove', 'erase', 'destroy', 'drop', 'cancel', 'purge', 'wipe', 'clear', 'terminate', 'revoke', 'unregister', 'kill'],
  ['search', 'find', 'query', 'look', 'locate'],
  ['count', 'tally', 'many'],
  ['export', 'download', 'dump'],
  ['archive', 'hide', 'shelve', 'retire'],
  ['watch', 'subscribe', 'follow', 'monitor', 'notify', 'track', 'listen'],
];
export const VERBS = new Map<string, string>(VERB_GROUPS.flatMap((group) => group.map((word) => [word, group[0]!] as [string, string])));

/** The verb group a word belongs to (by itself or by its stem), if any. */
export const verbOf = (word: string): string | undefined => VERBS.get(word) ?? VERBS.get(stem(word));

/** A word as indexed and searched: stop words dropped, stemmed. */
export const processTerm = (term: string): string | null => (STOP.has(term) ? null : stem(term));

/** Optimal-string-alignment distance (a transposition is one edit), or `max + 1` once past `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
      if (d < best) best = d;
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** Edits a misspelt word of this length may carry: none under 4 letters, one up to 7, then two. */
export const editsFor = (word: string): number => (word.length < 4 ? 0 : word.length < 8 ? 1 : 2);

/**
 * Abbreviations and everyday names of things that tool names spell out: searched besides the
 * word (at the weight of a correction).
 */
export const ALIASES: Record<string, string[]> = {
  repo: ['repository'], pr: ['pull', 'request'], dm: ['direct', 'message'], db: ['database'], dir: ['directory'], folder: ['directory'],
  msg: ['message'], doc: ['document'], img: ['image'], pic: ['image'], org: ['organization'], perm: ['permission'], config: ['configuration'],
  env: ['environment'], auth: ['authentication'], cert: ['certificate'], vm: ['instance'], mail: ['email'], email: ['mail'],
};
