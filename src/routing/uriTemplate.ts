/**
 * Matching a uri against an RFC 6570 URI template with bounded work, whatever the template says.
 * Templates come from servers: the SDK's `UriTemplate.match` builds a regex from their text, and
 * `{+a}{+b}…{+p}!` (sixteen `(.+)` in a row) backtracks for minutes. Here a template compiles to a
 * small NFA (Thompson construction: literal characters, a character class per operator,
 * repetition, in flat typed arrays) simulated over the uri one character at a time with a set of
 * states, so no input can make it backtrack. Linear is not enough when one server lists a thousand
 * templates of 250 expressions each, so the work is also capped:
 * - routing uses no template longer than `maxLength` characters or with more than
 *   `maxExpressions` expressions (`uriTemplateProblem` says why);
 * - before the NFA, a linear prefilter: the uri is long enough, the literal text the template
 *   starts with (with the character `{#…}`, `{/…}`, `{.…}` or `{;…}` always writes first) starts
 *   it, the literal text the template ends with ends it, and the literal pieces between occur in
 *   order (`indexOf`);
 * - every unit of work (a state visited, a character scanned by the prefilter, a template
 *   character compiled) is charged to a `MatchBudget` that the caller shares across all the
 *   templates it tries for one uri; when it runs out, `matches` answers false and the caller sees
 *   `budget.steps <= 0` (it gave up).
 *
 * What each expression accepts (a boolean match: routing needs no variable values):
 * - literal text: itself;
 * - `{x}`: one or more characters other than the delimiters `/ ? #` (and `,`, which separates the
 *   values of `{x,y}` or `{x*}`);
 * - `{+x}`: one or more of any character (reserved characters allowed);
 * - `{#x}`: `#` then one or more of any character;
 * - `{.x}` `{/x}`: `.` or `/`, then a value as for `{x}`; exploded (`{/x*}`), repeated;
 * - `{;x}`: one or more `;param` (each without `/ ? # ;`);
 * - `{?x,y}` `{&x}`: optional (undefined variables expand to nothing); `?` (or `&`), then
 *   `name=value` pairs joined by `&` with the template's names (any name when exploded), values
 *   without `& #`.
 * An unclosed `{` makes the template invalid: `compileUriTemplate` returns null.
 */
import { buildNfa, CLASSES, type Nfa, prepareScratch, scratch } from './uriTemplateNfa.js';

/** Bounds on template matching; every field has the default shown in `TEMPLATE_LIMITS`. */
export interface TemplateLimits {
  /** Longest template used for routing, in characters (default 1 024). */
  maxLength: number;
  /** Most expressions (`{…}`) in a template used for routing (default 16). */
  maxExpressions: number;
  /**
   * Work allowed to resolve one uri across all templates (default 1 500 000 steps: about 12 ms of
   * CPU, up to ~35 ms with a cold JIT on a loaded 2-core machine): one step is one NFA state
   * visited (7-11 ns), one uri character scanned by the prefilter, or 1/64 of a template character
   * compiled. A 100 KB uri costs a legit template 400 000 (`file:///{+path}`) to 900 000 steps
   * (`{q}{?limit,page}`).
   */
  maxSteps: number;
}

/** The defaults: 1 KiB and 16 expressions per template, 1 500 000 steps per resolved uri. */
export const TEMPLATE_LIMITS: Readonly<TemplateLimits> = Object.freeze({ maxLength: 1024, maxExpressions: 16, maxSteps: 1_500_000 });

/** Work left for one resolve; shared by every template tried, decremented as they run. */
export interface MatchBudget {
  steps: number;
}

/** A compiled template. */
export interface UriTemplateMatcher {
  /** The literal text every matching uri starts with (empty when the template starts with `{x}`). */
  readonly prefix: string;
  /** How many expressions the template has. */
  readonly expressions: number;
  /**
   * Whether `uri` matches, charging `budget` (default: a fresh `TEMPLATE_LIMITS.maxSteps`). False
   * when the budget runs out first: the caller tells that apart by `budget.steps <= 0`.
   */
  matches(uri: string, budget?: MatchBudget): boolean;
}

/** The operators whose expansion always starts with the operator character itself. */
const LEADS = new Set(['#', '.', '/', ';']);

/**
 * Why a template is not used for routing: invalid (an unclosed `{`), too long or too many
 * expressions; undefined when it is fine. Linear, and stops at the first problem.
 */
export function uriTemplateProblem(template: string, limits: Partial<TemplateLimits> = {}): string | undefined {
  const { maxLength, maxExpressions } = { ...TEMPLATE_LIMITS, ...limits };
  if (template.length > maxLength) return `longer than ${maxLength} characters`;
  let expressions = 0;
  for (let i = template.indexOf('{'); i !== -1; i = template.indexOf('{', i)) {
    const close = template.indexOf('}', i);
    if (close === -1) return 'an unclosed "{"';
    if (++expressions > maxExpressions) return `more than ${maxExpressions} expressions`;
    i = close + 1;
  }
  return undefined;
}

/** The literal pieces of a template: anchored at its start and end, and in order between. */
interface Pieces {
  prefix: string;
  suffix: string;
  middle: string[];
  expressions: number;
  /** The shortest uri that can match: the pieces, and one value character an expression but `{?}` `{&}`. */
  minLength: number;
}

