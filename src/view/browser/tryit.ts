/// <reference lib="dom" />
import type { PromptInfo, ResourceInfo, ResourceTemplateInfo, ToolInfo } from '../../../machines/types.js';
import { api, ApiError } from './api.js';
import { duration, h } from './dom.js';
import { PAGE_SOURCE } from './lists.js';
import { schemaForm, type SchemaForm } from './schemaForm.js';

/**
 * "Try it" in a server's detail: its tools, prompts and resources in three tabs. A tool shows its
 * description, annotations and input schema, and a form generated from that schema (or raw
 * JSON); calling it goes through the admin API (`POST /mcp/call`, the token in the header, marked
 * `source: "live-view"` so its `call.completed` says it came from this page) and shows what came
 * back — text, structured content, images — with its duration. Prompts and resources likewise
 * through `/mcp/prompts/get` and `/mcp/resources/read`.
 */

export interface TryIt {
  element: HTMLElement;
  /** Re-reads the server's catalogs (after a `*.changed` event or a reconnect); keeps what is typed. */
  refresh(): void;
  /** Opens the tools tab on one tool. */
  selectTool(name: string): void;
}

type Kind = 'tools' | 'prompts' | 'resources';

let trySeq = 0;

const IMAGE_TYPES = /^image\/(?:png|jpeg|gif|webp|bmp|avif|svg\+xml)$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** An `<img>` of base64 data the server sent, or a note when it is not an image we can show. */
function imageOf(data: unknown, mimeType: unknown, alt: string): HTMLElement {
  const mime = typeof mimeType === 'string' ? mimeType : '';
  if (typeof data !== 'string' || !IMAGE_TYPES.test(mime) || !BASE64.test(data)) return h('p', { class: 'muted' }, `${mime || 'binary'} data (${typeof data === 'string' ? Math.floor((data.length * 3) / 4) : 0} bytes), not shown`);
  return h('img', { src: `data:${mime};base64,${data}`, alt, class: 'result-image' });
}

const pretty = (value: unknown) => h('pre', { class: 'json' }, JSON.stringify(value, null, 2));

/** One content block of a tool result or a prompt message. */
export function contentBlock(block: Record<string, unknown>): HTMLElement {
  switch (block.type) {
    case 'text':
      return h('pre', { class: 'text', 'data-content': 'text' }, String(block.text ?? ''));
    case 'image':
      return h('figure', { class: 'image', 'data-content': 'image' }, imageOf(block.data, block.mimeType, `image from the server (${String(block.mimeType ?? '')})`));
    case 'audio':
      return h('p', { class: 'muted', 'data-content': 'audio' }, `audio (${String(block.mimeType ?? '')}), not played here`);
    case 'resource_link':
      return h('p', { 'data-content': 'resource_link' }, 'link to ', h('code', {}, String(block.uri ?? '')), block.name ? ` (${String(block.name)})` : '');
    case 'resource': {
      const r = (block.resource ?? {}) as Record<string, unknown>;
      return h('div', { 'data-content': 'resource' }, h('p', { class: 'muted' }, 'resource ', h('code', {}, String(r.uri ?? ''))), resourceContent(r));
    }
    default:
      return pretty(block);
  }
}

function resourceContent(r: Record<string, unknown>): HTMLElement {
  if (typeof r.text === 'string') return h('pre', { class: 'text', 'data-content': 'text' }, r.text);
  if (typeof r.blob === 'string') return imageOf(r.blob, r.mimeType, `resource ${String(r.uri ?? '')}`);
  return pretty(r);
}

/** The result panel: status line, then what came back. */
function showResult(out: HTMLElement, status: 'ok' | 'tool error' | 'error', ms: number, ...body: HTMLElement[]): void {
  out.replaceChildren(
    h('p', { class: `result-status ${status === 'ok' ? 'ok' : 'bad'}`, 'data-status': status }, h('strong', {}, status), ' in ', h('span', { 'data-field': 'duration' }, duration(ms))),
    ...body,
  );
  out.hidden = false;
}

