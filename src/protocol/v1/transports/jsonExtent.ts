/**
 * Follows where one JSON value ends in a stream of bytes that is not kept (the dropped middle of a
 * stdio line over `limits.maxMessageBytes`): string and escape state and the depth of objects and
 * arrays, nothing else. A line that is one message closes its value exactly once, at its end. A
 * line that does not (cut off by another message glued on after a stall, or followed by one on the
 * same line) is no message the client can trust, whatever ids its edges show.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isWhitespace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export class JsonExtent {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The top-level value closed. */
  private closed = false;
  /** Something other than whitespace came after the value closed, or a closer had no opener. */
  private broken = false;

  /** Reads `bytes`; false once the line holds more than one value (or a stray closer). */
  feed(bytes: Uint8Array): boolean {
    if (this.broken) return false;
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (this.closed) {
        if (isWhitespace(c)) continue;
        this.broken = true;
        return false;
      }
      switch (c) {
        case QUOTE:
          this.inString = true;
          break;
        case 0x7b: // {
        case 0x5b: // [
          this.depth++;
          break;
        case 0x7d: // }
        case 0x5d: // ]
          this.depth--;
          if (this.depth < 0) {
            this.broken = true;
            return false;
          }
          if (this.depth === 0) this.closed = true;
          break;
      }
    }
    return true;
  }

  /** The bytes read so far are exactly one closed value (with whitespace around it). */
  complete(): boolean {
    return this.closed && !this.broken;
  }
}
