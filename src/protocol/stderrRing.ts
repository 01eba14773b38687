/**
 * A bounded buffer of a stdio server's stderr. The SDK pipes stderr into a stream that nobody
 * reads by default, and a server that fills the pipe blocks on its next write (verified: calls
 * then time out), so every byte is drained here and only the tail is kept.
 */
export class StderrRing {
  private chunks: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly capacity: number) {}

  push(chunk: Buffer | string): void {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.chunks.push(buffer);
    this.bytes += buffer.length;
    while (this.bytes > this.capacity && this.chunks.length > 0) {
      const excess = this.bytes - this.capacity;
      const first = this.chunks[0]!;
      if (first.length <= excess) {
        this.chunks.shift();
        this.bytes -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.bytes -= excess;
      }
    }
  }

  /** The kept tail as text, at most `maxChars` characters from the end. */
  tail(maxChars = 4096): string {
    const text = Buffer.concat(this.chunks).toString('utf8');
    return text.length > maxChars ? text.slice(text.length - maxChars) : text;
  }

  get size(): number {
    return this.bytes;
  }
}