function showError(out: HTMLElement, error: unknown, ms: number): void {
  const e = error as Error;
  const code = error instanceof ApiError ? `${error.code ?? error.status}` : 'failed';
  showResult(out, 'error', ms, h('p', { class: 'bad', 'data-field': 'error' }, h('code', {}, code), ` ${e.message}`));
}

/**
 * Runs `work` once at a time from `button`, timing it; shows a running note and a Cancel button
 * meanwhile. Cancel aborts the request: the admin API sees its caller leave and cancels the call
 * on the server (`notifications/cancelled`).
 */
async function run(button: HTMLButtonElement, out: HTMLElement, work: (signal: AbortSignal) => Promise<(ms: number) => void>): Promise<void> {
  if (button.disabled) return;
  const abort = new AbortController();
  const cancel = h('button', { type: 'button', 'data-action': 'cancel' }, 'Cancel');
  cancel.addEventListener('click', () => abort.abort());
  button.disabled = true;
  button.after(cancel);
  out.hidden = false;
  out.replaceChildren(h('p', { class: 'muted', 'data-field': 'running' }, 'running…'));
  out.setAttribute('aria-busy', 'true');
  const started = performance.now();
  try {
    const render = await work(abort.signal);
    render(performance.now() - started);
  } catch (error) {
    if (abort.signal.aborted) showResult(out, 'error', performance.now() - started, h('p', { class: 'bad', 'data-field': 'error' }, h('code', {}, 'Cancelled'), ' the call was cancelled from this page'));
    else showError(out, error, performance.now() - started);
  } finally {
    out.removeAttribute('aria-busy');
    const hadFocus = document.activeElement === cancel;
    cancel.remove();
    button.disabled = false;
    if (hadFocus) button.focus();
  }
}

const annotationText = (a: Record<string, unknown>) =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => (v === true ? k : `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`));

