/// <reference lib="dom" />
import { h } from './dom.js';

/**
 * A form generated from a tool's input schema (JSON Schema, as MCP servers send it): a field per
 * top-level property — text, number, a yes/no choice, a list of allowed values — and a JSON box
 * for anything richer (arrays, objects, unions). "Raw JSON" edits the whole arguments object
 * instead; switching carries the values across. Reading the form checks required fields and
 * parses numbers and JSON, naming the field at fault.
 */

type Schema = Record<string, unknown>;

export type FormRead = { ok: true; value: Record<string, unknown> } | { ok: false; error: string; field?: string };

export interface SchemaForm {
  element: HTMLElement;
  read(): FormRead;
}

interface Field {
  name: string;
  required: boolean;
  /** The value, `undefined` when left empty, or throws an Error naming the problem. */
  get(): unknown;
  set(value: unknown): void;
  focus(): void;
}

let formSeq = 0;

const isObject = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);

function typeOf(schema: Schema): string | undefined {
  const t = schema.type;
  if (typeof t === 'string') return t;
  // ["string", "null"]: a nullable scalar is edited as the scalar.
  if (Array.isArray(t)) {
    const real = t.filter((x) => x !== 'null');
    if (real.length === 1 && typeof real[0] === 'string') return real[0];
  }
  return undefined;
}

