import type { RuntimeServer } from './config/schema.js';

/**
 * Secrets never leave the process: header and env values of each server are masked in every
 * message we pass on, and targets are shown without credentials or query strings.
 */

const MASK = '***';
/** Shorter values (a flag like "1") would mask innocent text everywhere. */
const MIN_SECRET_LENGTH = 4;

/** The secret values of one server: its header values, env values and the bearer tokens inside. */
export function secretsOf(server: RuntimeServer): string[] {
  const values: string[] = [];
  if ('headers' in server && server.headers) values.push(...Object.values(server.headers));
  if ('env' in server && server.env) values.push(...Object.values(server.env));
  for (const value of [...values]) {
    const token = /^(?:Bearer|Basic|Token)\s+(.+)$/i.exec(value)?.[1];
    if (token) values.push(token);
  }
  return [...new Set(values.filter((v) => v.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of every secret in `text`. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
  return out;
}

/** How a server's target is shown: command and args, or the URL without credentials and query. */
export function displayTarget(server: RuntimeServer): string {
  switch (server.transport) {
    case 'stdio':
      return [server.command, ...(server.args ?? [])].join(' ');
    case 'http':
    case 'sse': {
      const url = new URL(server.url);
      return `${url.protocol}//${url.host}${url.pathname}`;
    }
    default:
      return '(custom transport)';
  }
}
