/**
 * Matching a uri against an RFC 6570 URI template in O(uri length × template size), whatever the
 * template says. Templates come from servers: the SDK's `UriTemplate.match` builds a regex from
 * their text, and `{+a}{+b}…{+p}!` (sixteen `(.+)` in a row) backtracks for minutes on a uri that
 * does not end in `!`. Here a template compiles to a small NFA (Thompson construction: literal
 * characters, a character class per operator, repetition) that is simulated over the uri one
 * character at a time with a set of states, so no input can make it backtrack.
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

type Test = (code: number) => boolean;

/** One NFA state: consumes one character passing `test` (then goes to `out`), or none (epsilon). */
interface State {
  test: Test | null;
  out: number[];
}

/** A piece of NFA under construction: where it starts and its (epsilon) end, still to be linked. */
interface Fragment {
  start: number;
  end: number;
}

const code = (ch: string) => ch.charCodeAt(0);
const ANY: Test = () => true;
const except = (chars: string): Test => {
  const excluded = new Set([...chars].map(code));
  return (c) => !excluded.has(c);
};
const is =
  (c0: number): Test =>
  (c) =>
    c === c0;

/** The operators of RFC 6570 level 4; any other first character belongs to the variable name. */
const OPERATORS = new Set(['+', '#', '.', '/', ';', '?', '&']);

/** A compiled template: `matches(uri)` runs in O(uri length × states). */
export interface UriTemplateMatcher {
  matches(uri: string): boolean;
}

class Nfa {
  readonly states: State[] = [];

  private state(test: Test | null): number {
    this.states.push({ test, out: [] });
    return this.states.length - 1;
  }

  empty(): Fragment {
    const s = this.state(null);
    return { start: s, end: s };
  }

  char(test: Test): Fragment {
    const start = this.state(test);
    const end = this.state(null);
    this.states[start]!.out.push(end);
    return { start, end };
  }

  literal(text: string): Fragment {
    return this.seq(...[...text].map((ch) => this.char(is(code(ch)))));
  }

  seq(...parts: Fragment[]): Fragment {
    if (parts.length === 0) return this.empty();
    for (let i = 1; i < parts.length; i++) this.states[parts[i - 1]!.end]!.out.push(parts[i]!.start);
    return { start: parts[0]!.start, end: parts[parts.length - 1]!.end };
  }

  alt(...parts: Fragment[]): Fragment {
    const start = this.state(null);
    const end = this.state(null);
    for (const part of parts) {
      this.states[start]!.out.push(part.start);
      this.states[part.end]!.out.push(end);
    }
    return { start, end };
  }

  /** One or more of `part` (a loop from its end back to its start). */
  plus(part: Fragment): Fragment {
    const end = this.state(null);
    this.states[part.end]!.out.push(part.start, end);
    return { start: part.start, end };
  }

  optional(part: Fragment): Fragment {
    return this.alt(part, this.empty());
  }

  /** `first (separator first)*`, built from a factory because each copy needs its own states. */
  list(item: () => Fragment, separator: string): Fragment {
    return this.seq(item(), this.optional(this.plus(this.seq(this.literal(separator), item()))));
  }
}

const SIMPLE = except('/?#,');

/** The fragment of one expression (the text between `{` and `}`). */
function expression(nfa: Nfa, text: string): Fragment {
  const operator = OPERATORS.has(text[0] ?? '') ? text[0]! : '';
  const specs = text.slice(operator.length).split(',').map((v) => v.trim()).filter((v) => v.length > 0);
  const exploded = specs.some((v) => v.endsWith('*'));
  const names = specs.map((v) => v.replace(/\*$/, '').replace(/:\d+$/, ''));
  const several = exploded || names.length > 1;
  const value = (test: Test) => () => nfa.plus(nfa.char(test));
  const values = (test: Test, separator = ',') => (several ? nfa.list(value(test), separator) : value(test)());
  switch (operator) {
    case '+':
      return value(ANY)();
    case '#':
      return nfa.seq(nfa.literal('#'), value(ANY)());
    case '.':
    case '/': {
      const prefixed = () => nfa.seq(nfa.literal(operator), values(SIMPLE));
      return exploded ? nfa.plus(prefixed()) : prefixed();
    }
    case ';':
      return nfa.plus(nfa.seq(nfa.literal(';'), value(except('/?#;'))()));
    case '?':
    case '&': {
      const pairValue = () => nfa.plus(nfa.char(except('&#')));
      const pair = (): Fragment => {
        if (exploded || names.length === 0) return nfa.seq(value(except('&#='))(), nfa.optional(nfa.seq(nfa.literal('='), nfa.optional(pairValue()))));
        return nfa.alt(...names.map((name) => nfa.seq(nfa.literal(`${name}=`), nfa.optional(pairValue()))));
      };
      return nfa.optional(nfa.seq(nfa.literal(operator), nfa.list(pair, '&')));
    }
    default:
      return values(SIMPLE);
  }
}

/** Compiles a template; null when it is not one (an unclosed `{`). Linear in the template's length. */
export function compileUriTemplate(template: string): UriTemplateMatcher | null {
  const nfa = new Nfa();
  const parts: Fragment[] = [];
  let literal = '';
  for (let i = 0; i < template.length; ) {
    if (template[i] !== '{') {
      literal += template[i++];
      continue;
    }
    const close = template.indexOf('}', i);
    if (close === -1) return null;
    if (literal) parts.push(nfa.literal(literal));
    literal = '';
    parts.push(expression(nfa, template.slice(i + 1, close)));
    i = close + 1;
  }
  if (literal) parts.push(nfa.literal(literal));
  const whole = nfa.seq(...parts);
  const { prefix, suffix } = literalEnds(template);
  return { matches: (uri) => uri.startsWith(prefix) && uri.endsWith(suffix) && uri.length >= prefix.length + suffix.length && run(nfa.states, whole, uri) };
}

/** The literal text before the first and after the last expression: a quick test before the NFA. */
function literalEnds(template: string): { prefix: string; suffix: string } {
  const open = template.indexOf('{');
  if (open === -1) return { prefix: template, suffix: '' };
  const close = template.lastIndexOf('}');
  return { prefix: template.slice(0, open), suffix: template.slice(close + 1) };
}

/** Simulates the NFA over `uri`: every live state advances together, each state once per step. */
function run(states: State[], whole: Fragment, uri: string): boolean {
  const seen = new Int32Array(states.length).fill(-1);
  let current: number[] = [];
  let next: number[] = [];
  // Adds `from` and every state reachable from it without consuming a character.
  const close = (from: number, into: number[], step: number) => {
    const stack = [from];
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (seen[s] === step) continue;
      seen[s] = step;
      const state = states[s]!;
      if (state.test) into.push(s);
      else if (s === whole.end) into.push(s);
      else for (const o of state.out) stack.push(o);
    }
  };
  close(whole.start, current, 0);
  for (let i = 0; i < uri.length && current.length > 0; i++) {
    const c = uri.charCodeAt(i);
    next = [];
    for (const s of current) {
      const state = states[s]!;
      if (state.test?.(c)) for (const o of state.out) close(o, next, i + 1);
    }
    current = next;
  }
  return current.includes(whole.end);
}
