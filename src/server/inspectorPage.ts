/**
 * The bridge page of the inspector relay (DESIGN §6): what `@statelyai/inspect`'s own
 * `createInspectorServer` serves — the hosted Stately inspector in an iframe, fed the relay's
 * WebSocket messages with `postMessage` — with the relay's security. The token is typed once,
 * kept in `sessionStorage` and sent as the WebSocket subprotocol `bearer.<token>` (a browser
 * cannot set headers on a WebSocket, and a token in the URL would end up in history and logs);
 * messages go only to the inspector's origin, and only that origin's frame may say it is ready.
 * The page and its script and stylesheet come from the relay; only the iframe needs the internet.
 */

import { escapeHtml as escape, pageHead } from '../core/htmlPage.js';

/** The hosted inspector the bridge embeds unless told otherwise. */
export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';

/** What the page needs to know; `viewUrl` (the offline live view) defaults to none. */
export interface BridgePageOptions {
  inspectorUrl: string;
  protocol: string;
  viewUrl?: string | undefined;
}

/** The page at `/` of the relay. */
export function bridgeHtml(options: BridgePageOptions): string {
  const inspector = new URL(options.inspectorUrl);
  const view = options.viewUrl ? ` The offline live view of the same machines is <a href="${escape(options.viewUrl)}">${escape(options.viewUrl)}</a>.` : '';
  return `${pageHead('mcp-switchboard · Stately inspector', '/bridge.css', '/bridge.js')}
<body data-inspector-url="${escape(inspector.href)}" data-protocol="${escape(options.protocol)}">
<header>
  <h1>mcp-switchboard <span>Stately inspector</span></h1>
  <p id="status" role="status" aria-live="polite">not connected</p>
  <p class="counts">from the relay <output id="received">0</output> · to the inspector <output id="forwarded">0</output></p>
  <button type="button" id="forget" hidden>Forget token</button>
</header>
<p class="note">This page relays the switchboard's live statecharts to the hosted Stately inspector
(<code>${escape(inspector.origin)}</code>) shown below: <strong>that part needs the internet</strong>. The relay,
the switchboard and its admin API work offline.${view}</p>
<form id="login" hidden>
  <label for="token">Admin token</label>
  <input id="token" type="password" autocomplete="off" spellcheck="false" required>
  <button type="submit">Connect</button>
  <p id="login-error" role="alert"></p>
</form>
<iframe id="inspector" title="Stately inspector" referrerpolicy="no-referrer" hidden></iframe>
</body>
</html>
`;
}

export const BRIDGE_CSS = `* { box-sizing: border-box; }
[hidden] { display: none !important; }
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; font: 14px/1.4 system-ui, sans-serif; }
header { display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; align-items: baseline; padding: .4rem .8rem; border-bottom: 1px solid #8884; }
h1 { font-size: 1rem; margin: 0; } h1 span { font-weight: normal; opacity: .7; }
header p, .note { margin: 0; } .note { padding: .3rem .8rem; font-size: 13px; }
form { padding: 1rem .8rem; display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
#login-error { flex-basis: 100%; margin: 0; color: #c33; }
iframe { flex: 1; width: 100%; border: 0; }
`;

/** The page's script (no framework: a WebSocket, a frame and a few counters). */
export const BRIDGE_JS = `(() => {
  'use strict';
  const KEY = 'mcp-switchboard.inspector-token';
  const KEEP = 5000;
  const $ = (id) => document.getElementById(id);
  const inspectorUrl = document.body.dataset.inspectorUrl;
  const inspectorOrigin = new URL(inspectorUrl).origin;
  const protocol = document.body.dataset.protocol;
  const frame = $('inspector');
  const log = [];
  let ready = false;
  let received = 0;
  let forwarded = 0;
  const status = (text) => { $('status').textContent = text; };
  const post = (message) => {
    frame.contentWindow.postMessage(message, inspectorOrigin);
    $('forwarded').textContent = String(++forwarded);
  };
  const showLogin = (error) => {
    $('login').hidden = false;
    $('forget').hidden = true;
    $('login-error').textContent = error || '';
    $('token').focus();
  };
  // The inspector says it is ready (also after it reloads): give it everything kept so far.
  window.addEventListener('message', (event) => {
    if (event.source !== frame.contentWindow || event.origin !== inspectorOrigin) return;
    if (!event.data || event.data.type !== '@statelyai.connected') return;
    ready = true;
    status('relay connected · inspector connected');
    for (const message of log) post(message);
  });
  function connect(token) {
    let socket;
    try {
      socket = new WebSocket('ws://' + location.host + '/', [protocol, 'bearer.' + token]);
    } catch {
      return showLogin('This token cannot be sent as a WebSocket subprotocol (letters, digits and - _ . ~ only).');
    }
    let opened = false;
    status('connecting to the relay…');
    socket.onopen = () => {
      opened = true;
      // The relay replays its history to every new viewer: start the log afresh.
      log.length = 0;
      sessionStorage.setItem(KEY, token);
      $('login').hidden = true;
      $('forget').hidden = false;
      status(ready ? 'relay connected · inspector connected' : 'relay connected · waiting for the hosted inspector (needs the internet)');
      if (!frame.getAttribute('src')) frame.setAttribute('src', inspectorUrl);
      frame.hidden = false;
    };
    socket.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      $('received').textContent = String(++received);
      log.push(message);
      if (log.length > KEEP) log.shift();
      if (ready) post(message);
    };
    socket.onclose = () => {
      if (!opened) {
        sessionStorage.removeItem(KEY);
        status('not connected');
        return showLogin('The relay refused the connection: check the token.');
      }
      status('the relay closed the connection (did the switchboard stop?)');
      showLogin('');
    };
  }
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token').value.trim();
    $('token').value = '';
    if (token) connect(token);
  });
  $('forget').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    location.reload();
  });
  const saved = sessionStorage.getItem(KEY);
  if (saved) connect(saved);
  else showLogin('');
})();
`;

/** The Content-Security-Policy of the page served on `host`: nothing but the relay and the inspector's frame. */
export function bridgePolicy(host: string, inspectorUrl: string): string {
  return `default-src 'none'; script-src 'self'; style-src 'self'; connect-src ws://${host}; frame-src ${new URL(inspectorUrl).origin}; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}
