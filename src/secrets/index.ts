/**
 * Secrets (DESIGN §3, §6): which values of a server's config are secrets (every `${VAR}` value,
 * headers, env, auth credentials) and how text is masked, whole or in a window cut out of a
 * longer output (a secret cut at the window's edge is masked down to a few characters).
 */
export { cachedSecretsOf, displayTarget, MIN_FRAGMENT_LENGTH, redactText, redactWindow, secretsOf, type CutEdges } from './redact.js';
