/**
 * Authorization to HTTP and SSE servers (DESIGN §11): one provider per server and connect
 * attempt, over the SDK's `auth()`, with the state kept in a TokenStore.
 */

export { createAuthProvider, type AuthDeps, type ServerAuth } from './create.js';
export { AuthError, TokenStoreError } from './errors.js';
export { ConsentSlot, type Authorize, type AuthorizeRequest } from './consent.js';
export type { AuthorizationResponse } from './issuer.js';
export { configuredSecrets } from './secrets.js';
export { defaultTokenDir, fileTokenStore, memoryTokenStore, resolveTokenStore, serverTokenKey, storeKey, type StoredAuth, type TokenStore } from './tokenStore.js';
