import { describe, expect, it } from 'vitest';
import { escapeHtml, pageHead } from '../../src/core/htmlPage.js';
import { bridgeHtml } from '../../src/server/inspectorPage.js';
import { liveViewHtml } from '../../src/view/html.js';

describe('the pages’ shared HTML', () => {
  it('escapes what would end a text or an attribute', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });

  it('gives the live view and the inspector bridge one head, each with its own title and assets', () => {
    const view = liveViewHtml('1.0 <beta>');
    const bridge = bridgeHtml({ inspectorUrl: 'https://stately.ai/inspect', protocol: 'bearer' });
    const head = (page: string) => page.slice(0, page.indexOf('</head>') + '</head>'.length);
    expect(head(view)).toBe(pageHead('mcp-switchboard 1.0 &#60;beta&#62; · live view', 'view/app.css', 'view/app.js'));
    expect(head(bridge)).toBe(pageHead('mcp-switchboard · Stately inspector', '/bridge.css', '/bridge.js'));
    for (const page of [view, bridge]) expect(page).toContain('<meta name="color-scheme" content="light dark">');
    expect(pageHead('t', 'a"b.css', 'c.js')).toContain('href="a&#34;b.css"');
  });
});