export function createTryIt(server: string, token: () => string | undefined): TryIt {
  const n = ++trySeq;
  const enc = encodeURIComponent(server);
  const tabs: Record<Kind, HTMLButtonElement> = {} as Record<Kind, HTMLButtonElement>;
  const panels: Record<Kind, HTMLElement> = {} as Record<Kind, HTMLElement>;
  const tablist = h('div', { role: 'tablist', class: 'tabs', 'aria-label': `Try the tools, prompts and resources of ${server}` });
  const kinds: Kind[] = ['tools', 'prompts', 'resources'];
  for (const kind of kinds) {
    const tab = h('button', { type: 'button', role: 'tab', id: `try${n}-${kind}-tab`, 'aria-controls': `try${n}-${kind}`, 'aria-selected': 'false', tabindex: '-1', 'data-tab': kind }, kind);
    const panel = h('div', { role: 'tabpanel', id: `try${n}-${kind}`, 'aria-labelledby': tab.id, class: 'tab-panel', hidden: '', 'data-panel': kind, tabindex: '0' });
    tabs[kind] = tab;
    panels[kind] = panel;
    tablist.append(tab);
  }
  const select = (kind: Kind, focus = false) => {
    for (const k of kinds) {
      const on = k === kind;
      tabs[k].setAttribute('aria-selected', String(on));
      tabs[k].tabIndex = on ? 0 : -1;
      panels[k].hidden = !on;
    }
    if (focus) tabs[kind].focus();
  };
  for (const kind of kinds) tabs[kind].addEventListener('click', () => select(kind));
  // Arrow keys move between tabs (WAI-ARIA tabs pattern).
  tablist.addEventListener('keydown', (e) => {
    const at = kinds.findIndex((k) => tabs[k] === document.activeElement);
    if (at === -1) return;
    const next = e.key === 'ArrowRight' ? (at + 1) % 3 : e.key === 'ArrowLeft' ? (at + 2) % 3 : e.key === 'Home' ? 0 : e.key === 'End' ? 2 : -1;
    if (next === -1) return;
    e.preventDefault();
    select(kinds[next]!, true);
  });
  select('tools');

  const element = h('section', { class: 'try', id: 'try-it', 'aria-labelledby': `try${n}-title`, 'data-server': server }, h('h3', { id: `try${n}-title` }, 'Try it'), tablist, ...kinds.map((k) => panels[k]));

  // ---- tools
  const toolSelect = h('select', { id: `try${n}-tool`, 'data-field': 'tool-select' });
  const toolPane = h('div', { class: 'item-pane' });
  panels.tools.append(h('div', { class: 'picker' }, h('label', { for: toolSelect.id }, 'Tool'), toolSelect), toolPane);
  let tools: ToolInfo[] = [];
  let wantedTool: string | undefined;
  const showTool = (name: string) => {
    const tool = tools.find((t) => t.name === name);
    if (!tool) {
      toolPane.replaceChildren(h('p', { class: 'muted' }, tools.length ? 'Pick a tool.' : 'This server lists no tools (yet).'));
      return;
    }
    const form: SchemaForm = schemaForm(tool.inputSchema, `Arguments of ${tool.name}`);
    const timeout = h('input', { type: 'number', min: '1', step: '1', id: `try${n}-timeout`, placeholder: 'server default', class: 'timeout' });
    const call = h('button', { type: 'submit', class: 'primary', 'data-action': 'call' }, 'Call');
    const out = h('div', { class: 'result', 'data-field': 'result', 'aria-live': 'polite', hidden: '' });
    const notes = annotationText(tool.annotations ?? {});
    const formEl = h(
      'form',
      { class: 'call-form', 'data-tool': tool.name },
      form.element,
      h('div', { class: 'call-bar' }, h('label', { for: timeout.id }, 'Timeout (ms)'), timeout, call),
    );
    formEl.addEventListener('submit', (e) => {
      e.preventDefault();
      const args = form.read();
      if (!args.ok) {
        out.hidden = false;
        out.replaceChildren(h('p', { class: 'bad', 'data-field': 'form-error', role: 'alert' }, args.error));
        return;
      }
      const body: Record<string, unknown> = { tool: tool.name, server, arguments: args.value, source: PAGE_SOURCE };
      const t = Number(timeout.value);
      if (timeout.value !== '' && Number.isInteger(t) && t > 0) body.timeoutMs = t;
      void run(call, out, async (signal) => {
        const result = await api<Record<string, unknown>>(token() ?? '', 'mcp/call', 'POST', body, signal);
        return (ms) => {
          const content = Array.isArray(result.content) ? (result.content as Record<string, unknown>[]) : [];
          const parts = content.map(contentBlock);
          if (result.structuredContent !== undefined) parts.push(h('h4', {}, 'Structured content'), h('div', { 'data-content': 'structured' }, pretty(result.structuredContent)));
          if (parts.length === 0) parts.push(h('p', { class: 'muted' }, 'No content.'));
          showResult(out, result.isError === true ? 'tool error' : 'ok', ms, ...parts);
        };
      });
    });
    toolPane.replaceChildren(
      h(
        'div',
        { class: 'item-head' },
        h('h4', {}, tool.title ?? tool.name, ' ', h('code', { class: 'muted' }, tool.qualifiedName)),
        tool.description ? h('p', { class: 'desc' }, tool.description) : '',
        notes.length ? h('ul', { class: 'chips', 'aria-label': 'annotations' }, ...notes.map((t) => h('li', {}, t))) : '',
        tool.available === false ? h('p', { class: 'bad' }, 'Not available now (server not connected or breaker open): a call will be refused or wait.') : '',
        h('details', { class: 'schema' }, h('summary', {}, 'Input schema'), pretty(tool.inputSchema)),
        ...(tool.outputSchema ? [h('details', { class: 'schema' }, h('summary', {}, 'Output schema'), pretty(tool.outputSchema))] : []),
      ),
      formEl,
      out,
    );
  };
  toolSelect.addEventListener('change', () => showTool(toolSelect.value));

  // ---- prompts
  const promptSelect = h('select', { id: `try${n}-prompt` });
  const promptPane = h('div', { class: 'item-pane' });
  panels.prompts.append(h('div', { class: 'picker' }, h('label', { for: promptSelect.id }, 'Prompt'), promptSelect), promptPane);
  let prompts: PromptInfo[] = [];
  const showPrompt = (name: string) => {
    const prompt = prompts.find((p) => p.name === name);
    if (!prompt) {
      promptPane.replaceChildren(h('p', { class: 'muted' }, prompts.length ? 'Pick a prompt.' : 'This server lists no prompts.'));
      return;
    }
    // Prompt arguments are strings: the same form, from a made-up schema.
    const schema = {
      type: 'object',
      properties: Object.fromEntries((prompt.arguments ?? []).map((a) => [a.name, { type: 'string', ...(a.description ? { description: a.description } : {}) }])),
      required: (prompt.arguments ?? []).filter((a) => a.required).map((a) => a.name),
    };
    const form = schemaForm(schema, `Arguments of ${prompt.name}`);
    const get = h('button', { type: 'submit', class: 'primary', 'data-action': 'get' }, 'Get prompt');
    const out = h('div', { class: 'result', 'aria-live': 'polite', hidden: '', 'data-field': 'result' });
    const formEl = h('form', { class: 'call-form', 'data-prompt': prompt.name }, form.element, h('div', { class: 'call-bar' }, get));
    formEl.addEventListener('submit', (e) => {
      e.preventDefault();
      const args = form.read();
      if (!args.ok) {
        out.hidden = false;
        out.replaceChildren(h('p', { class: 'bad', role: 'alert' }, args.error));
        return;
      }
      void run(get, out, async (signal) => {
        const result = await api<{ description?: string; messages?: { role: string; content: Record<string, unknown> }[] }>(
          token() ?? '',
          'mcp/prompts/get',
          'POST',
          { name: prompt.name, server, arguments: args.value, source: PAGE_SOURCE },
          signal,
        );
        return (ms) =>
          showResult(
            out,
            'ok',
            ms,
            ...(result.description ? [h('p', { class: 'desc' }, result.description)] : []),
            ...(result.messages ?? []).map((m) => h('div', { class: 'message', 'data-role': m.role }, h('span', { class: 'role' }, m.role), contentBlock(m.content ?? {}))),
          );
      });
    });
    promptPane.replaceChildren(h('div', { class: 'item-head' }, h('h4', {}, prompt.title ?? prompt.name), prompt.description ? h('p', { class: 'desc' }, prompt.description) : ''), formEl, out);
  };
  promptSelect.addEventListener('change', () => showPrompt(promptSelect.value));

  // ---- resources
  const uriInput = h('input', { id: `try${n}-uri`, type: 'text', spellcheck: 'false', placeholder: 'a resource uri', list: `try${n}-uris` });
  const uris = h('datalist', { id: `try${n}-uris` });
  const read = h('button', { type: 'submit', class: 'primary', 'data-action': 'read' }, 'Read');
  const resourceOut = h('div', { class: 'result', 'aria-live': 'polite', hidden: '', 'data-field': 'result' });
  const resourceList = h('ul', { class: 'resource-list' });
  const resourceForm = h('form', { class: 'call-form' }, h('div', { class: 'call-bar' }, h('label', { for: uriInput.id }, 'URI'), uriInput, uris, read));
  panels.resources.append(resourceList, resourceForm, resourceOut);
  resourceForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const uri = uriInput.value.trim();
    if (!uri) {
      resourceOut.hidden = false;
      resourceOut.replaceChildren(h('p', { class: 'bad', role: 'alert' }, 'uri: required'));
      uriInput.focus();
      return;
    }
    void run(read, resourceOut, async (signal) => {
      const result = await api<{ contents?: Record<string, unknown>[] }>(token() ?? '', 'mcp/resources/read', 'POST', { uri, server, source: PAGE_SOURCE }, signal);
      return (ms) => showResult(resourceOut, 'ok', ms, ...(result.contents ?? []).map((c) => h('div', { class: 'content' }, h('p', { class: 'muted' }, h('code', {}, String(c.uri ?? '')), c.mimeType ? ` · ${String(c.mimeType)}` : ''), resourceContent(c))));
    });
  });

  const fillSelect = (el: HTMLSelectElement, names: { name: string; title?: string }[], keep: string | undefined) => {
    el.replaceChildren(h('option', { value: '' }, names.length ? '(choose)' : '(none)'), ...names.map((t) => h('option', { value: t.name }, t.title && t.title !== t.name ? `${t.name} — ${t.title}` : t.name)));
    if (keep && names.some((t) => t.name === keep)) el.value = keep;
  };

  const refresh = () => {
    const t = token();
    if (!t) return;
    void Promise.allSettled([
      api<{ tools: ToolInfo[] }>(t, `mcp/tools?server=${enc}`),
      api<{ prompts: PromptInfo[] }>(t, `mcp/prompts?server=${enc}`),
      api<{ resources: ResourceInfo[] }>(t, `mcp/resources?server=${enc}`),
      api<{ resourceTemplates: ResourceTemplateInfo[] }>(t, `mcp/resource-templates?server=${enc}`),
    ]).then(([tr, pr, rr, tt]) => {
      if (tr.status === 'fulfilled') {
        const before = toolSelect.value || wantedTool;
        tools = tr.value.tools.filter((x) => x.server === server).sort((a, b) => a.name.localeCompare(b.name));
        tabs.tools.textContent = `tools (${tools.length})`;
        fillSelect(toolSelect, tools, before);
        // A tool already open keeps its form (and what was typed) unless it went away.
        const open = toolPane.querySelector<HTMLFormElement>('form[data-tool]')?.getAttribute('data-tool');
        if (open !== toolSelect.value || !open) showTool(toolSelect.value);
        wantedTool = undefined;
      }
      if (pr.status === 'fulfilled') {
        const before = promptSelect.value;
        prompts = pr.value.prompts.filter((x) => x.server === server).sort((a, b) => a.name.localeCompare(b.name));
        tabs.prompts.textContent = `prompts (${prompts.length})`;
        fillSelect(promptSelect, prompts, before);
        const open = promptPane.querySelector<HTMLFormElement>('form[data-prompt]')?.getAttribute('data-prompt');
        if (open !== promptSelect.value || !open) showPrompt(promptSelect.value);
      }
      if (rr.status === 'fulfilled' || tt.status === 'fulfilled') {
        const resources = rr.status === 'fulfilled' ? rr.value.resources.filter((x) => x.server === server) : [];
        const templates = tt.status === 'fulfilled' ? tt.value.resourceTemplates.filter((x) => x.server === server) : [];
        tabs.resources.textContent = `resources (${resources.length + templates.length})`;
        uris.replaceChildren(...resources.map((r) => h('option', { value: r.uri }, r.name)));
        resourceList.replaceChildren(
          ...resources.map((r) => {
            const pick = h('button', { type: 'button', class: 'link', 'data-uri': r.uri }, r.uri);
            pick.addEventListener('click', () => {
              uriInput.value = r.uri;
              uriInput.focus();
            });
            return h('li', {}, pick, ` ${r.title ?? r.name}${r.mimeType ? ` · ${r.mimeType}` : ''}`);
          }),
          ...templates.map((r) => {
            const pick = h('button', { type: 'button', class: 'link', 'data-template': r.uriTemplate }, r.uriTemplate);
            pick.addEventListener('click', () => {
              uriInput.value = r.uriTemplate;
              uriInput.focus();
            });
            return h('li', {}, pick, ` template: fill in the {braces} · ${r.title ?? r.name}`);
          }),
        );
        if (resources.length + templates.length === 0) resourceList.replaceChildren(h('li', { class: 'muted' }, 'This server lists no resources.'));
      }
    });
  };

  return {
    element,
    refresh,
    selectTool(name) {
      select('tools');
      element.scrollIntoView({ block: 'start' });
      wantedTool = name;
      if (tools.some((t) => t.name === name)) {
        toolSelect.value = name;
        showTool(name);
        wantedTool = undefined;
      }
    },
  };
}
