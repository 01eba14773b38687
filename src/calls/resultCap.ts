/**
 * Oversized results (DESIGN §17): a result's text is capped so that one call cannot flood a
 * model's context. The cap is on the whole result, in the order of its content: text blocks
 * (also an embedded resource's text, a resource read's `contents`, a prompt's message texts) take
 * what is left of it; the one that crosses it is cut, with a visible marker, and the countable
 * blocks after it are left out. Binary content (image or audio `data`, a resource `blob`) whose
 * base64 does not fit what is left becomes a short text note instead; it does not end the result,
 * a smaller text after it still fits. `structuredContent` is never touched: a client checks it
 * against the tool's `outputSchema`, and a cut one would fail that check. Characters are
 * JavaScript string units (UTF-16), never cut inside a surrogate pair or a grapheme.
 */

/** The `_meta` key of a capped result: `{ originalChars }`, the characters it had in all. */
export const TRUNCATED_META_KEY = 'mcp-switchboard/truncated';

type Entry = Record<string, unknown>;

function isRecord(value: unknown): value is Entry {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The lists of a result that carry content: a tool result's, a resource read's, a prompt's. */
const LISTS = ['content', 'contents', 'messages'] as const;

/** Characters a content block, resource contents entry or prompt message counts (text and base64). */
function sizeOf(item: unknown): number {
  if (Array.isArray(item)) return item.reduce((sum: number, each) => sum + sizeOf(each), 0);
  if (!isRecord(item)) return 0;
  if (typeof item.text === 'string') return item.text.length;
  if (typeof item.data === 'string') return item.data.length;
  if (typeof item.blob === 'string') return item.blob.length;
  if (item.resource !== undefined) return sizeOf(item.resource);
  if (item.content !== undefined) return sizeOf(item.content);
  return 0;
}

let segmenter: Intl.Segmenter | undefined;

/**
 * Where to cut `text` to keep at most `max` units: at a grapheme boundary at or before `max`
 * (looked for in a short window before it, widened when a cluster is longer), never between the
 * halves of a surrogate pair.
 */
export function cutPoint(text: string, max: number): number {
  if (max >= text.length) return text.length;
  const target = Math.max(0, max);
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  // A window before the cap, widened while it holds no boundary (a cluster longer than the window:
  // a letter under dozens of combining marks): the cut then goes before that whole cluster.
  for (let reach = 32; ; reach *= 2) {
    const start = Math.max(0, target - reach);
    let at: number | undefined;
    for (const { index } of segmenter.segment(text.slice(start, Math.min(text.length, target + 32)))) {
      if (start + index > target) break;
      // A window that starts inside a cluster longer than itself: its first segment is no boundary.
      if (index > 0 || start === 0) at = start + index;
    }
    if (at !== undefined) {
      const code = text.charCodeAt(at - 1);
      if (at > 0 && code >= 0xd800 && code <= 0xdbff) at -= 1;
      return at;
    }
  }
}

/** Bytes that base64 `data` decodes to. */
function decodedBytes(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

/** One walk over a result's content with what is left of the cap. */
class Budget {
  private cut = false;

  constructor(
    private left: number,
    private readonly limit: number,
    private readonly original: number,
  ) {}

  list(items: unknown[], fit: (item: unknown) => unknown): unknown[] {
    return items.map(fit).filter((item) => item !== undefined);
  }

  /** A content block as it fits (a tool result's `content`, a prompt message's); undefined: left out. */
  block = (block: unknown): unknown => {
    if (!isRecord(block)) return block;
    if (typeof block.text === 'string') return this.fitText(block);
    if (typeof block.data === 'string') {
      return this.fits(block.data) ? block : { type: 'text', text: this.note(block.data, block.mimeType) };
    }
    if (isRecord(block.resource)) {
      const resource = this.entry(block.resource);
      if (resource === undefined) return undefined;
      return resource === block.resource ? block : { ...block, resource };
    }
    return block;
  };

  /** A resource contents entry as it fits (`{ uri, text }` or `{ uri, blob }`); undefined: left out. */
  entry = (entry: unknown): unknown => {
    if (!isRecord(entry)) return entry;
    if (typeof entry.text === 'string') return this.fitText(entry);
    if (typeof entry.blob === 'string') {
      if (this.fits(entry.blob)) return entry;
      const { blob, ...rest } = entry;
      return { ...rest, mimeType: 'text/plain', text: this.note(blob as string, entry.mimeType) };
    }
    return entry;
  };

  /** A prompt message as it fits; undefined when its content is left out whole. */
  message = (message: unknown): unknown => {
    if (!isRecord(message)) return message;
    if (Array.isArray(message.content)) {
      const content = this.list(message.content, this.block);
      return content.length === 0 && message.content.length > 0 ? undefined : { ...message, content };
    }
    const content = this.block(message.content);
    if (content === undefined) return undefined;
    return content === message.content ? message : { ...message, content };
  };

  private fitText(item: Entry): Entry | undefined {
    const text = item.text as string;
    if (this.cut) return undefined;
    if (text.length <= this.left) {
      this.left -= text.length;
      return item;
    }
    this.cut = true;
    const kept = text.slice(0, cutPoint(text, this.left));
    this.left = 0;
    return { ...item, text: `${kept}\n… [cut by mcp-switchboard: ${this.original} characters in all]` };
  }

  /** Whether binary content fits what is left (and takes its share); after the cut nothing does. */
  private fits(base64: string): boolean {
    if (this.cut || base64.length > this.left) return false;
    this.left -= base64.length;
    return true;
  }

  private note(base64: string, mimeType: unknown): string {
    const mime = typeof mimeType === 'string' ? mimeType : 'binary data';
    return `<${decodedBytes(base64)} bytes of ${mime}, over the limit of ${this.limit} characters>`;
  }
}

/** An upstream's own `originalChars` (a gateway before us cut it already), when it is a count. */
function priorOriginal(meta: unknown): number {
  const mark = isRecord(meta) ? meta[TRUNCATED_META_KEY] : undefined;
  const chars = isRecord(mark) ? mark.originalChars : undefined;
  return typeof chars === 'number' && Number.isSafeInteger(chars) && chars > 0 ? chars : 0;
}

/**
 * `result` (a tool result, a resource read or a prompt) with its content capped at `maxChars`
 * characters in all, and `_meta["mcp-switchboard/truncated"] = { originalChars }` merged into its
 * own `_meta`. Returns `result` itself when it fits or `maxChars` is 0 (off); otherwise a copy,
 * `result` is not changed.
 */
export function capResult<T>(result: T, maxChars: number): T {
  if (maxChars <= 0 || !isRecord(result)) return result;
  let total = 0;
  for (const key of LISTS) total += sizeOf(result[key]);
  if (total <= maxChars) return result;
  const original = Math.max(total, priorOriginal(result._meta));
  const budget = new Budget(maxChars, maxChars, original);
  const fit = { content: budget.block, contents: budget.entry, messages: budget.message };
  const copy: Entry = { ...result };
  for (const key of LISTS) {
    const list = result[key];
    if (Array.isArray(list)) copy[key] = budget.list(list, fit[key]);
  }
  copy._meta = { ...(isRecord(result._meta) ? result._meta : {}), [TRUNCATED_META_KEY]: { originalChars: original } };
  return copy as T;
}
