import type { AuthConfig } from '../config/schema.js';

/**
 * Which values of an `auth` block are secrets (src/secrets/redact.ts masks them wherever the server is
 * shown or logged). Kept apart from the flow code so that redaction pulls in nothing else.
 */

/** The secret values of an `auth` block (everything but its type, scopes, algorithm and URLs). */
export function configuredSecrets(auth: AuthConfig): string[] {
  const values: (string | undefined)[] = [auth.clientId, 'clientSecret' in auth ? auth.clientSecret : undefined];
  if (auth.type === 'client_credentials') values.push(...pemParts(auth.privateKey));
  if (auth.type === 'cross_app') values.push(auth.idp.idToken, auth.idp.clientId, auth.idp.clientSecret);
  return values.filter((v): v is string => typeof v === 'string');
}

/** A PEM key whole and its base64 lines (an error quoting part of a key must not show it either). */
export function pemParts(pem: string | undefined): string[] {
  if (!pem) return [];
  const lines = pem.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('-----'));
  return [pem, lines.join(''), ...lines.filter((l) => l.length >= 16)];
}
