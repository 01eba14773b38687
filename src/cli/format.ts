import { terminalText } from './terminal.js';

/** Plain-text tables for people; `--json` output skips this. Every cell is escaped for the terminal (terminal.ts). */
export function table(headers: string[], rows: string[][]): string {
  const cells = rows.map((row) => row.map((cell) => terminalText(cell ?? '')));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** First line of a description, shortened for a table cell (escaped for the terminal). */
export function short(text: string | undefined, max = 60): string {
  const first = (text ?? '').split('\n')[0] ?? '';
  return terminalText(first.length > max ? `${first.slice(0, max - 1)}…` : first);
}
