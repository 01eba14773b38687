import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { liveViewHtml } from './html.js';
import { viewMachines } from './machines.js';

/**
 * The live view's own routes: `/` (the page), `/view/app.js` and `/view/app.css` (the bundle
 * built by `src/view/build.mjs`) and `/view/machines.json` (the statecharts). None of them needs
 * the admin token: they hold no data and no secret; the page reads everything from `/mcp/*` with
 * the token the user types. The caller keeps its Host/Origin checks in front of these routes.
 */

/** What a route answers; the caller copies it into its own response. */
export interface ViewResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

export interface LiveViewOptions {
  /** Directory holding `app.js` and `app.css`. Defaults to `assets/` beside the compiled router, else `dist/src/view/assets/` of the checkout. */
  assetsDir?: string;
  /** Shown in the page title. Defaults to none. */
  version?: string;
  /** The service is a replica of a cluster: the page shows it (`/mcp/cluster`). Defaults to false. */
  cluster?: boolean;
}

/**
 * Nothing from the network: scripts, styles and fetches only from this origin, no inline script,
 * no framing. The page's own script needs nothing more.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const COMMON = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-cache' };

const ASSETS: Record<string, string> = {
  '/view/app.js': 'text/javascript; charset=utf-8',
  '/view/app.css': 'text/css; charset=utf-8',
};

/** The candidate bundle directories, first match wins (compiled package, then a source checkout). */
function assetDirs(option: string | undefined): string[] {
  if (option) return [option];
  return [fileURLToPath(new URL('./assets/', import.meta.url)), fileURLToPath(new URL('../../dist/src/view/assets/', import.meta.url))];
}

/**
 * Returns the router: `route(path)` answers a GET of one of the view's paths, or null for any
 * other path. Assets are read once and kept; a missing bundle answers 503 naming the fix.
 */
export function createLiveView(options: LiveViewOptions = {}): (path: string) => ViewResponse | null {
  const dirs = assetDirs(options.assetsDir);
  const cache = new Map<string, Uint8Array>();
  const asset = (name: string): Uint8Array | null => {
    const hit = cache.get(name);
    if (hit) return hit;
    for (const dir of dirs) {
      try {
        const bytes = readFileSync(`${dir.replace(/\/?$/, '/')}${name}`);
        cache.set(name, bytes);
        return bytes;
      } catch {
        // Try the next directory.
      }
    }
    return null;
  };
  let machinesJson: string | undefined;
  return (path) => {
    if (path === '/' || path === '/index.html') {
      return { status: 200, headers: { ...COMMON, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CONTENT_SECURITY_POLICY }, body: liveViewHtml(options.version, options.cluster === true) };
    }
    if (path === '/view/machines.json') {
      machinesJson ??= JSON.stringify(viewMachines());
      return { status: 200, headers: { ...COMMON, 'content-type': 'application/json; charset=utf-8' }, body: machinesJson };
    }
    const type = ASSETS[path];
    if (!type) return null;
    const bytes = asset(path.slice('/view/'.length));
    if (!bytes) {
      return { status: 503, headers: { ...COMMON, 'content-type': 'text/plain; charset=utf-8' }, body: 'the live view bundle is not built: run `npm run build`\n' };
    }
    return { status: 200, headers: { ...COMMON, 'content-type': type }, body: bytes };
  };
}

/** Every path the view answers (for a 405 table or a route list). */
export const LIVE_VIEW_PATHS = ['/', '/view/app.js', '/view/app.css', '/view/machines.json'] as const;
