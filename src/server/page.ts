import { escapeHtml as escape } from '../core/htmlPage.js';
import { PROFILE_ROUTES, ROUTES } from './routes.js';

/**
 * The page at `GET /api`: product, version and the API's routes, self-contained (no script, no
 * stylesheet or font from the network). It holds no state and no secret, so it needs no token.
 */
export function indexPage(version: string): string {
  const rows = [...ROUTES, ...PROFILE_ROUTES].map(
    (r) => `<tr><td><code>${r.method}</code></td><td><code>${escape(r.path)}</code></td><td>${escape(r.what)}</td><td>${r.token ? 'yes' : 'no'}</td></tr>`,
  ).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mcp-switchboard ${escape(version)}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #ddd; padding: .3rem .6rem; text-align: left; vertical-align: top; }
code { font: 13px ui-monospace, monospace; }
</style>
</head>
<body>
<h1>mcp-switchboard <small>${escape(version)}</small></h1>
<p>The admin HTTP API of <code>switchboard serve</code>. Every <code>/mcp/*</code> route and <code>/metrics</code>
need the admin token: <code>Authorization: Bearer &lt;token&gt;</code>. When no token is configured, <code>serve</code>
prints a generated one once at start-up and saves it to <code>~/.mcp-switchboard/admin-&lt;port&gt;.token</code>.</p>
<table>
<thead><tr><th>method</th><th>path</th><th>what</th><th>token</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p>Errors are <code>{ "error": { "code", "message" } }</code>; request bodies are JSON only, up to 1 MiB.</p>
</body>
</html>
`;
}
