import { redactWindow } from '../secrets/index.js';

/**
 * A bounded buffer of a stdio server's stderr. The SDK pipes stderr into a stream that nobody
 * reads by default, and a server that fills the pipe blocks on its next write (verified: calls
 * then time out), so every byte is drained here and only the tail is kept.
 *
 * The tail is cut out of a longer stream: once bytes were dropped its start may fall inside a
 * secret the server printed; its end may fall inside one the server is still writing; and where one
 * process's output ends and the next one's begins (`newSegment`), the first may have died in the
 * middle of one. Whole secrets are masked by any redaction, a cut one would not be, so the ring
 * masks the server's secrets (`redactWith`) itself, a piece at every such cut included.
 */

interface Chunk {
  bytes: Buffer;
  /** Which process wrote it (`newSegment`). */
  segment: number;
}

/** One process's part of the tail, decoded, and whether its start was cut off. */
interface Part {
  text: string;
  cutStart: boolean;
}

export class StderrRing {
  private chunks: Chunk[] = [];
  private bytes = 0;
  private segment = 0;
  /** Whether the oldest kept chunk's process wrote bytes that were dropped. */
  private frontCut = false;
  private secrets: readonly string[] = [];

  /** `capacity`: bytes kept (`limits.stderrBufferBytes`, default 64 KiB). */
  constructor(private readonly capacity: number) {}

  /**
   * The server's secrets (redact.ts `secretsOf`), masked in every `tail()` from now on: whole, and
   * a piece of at least 4 characters wherever the tail cuts one (redact.ts `MIN_FRAGMENT_LENGTH`).
   * Defaults to none.
   */
  redactWith(secrets: readonly string[]): void {
    this.secrets = secrets;
  }

  /** What is pushed from now on comes from a new process (the previous one may have stopped anywhere). */
  newSegment(): void {
    this.segment++;
  }

  push(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.chunks.push({ bytes, segment: this.segment });
    this.bytes += bytes.length;
    while (this.bytes > this.capacity && this.chunks.length > 0) {
      const excess = this.bytes - this.capacity;
      const first = this.chunks[0]!;
      if (first.bytes.length <= excess) {
        this.chunks.shift();
        this.bytes -= first.bytes.length;
        this.frontCut = this.chunks[0]?.segment === first.segment;
      } else {
        this.chunks[0] = { bytes: first.bytes.subarray(excess), segment: first.segment };
        this.bytes -= excess;
        this.frontCut = true;
      }
    }
  }

  /**
   * The kept tail as text, at most `maxChars` (default 4096) characters from the end, with the
   * secrets given to `redactWith` masked. It starts at a character boundary (a cut never shows as
   * U+FFFD in front of the rest of a secret); a character still being written is left out.
   */
  tail(maxChars = 4096): string {
    const parts = this.window(maxChars);
    if (this.secrets.length === 0) return parts.map((part) => part.text).join('');
    // Every part's end is a possible cut: its process died, or is still writing, mid-secret.
    return parts.map((part) => redactWindow(part.text, this.secrets, { start: part.cutStart, end: true })).join('');
  }

  get size(): number {
    return this.bytes;
  }

  /** The tail's parts, one per process, oldest first, within `maxChars` in all. */
  private window(maxChars: number): Part[] {
    const parts: Part[] = [];
    let from = 0;
    while (from < this.chunks.length) {
      const segment = this.chunks[from]!.segment;
      let to = from;
      while (to < this.chunks.length && this.chunks[to]!.segment === segment) to++;
      const bytes = Buffer.concat(this.chunks.slice(from, to).map((c) => c.bytes));
      parts.push({ text: decode(bytes, from === 0 && this.frontCut), cutStart: from === 0 && this.frontCut });
      from = to;
    }
    let room = maxChars;
    for (let i = parts.length - 1; i >= 0; i--) {
      const part = parts[i]!;
      if (part.text.length <= room) {
        room -= part.text.length;
        continue;
      }
      let text = part.text.slice(part.text.length - room);
      // Never half a surrogate pair at the front.
      if (isLowSurrogate(text.charCodeAt(0))) text = text.slice(1);
      return [{ text, cutStart: true }, ...parts.slice(i + 1)];
    }
    return parts;
  }
}

const isContinuation = (byte: number) => (byte & 0xc0) === 0x80;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * UTF-8 text of `bytes` without a broken character at either end: the continuation bytes a cut
 * start left, and a character not fully written at the end (still being written, or never will be).
 */
function decode(bytes: Buffer, cutStart: boolean): string {
  let start = 0;
  if (cutStart) while (start < bytes.length && start < 3 && isContinuation(bytes[start]!)) start++;
  return bytes.toString('utf8', start, bytes.length - incompleteEnd(bytes, start));
}

/** Bytes at the end of `bytes` (from `start`) that begin a character not fully written. */
function incompleteEnd(bytes: Buffer, start: number): number {
  for (let back = 1; back <= 3 && bytes.length - back >= start; back++) {
    const byte = bytes[bytes.length - back]!;
    if (isContinuation(byte)) continue;
    const needs = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needs > back ? back : 0;
  }
  return 0;
}
