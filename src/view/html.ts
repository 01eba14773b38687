import { escapeHtml as escape, pageHead } from '../core/htmlPage.js';

/**
 * The live view's page: a static shell (no data, no secret) that loads the bundled script and
 * stylesheet from this origin. The script asks for the admin token, keeps it in
 * `sessionStorage` and reads everything else from `/mcp/*` with it. `version` defaults to none;
 * `cluster` marks a replica of a cluster (the page then reads `/mcp/cluster`).
 */
export function liveViewHtml(version?: string, cluster = false): string {
  const title = version ? `mcp-switchboard ${escape(version)} · live view` : 'mcp-switchboard · live view';
  return `${pageHead(title, 'view/app.css', 'view/app.js')}
<body${cluster ? ' data-cluster="true"' : ''}>
<a class="skip" href="#servers">Skip to servers</a>
<header class="top">
  <h1>mcp-switchboard <span class="sub">live view${version ? ` · ${escape(version)}` : ''}</span></h1>
  <p id="notice" class="notice" role="status" aria-live="polite" hidden></p>
  <p id="stream-status" class="stream" role="status" aria-live="polite">not connected</p>
  <button type="button" id="forget" hidden>Forget token</button>
</header>
<form id="login" class="login" hidden>
  <h2>Admin token</h2>
  <p>The token <code>switchboard serve</code> printed at start, or the one in <code>admin.token</code>. A generated token is
  also saved, readable by its user only, in <code>~/.mcp-switchboard/admin-&lt;port&gt;.token</code> (the port this page is on; <code>$SWITCHBOARD_STATE_DIR</code> instead of <code>~/.mcp-switchboard</code> when set).
  It stays in this tab only (<code>sessionStorage</code>) and is sent as an <code>Authorization</code> header, never in a URL.</p>
  <label for="token">Token</label>
  <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required>
  <button type="submit">Connect</button>
  <p id="login-error" class="error" role="alert"></p>
</form>
<noscript><p class="login">The live view needs JavaScript. The admin API is documented in the README.</p></noscript>
<main id="app" hidden>
  <div id="overview">
    <section id="summary" class="summary-strip" aria-label="Summary"></section>
    <section id="servers" aria-labelledby="servers-title" tabindex="-1">
      <h2 id="servers-title">Servers <span class="hint">problems first · select a server for its statecharts and to try its tools</span></h2>
      <div class="table-wrap"><table id="server-table" class="servers"></table></div>
    </section>
    <div class="lists">
      <section aria-labelledby="calls-title">
        <h2 id="calls-title">Recent calls</h2>
        <div class="scroll" tabindex="0" role="region" aria-labelledby="calls-title">
          <table id="calls" class="calls"><thead><tr><th scope="col">time</th><th scope="col">call</th><th scope="col" class="num">ms</th><th scope="col">outcome</th></tr></thead><tbody></tbody></table>
        </div>
      </section>
      <section aria-labelledby="events-title">
        <h2 id="events-title">Events</h2>
        <div class="scroll" tabindex="0" role="region" aria-labelledby="events-title"><ol id="events" class="events"></ol></div>
      </section>
      <section aria-labelledby="tools-title">
        <h2 id="tools-title">Tools</h2>
        <div class="scroll" tabindex="0" role="region" aria-labelledby="tools-title">
          <table id="tools"><thead><tr><th scope="col">tool</th><th scope="col">server</th><th scope="col">available</th></tr></thead><tbody></tbody></table>
        </div>
      </section>
    </div>
  </div>
  <div id="detail" hidden></div>
</main>
</body>
</html>
`;
}