function piecesOf(template: string): Pieces {
  const found: string[] = [];
  let current = '';
  let expressions = 0;
  let startsLiteral = true;
  let minLength = 0;
  for (let i = 0; i < template.length; ) {
    if (template[i] !== '{') {
      current += template[i++];
      continue;
    }
    const close = template.indexOf('}', i);
    const lead = template[i + 1]!;
    if (LEADS.has(lead)) current += lead;
    if (lead !== '?' && lead !== '&') minLength++;
    if (expressions === 0) startsLiteral = current.length > 0;
    // Always pushed (even empty) so that found[0] is the prefix when the template starts literal.
    found.push(current);
    current = '';
    expressions++;
    i = close + 1;
  }
  const suffix = current;
  const prefix = startsLiteral ? (found[0] ?? '') : '';
  const middle = found.slice(startsLiteral ? 1 : 0).filter((p) => p.length > 0);
  minLength += [...found, suffix].reduce((sum, piece) => sum + piece.length, 0);
  return { prefix, suffix, middle, expressions, minLength };
}

/** Room for compiled NFAs, in states, shared by the templates compiled with it (see `compileUriTemplate`). */
export interface NfaCache {
  states: number;
}

/**
 * Compiles a template; null when it is not one (an unclosed `{`). Linear in the template's length,
 * whatever its length: the caps of `uriTemplateProblem` are routing's choice, while every call of
 * `matches` is bounded by its budget. The NFA itself is built on the first uri that passes the
 * prefilter (charged to that budget: a template no uri gets near costs only its literal pieces)
 * and kept while `cache` has room (default: always kept); past that it is rebuilt, and charged,
 * on every use, so a catalog of hostile templates cannot grow memory either.
 */
export function compileUriTemplate(template: string, cache?: NfaCache): UriTemplateMatcher | null {
  if (uriTemplateProblem(template, { maxLength: Infinity, maxExpressions: Infinity }) !== undefined) return null;
  const { prefix, suffix, middle, expressions, minLength } = piecesOf(template);
  if (expressions === 0) return { prefix, expressions, matches: (uri, budget = fresh()) => charge(budget, template.length) && uri === template };
  const fixed = prefix.length + suffix.length;
  let kept: Nfa | undefined;
  const nfa = (budget: MatchBudget): Nfa | undefined => {
    if (kept) return kept;
    // Building costs up to ~450 ns a template character here, a step ~7-11 ns: 64 steps a character.
    if (!charge(budget, template.length * 64)) return undefined;
    const built = buildNfa(template);
    if (!cache || cache.states >= built.kind.length) {
      if (cache) cache.states -= built.kind.length;
      kept = built;
    }
    return built;
  };
  return {
    prefix,
    expressions,
    matches(uri, budget = fresh()) {
      if (!charge(budget, fixed + 1) || uri.length < minLength || !uri.startsWith(prefix) || !uri.endsWith(suffix)) return false;
      const end = uri.length - suffix.length;
      let at = prefix.length;
      for (const piece of middle) {
        const found = uri.indexOf(piece, at);
        // Charged for what indexOf scanned, so a thousand templates cannot each scan a long uri.
        if (!charge(budget, (found === -1 ? uri.length : found + piece.length) - at)) return false;
        if (found === -1 || found + piece.length > end) return false;
        at = found + piece.length;
      }
      const built = nfa(budget);
      return built !== undefined && run(built, uri, budget);
    },
  };
}

const fresh = (): MatchBudget => ({ steps: TEMPLATE_LIMITS.maxSteps });

/** Takes `steps` from the budget; false when it is (now) used up. */
function charge(budget: MatchBudget, steps: number): boolean {
  budget.steps -= steps;
  return budget.steps > 0;
}

/**
 * Simulates the NFA over `uri`: every live state advances together, each state at most once per
 * character. Every state visited is one step; the budget is checked once per character, so a run
 * overshoots it by at most one character's worth (the template's state count). A run that gives
 * up answers false; one that reaches the uri's end answers whether it matched, even if that last
 * character used up the budget (a match found stays a match).
 */
function run(nfa: Nfa, uri: string, budget: MatchBudget): boolean {
  const { kind, outStart, outs, start, accept } = nfa;
  prepareScratch(kind.length, uri.length + 1);
  const { seen, stack } = scratch;
  let { current, next, mark } = scratch;
  let steps = 0;
  let count = 0;
  let accepted = false;
  let sp = 0;
  // Closure of the start state; the same loop follows each consuming state below.
  seen[start] = ++mark;
  stack[sp++] = start;
  while (sp > 0) {
    const s = stack[--sp]!;
    steps++;
    if (kind[s] !== -1) current[count++] = s;
    else if (s === accept) accepted = true;
    else for (let e = outStart[s]!; e < outStart[s + 1]!; e++) if (seen[outs[e]!] !== mark) (seen[outs[e]!] = mark), (stack[sp++] = outs[e]!);
  }
  let i = 0;
  for (; i < uri.length && count > 0 && budget.steps - steps > 0; i++) {
    const c = uri.charCodeAt(i);
    mark++;
    accepted = false;
    let nextCount = 0;
    for (let k = 0; k < count; k++) {
      const s = current[k]!;
      const test = kind[s]!;
      steps++;
      if (test <= -2 ? c !== -test - 2 : c < 128 && CLASSES[test * 128 + c] === 0) continue;
      for (let e = outStart[s]!; e < outStart[s + 1]!; e++) if (seen[outs[e]!] !== mark) (seen[outs[e]!] = mark), (stack[sp++] = outs[e]!);
      while (sp > 0) {
        const t = stack[--sp]!;
        steps++;
        if (kind[t] !== -1) next[nextCount++] = t;
        else if (t === accept) accepted = true;
        else for (let e = outStart[t]!; e < outStart[t + 1]!; e++) if (seen[outs[e]!] !== mark) (seen[outs[e]!] = mark), (stack[sp++] = outs[e]!);
      }
    }
    const swap = current;
    current = next;
    next = swap;
    count = nextCount;
  }
  Object.assign(scratch, { current, next, mark });
  budget.steps -= steps;
  return i === uri.length && accepted;
}