function describe(schema: Schema): string {
  const parts: string[] = [];
  if (typeof schema.description === 'string') parts.push(schema.description);
  if (typeof schema.minimum === 'number') parts.push(`≥ ${schema.minimum}`);
  if (typeof schema.maximum === 'number') parts.push(`≤ ${schema.maximum}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.join(' · ');
}

function field(name: string, schema: Schema, required: boolean, id: string): { element: HTMLElement; field: Field } {
  const type = typeOf(schema);
  const label = h('label', { for: id }, h('code', {}, name), required ? h('span', { class: 'req', title: 'required' }, ' *') : '', type ? h('span', { class: 'type' }, ` ${type}`) : '');
  const hint = describe(schema);
  const hintId = `${id}-hint`;
  const wrap = (control: HTMLElement) => {
    if (hint) control.setAttribute('aria-describedby', hintId);
    if (required) control.setAttribute('aria-required', 'true');
    return h('div', { class: 'field', 'data-arg': name }, label, control, ...(hint ? [h('small', { id: hintId, class: 'hint' }, hint)] : []));
  };
  const problem = (what: string) => new Error(`${name}: ${what}`);

  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    const values = schema.enum as unknown[];
    const select = h('select', { id, name });
    select.append(h('option', { value: '' }, required ? '(choose)' : '(not set)'));
    values.forEach((v, i) => select.append(h('option', { value: String(i) }, typeof v === 'string' ? v : JSON.stringify(v))));
    return {
      element: wrap(select),
      field: {
        name,
        required,
        get: () => (select.value === '' ? undefined : values[Number(select.value)]),
        set: (v) => {
          const i = values.findIndex((x) => JSON.stringify(x) === JSON.stringify(v));
          select.value = i === -1 ? '' : String(i);
        },
        focus: () => select.focus(),
      },
    };
  }
  if (type === 'boolean') {
    const select = h('select', { id, name }, h('option', { value: '' }, '(not set)'), h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
    return {
      element: wrap(select),
      field: { name, required, get: () => (select.value === '' ? undefined : select.value === 'true'), set: (v) => (select.value = typeof v === 'boolean' ? String(v) : ''), focus: () => select.focus() },
    };
  }
  if (type === 'number' || type === 'integer') {
    const input = h('input', { id, name, type: 'number', step: type === 'integer' ? '1' : 'any', inputmode: type === 'integer' ? 'numeric' : 'decimal' });
    if (typeof schema.minimum === 'number') input.min = String(schema.minimum);
    if (typeof schema.maximum === 'number') input.max = String(schema.maximum);
    if (schema.default !== undefined) input.placeholder = String(schema.default);
    return {
      element: wrap(input),
      field: {
        name,
        required,
        get: () => {
          const text = input.value.trim();
          if (text === '') {
            if (input.validity.badInput) throw problem('not a number');
            return undefined;
          }
          const n = Number(text);
          if (!Number.isFinite(n)) throw problem('not a number');
          if (type === 'integer' && !Number.isInteger(n)) throw problem('must be a whole number');
          return n;
        },
        set: (v) => (input.value = typeof v === 'number' ? String(v) : ''),
        focus: () => input.focus(),
      },
    };
  }
  if (type === 'string') {
    const long = typeof schema.maxLength !== 'number' || schema.maxLength > 200;
    const input = long ? h('textarea', { id, name, rows: '2', spellcheck: 'false' }) : h('input', { id, name, type: 'text', spellcheck: 'false' });
    if (typeof schema.default === 'string') input.placeholder = schema.default;
    return {
      element: wrap(input),
      field: {
        name,
        required,
        // An empty optional text is left out; an empty required one is sent as "".
        get: () => (input.value === '' && !required ? undefined : input.value),
        set: (v) => (input.value = typeof v === 'string' ? v : ''),
        focus: () => input.focus(),
      },
    };
  }
  // Arrays, objects, unions, anything else: JSON.
  const area = h('textarea', { id, name, rows: '2', spellcheck: 'false', class: 'json', placeholder: type === 'array' ? '[ … ] as JSON' : 'JSON' });
  return {
    element: wrap(area),
    field: {
      name,
      required,
      get: () => {
        const text = area.value.trim();
        if (text === '') return undefined;
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw problem('is not valid JSON');
        }
      },
      set: (v) => (area.value = v === undefined ? '' : JSON.stringify(v)),
      focus: () => area.focus(),
    },
  };
}

/** Builds the form of `schema` (a tool's `inputSchema`). */
export function schemaForm(schema: Record<string, unknown> | undefined, label: string): SchemaForm {
  const n = ++formSeq;
  const properties = isObject(schema?.properties) ? (schema.properties as Record<string, unknown>) : {};
  const required = new Set(Array.isArray(schema?.required) ? (schema.required as unknown[]).map(String) : []);
  const fields: Field[] = [];
  const fieldset = h('div', { class: 'fields' });
  for (const [name, prop] of Object.entries(properties)) {
    const built = field(name, isObject(prop) ? prop : {}, required.has(name), `f${n}-${fields.length}`);
    fields.push(built.field);
    fieldset.append(built.element);
  }
  if (fields.length === 0) fieldset.append(h('p', { class: 'muted' }, 'This takes no arguments.'));

  const rawId = `f${n}-raw`;
  const raw = h('textarea', { id: rawId, class: 'json raw', rows: '6', spellcheck: 'false', 'aria-label': `${label} as raw JSON` });
  const rawBox = h('div', { class: 'raw-box', hidden: '' }, raw);
  const toggle = h('button', { type: 'button', class: 'small', 'aria-pressed': 'false', 'data-action': 'raw' }, 'Raw JSON');

  const readFields = (): FormRead => {
    const value: Record<string, unknown> = {};
    for (const f of fields) {
      let v: unknown;
      try {
        v = f.get();
      } catch (error) {
        return { ok: false, error: (error as Error).message, field: f.name };
      }
      if (v === undefined) {
        if (f.required) return { ok: false, error: `${f.name}: required`, field: f.name };
        continue;
      }
      value[f.name] = v;
    }
    return { ok: true, value };
  };
  const readRaw = (): FormRead => {
    const text = raw.value.trim();
    if (text === '') return { ok: true, value: {} };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return { ok: false, error: `raw JSON: ${(error as Error).message}` };
    }
    if (!isObject(parsed)) return { ok: false, error: 'raw JSON: the arguments must be a JSON object' };
    return { ok: true, value: parsed };
  };
  /** Whatever the fields hold that can be read (an unfinished form carries over as far as it goes). */
  const collect = (): Record<string, unknown> => {
    const value: Record<string, unknown> = {};
    for (const f of fields) {
      try {
        const v = f.get();
        if (v !== undefined) value[f.name] = v;
      } catch {
        // Unreadable (not a number, not JSON): left out.
      }
    }
    return value;
  };
  const isRaw = () => toggle.getAttribute('aria-pressed') === 'true';
  const toggleError = h('span', { class: 'bad', role: 'alert', 'data-field': 'raw-error' });

  toggle.addEventListener('click', () => {
    toggleError.textContent = '';
    if (!isRaw()) {
      raw.value = JSON.stringify(collect(), null, 2);
      toggle.setAttribute('aria-pressed', 'true');
      fieldset.hidden = true;
      rawBox.hidden = false;
      raw.focus();
    } else {
      const current = readRaw();
      // Invalid JSON stays in the box to be mended: switching back would lose it.
      if (!current.ok) {
        toggleError.textContent = current.error;
        raw.focus();
        return;
      }
      for (const f of fields) f.set(current.value[f.name]);
      toggle.setAttribute('aria-pressed', 'false');
      fieldset.hidden = false;
      rawBox.hidden = true;
    }
  });
  // Nothing to fill in: raw JSON is the only way to send something.
  const element = h('div', { class: 'schema-form' }, h('div', { class: 'form-tools' }, toggleError, toggle), fieldset, rawBox);
  return {
    element,
    read: () => {
      const result = isRaw() ? readRaw() : readFields();
      if (!result.ok && result.field) fields.find((f) => f.name === result.field)?.focus();
      return result;
    },
  };
}
