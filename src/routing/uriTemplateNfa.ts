/**
 * The NFA of an RFC 6570 template (Thompson construction), in flat typed arrays so that a run
 * touches no objects: `kind[s]` is -1 for a state that consumes nothing (epsilon), a character
 * class index (>= 0) or an exact character `c` encoded as `-c - 2`; the edges of `s` are
 * `outs[outStart[s] .. outStart[s + 1])`. The scratch arrays a run needs are shared by every NFA
 * (runs are synchronous and never nested), so a compiled template costs about 12 bytes a state.
 * See uriTemplateMatch.ts for what each expression accepts.
 */

/** A compiled template's automaton. */
export interface Nfa {
  readonly kind: Int32Array;
  readonly outStart: Int32Array;
  readonly outs: Int32Array;
  readonly start: number;
  readonly accept: number;
}

/** Character classes, 128 ASCII entries each (1 = accepted); every class accepts non-ASCII. */
const CLASS_EXCLUDES = ['', '/?#,', '/?#;', '&#=', '&#'];
const [ANY, SIMPLE, PARAM, NAME, VALUE] = [0, 1, 2, 3, 4];
export const CLASSES = new Uint8Array(CLASS_EXCLUDES.length * 128).fill(1);
CLASS_EXCLUDES.forEach((chars, k) => {
  for (const ch of chars) CLASSES[k * 128 + ch.charCodeAt(0)] = 0;
});

/** The scratch arrays of a run, grown to the largest NFA run so far; `mark` stamps `seen`. */
export const scratch = { seen: new Int32Array(0), stack: new Int32Array(0), current: new Int32Array(0), next: new Int32Array(0), mark: 0 };

/** Makes the scratch arrays fit `states` states and `chars` more marks (one per character). */
export function prepareScratch(states: number, chars: number): void {
  if (scratch.seen.length < states) {
    const size = Math.max(states, scratch.seen.length * 2);
    Object.assign(scratch, { seen: new Int32Array(size), stack: new Int32Array(size), current: new Int32Array(size), next: new Int32Array(size), mark: 0 });
  }
  if (scratch.mark > 0x3fffffff - chars) {
    scratch.seen.fill(0);
    scratch.mark = 0;
  }
}

/** A piece of NFA under construction: where it starts and its (epsilon) end, still to be linked. */
interface Fragment {
  start: number;
  end: number;
}

/** The operators of RFC 6570 level 4; any other first character belongs to the variable name. */
const OPERATORS = new Set(['+', '#', '.', '/', ';', '?', '&']);

class Builder {
  readonly kind: number[] = [];
  readonly out: number[][] = [];

  private state(kind: number): number {
    this.kind.push(kind);
    this.out.push([]);
    return this.kind.length - 1;
  }

  private link(from: number, ...to: number[]): void {
    this.out[from]!.push(...to);
  }

  empty(): Fragment {
    const s = this.state(-1);
    return { start: s, end: s };
  }

  char(kind: number): Fragment {
    const start = this.state(kind);
    const end = this.state(-1);
    this.link(start, end);
    return { start, end };
  }

  literal(text: string): Fragment {
    return this.seq(...[...text].map((ch) => this.char(-ch.charCodeAt(0) - 2)));
  }

  seq(...parts: Fragment[]): Fragment {
    if (parts.length === 0) return this.empty();
    for (let i = 1; i < parts.length; i++) this.link(parts[i - 1]!.end, parts[i]!.start);
    return { start: parts[0]!.start, end: parts[parts.length - 1]!.end };
  }

  alt(...parts: Fragment[]): Fragment {
    const start = this.state(-1);
    const end = this.state(-1);
    for (const part of parts) {
      this.link(start, part.start);
      this.link(part.end, end);
    }
    return { start, end };
  }

  /** One or more of `part` (a loop from its end back to its start). */
  plus(part: Fragment): Fragment {
    const end = this.state(-1);
    this.link(part.end, part.start, end);
    return { start: part.start, end };
  }

  optional(part: Fragment): Fragment {
    return this.alt(part, this.empty());
  }

  /** `item (separator item)*` with a single copy of `item`: its end loops back through the separator. */
  list(item: Fragment, separator: string): Fragment {
    const sep = this.literal(separator);
    const end = this.state(-1);
    this.link(item.end, sep.start, end);
    this.link(sep.end, item.start);
    return { start: item.start, end };
  }

  /** One or more characters of class `k`. */
  run(k: number): Fragment {
    return this.plus(this.char(k));
  }
}

/** The fragment of one expression (the text between `{` and `}`). */
function expression(b: Builder, text: string): Fragment {
  const operator = OPERATORS.has(text[0] ?? '') ? text[0]! : '';
  const specs = text.slice(operator.length).split(',').map((v) => v.trim()).filter((v) => v.length > 0);
  const exploded = specs.some((v) => v.endsWith('*'));
  const names = specs.map((v) => v.replace(/\*$/, '').replace(/:\d+$/, ''));
  const several = exploded || names.length > 1;
  const values = () => (several ? b.list(b.run(SIMPLE), ',') : b.run(SIMPLE));
  switch (operator) {
    case '+':
      return b.run(ANY);
    case '#':
      return b.seq(b.literal('#'), b.run(ANY));
    case '.':
    case '/': {
      const prefixed = b.seq(b.literal(operator), values());
      return exploded ? b.plus(prefixed) : prefixed;
    }
    case ';':
      return b.plus(b.seq(b.literal(';'), b.run(PARAM)));
    case '?':
    case '&': {
      const value = () => b.optional(b.run(VALUE));
      const pair =
        exploded || names.length === 0
          ? b.seq(b.run(NAME), b.optional(b.seq(b.literal('='), value())))
          : b.alt(...names.map((name) => b.seq(b.literal(`${name}=`), value())));
      return b.optional(b.seq(b.literal(operator), b.list(pair, '&')));
    }
    default:
      return values();
  }
}

/** Builds the NFA of a template whose braces are all closed. Linear in the template's length. */
export function buildNfa(template: string): Nfa {
  const b = new Builder();
  const parts: Fragment[] = [];
  let literal = '';
  for (let i = 0; i < template.length; ) {
    if (template[i] !== '{') {
      literal += template[i++];
      continue;
    }
    const close = template.indexOf('}', i);
    if (literal) parts.push(b.literal(literal));
    literal = '';
    parts.push(expression(b, template.slice(i + 1, close)));
    i = close + 1;
  }
  if (literal) parts.push(b.literal(literal));
  const whole = b.seq(...parts);
  const outStart = new Int32Array(b.kind.length + 1);
  b.out.forEach((list, s) => (outStart[s + 1] = outStart[s]! + list.length));
  const outs = new Int32Array(outStart[b.kind.length]!);
  b.out.forEach((list, s) => outs.set(list, outStart[s]!));
  return { kind: Int32Array.from(b.kind), outStart, outs, start: whole.start, accept: whole.end };
}
