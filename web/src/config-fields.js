// config-fields.js — form fields bound to config paths, built from the config schema
// (schema.json, written by web/build.sh from the WASM module's schema()) and a kind's page
// descriptor (its `fields` list). A field edits one key of the user config, the JSON
// `gradlab run` reads. The schema gives each key's type, choices, help text, default and
// `when` condition (the key applies only while another key has one of some values); the
// descriptor gives only the label and, optionally, a control. Nothing here checks a value:
// the text typed is turned into the JSON type the schema names (a number for a number key,
// a list for a list key; text that is no number stays text) and the WASM validator
// (resolveConfig / sweepPoints) judges it, so its message is the one the user sees.
//
// Descriptor field keys:
//   path     config path ("optim.lr"; "sweep" is not a path: see control sweep-list)
//   label    the field's label
//   control  "log-slider" (a number box and a log-scale slider over [min, max]; `toggle`
//            {value, label, start} adds a checkbox that sets the key to that value, e.g. svm.C
//            "inf", the box showing `start` until a number is typed), "slider" (linear, [min,
//            max], `step`), "sweep-list" (more values of `path` run side by side: the config's
//            sweep block, the base value kept among them); default: a select for string keys
//            with choices, a checkbox for bool keys, else a box (number-or-word keys such as
//            data.n_train = "all" suggest their words)
//   choices  the schema's choices this page offers, in this order (others a config holds
//            still show); choice_labels {value: text} for a select's options
//   starts   {choice: block}: choosing a value replaces the key's whole block (path minus its
//            last part) with that starting block, e.g. model.type → a small MLP
//   note     text shown beside the field, "{2/optim.lr}" parts evaluated on the config
import { el } from './common.js';

export function getPath(config, path) {
  let node = config;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !(part in node)) return undefined;
    node = node[part];
  }
  return node;
}

export function setPath(config, path, value) {
  const parts = path.split('.');
  let node = config;
  for (const part of parts.slice(0, -1)) {
    if (node[part] === null || typeof node[part] !== 'object' || Array.isArray(node[part])) node[part] = {};
    node = node[part];
  }
  const last = parts[parts.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
}

export const clone = (x) => JSON.parse(JSON.stringify(x));

export function schemaKeys(schema, path) {
  return schema && Array.isArray(schema.keys) ? schema.keys.filter((k) => k.path === path) : [];
}

// A key's value in the config, else its schema default.
export function valueOrDefault(schema, config, path) {
  const v = getPath(config, path);
  if (v !== undefined) return v;
  const k = schemaKeys(schema, path).find((e) => e.default !== undefined && applies(schema, config, e));
  return k ? k.default : undefined;
}

// Whether a schema entry's `when` condition holds for the config.
export function applies(schema, config, entry) {
  if (!entry.when) return true;
  const v = valueOrDefault(schema, config, entry.when.key);
  return entry.when.values.some((w) => JSON.stringify(w) === JSON.stringify(v));
}

// A field shows while some schema entry of its path applies (paths the schema does not
// know, like the sweep block, always show).
export function shown(schema, config, path) {
  const entries = schemaKeys(schema, path);
  return !entries.length || entries.some((e) => applies(schema, config, e));
}

// Removes the keys whose `when` condition no longer holds after `changed` moved (a kernel
// parameter once the kernel is linear): the validator rejects keys that do not apply.
export function dropInapplicable(schema, config, changed) {
  if (!schema) return;
  for (const k of schema.keys) {
    if (!k.when || k.when.key !== changed || getPath(config, k.path) === undefined) continue;
    if (!schemaKeys(schema, k.path).some((e) => applies(schema, config, e))) {
      setPath(config, k.path, undefined);
      dropInapplicable(schema, config, k.path);
    }
  }
}

// Text → the JSON value of the schema type: numbers where the type holds numbers and the
// text is one, lists split on commas / spaces; anything else stays text for the validator.
export function parseValue(type, text) {
  const t = String(text).trim();
  if (t === '') return undefined;
  const num = (s) => (s !== '' && Number.isFinite(Number(s)) ? Number(s) : s);
  if (/_list/.test(type)) {
    if (type.endsWith('_or_string') && !/[\s,\d]/.test(t)) return t;
    const parts = t.split(/[\s,]+/).filter(Boolean);
    return type === 'string_list' ? parts : parts.map(num);
  }
  if (type === 'int' || type === 'number' || type.endsWith('_or_string')) return num(t);
  return t;
}

const formatValue = (v) => (v === undefined || v === null ? '' : Array.isArray(v) ? v.join(', ') : String(v));

// "{2/optim.lr}" → the number; "{optim.lr}" → the value (formatted by fmt).
export function evalTemplate(text, config, fmt = (v) => String(+Number(v).toPrecision(4))) {
  return text.replace(/\{([^}]+)\}/g, (_, expr) => {
    const v = evalExpr(expr, config);
    return Number.isFinite(v) ? fmt(v) : '–';
  });
}

// "2/optim.lr", "optim.lr", "0.5*optim.lr": a number, or NaN when a path is missing.
export function evalExpr(expr, config) {
  const m = /^\s*(?:([\d.e+-]+)\s*([/*])\s*)?([\w.]+)\s*$/.exec(expr);
  if (!m) return NaN;
  const v = Number(getPath(config, m[3]));
  if (!m[1]) return v;
  return m[2] === '/' ? Number(m[1]) / v : Number(m[1]) * v;
}

// Builds the descriptor's fields into container. edit(path, mutate) is called with a function
// that applies the user's change to a copy of the config; the page validates and commits it
// (later: the value is read when the user makes the change, not when the edit applies).
// Returns {refresh(config)} to write a config into the form. `visible`: paths to show
// (an embed's controls list), null = all.
export function buildFields(container, { fields, schema, edit, visible = null }) {
  container.textContent = '';
  const rows = [];
  for (const field of fields) {
    if (visible && !visible.includes(field.path)) continue;
    const entries = schemaKeys(schema, field.path);
    const type = (entries[0] && entries[0].type) || 'string';
    const doc = entries.map((k) => k.doc).find(Boolean) || '';
    const id = 'field-' + field.path.replace(/\./g, '-') + (field.control === 'sweep-list' ? '-sweep' : '');
    const row = el('div', { class: 'field', 'data-path': field.control === 'sweep-list' ? 'sweep' : field.path });
    row.append(el('label', { for: id, text: field.label || field.path, title: doc }));
    let input, write;
    const change = (mutate) => edit(field.path, mutate);
    const all = [...new Set(entries.flatMap((k) => k.choices || []))];
    const choices = field.choices ? field.choices.filter((c) => all.includes(c)) : all;
    if (field.control === 'sweep-list') {
      input = el('input', { type: 'text', id, placeholder: 'e.g. 0.04, 0.12', title: 'runs one more value per entry; saved as the config\'s sweep block (gradlab sweep runs them all)' });
      write = (config) => {
        const list = config.sweep && Array.isArray(config.sweep[field.path]) ? config.sweep[field.path] : [];
        const base = getPath(config, field.path);
        input.value = list.filter((v) => v !== base).join(', ');
      };
      input.addEventListener('change', () => {
        const extra = parseValue('number_list', input.value) || [];
        change((c) => {
          const base = getPath(c, field.path);
          if (extra.length) c.sweep = { [field.path]: [...new Set([base, ...extra])].sort((a, b) => a - b) };
          else delete c.sweep;
        });
      });
    } else if (field.control === 'log-slider' || field.control === 'slider') {
      // log: 600 slider steps over [log10 min, log10 max]; linear: the slider holds the value.
      const log = field.control === 'log-slider';
      const lo = Math.log10(field.min), hi = Math.log10(field.max), STEPS = 600;
      input = el('input', { type: 'number', id, step: 'any', title: doc });
      const slider = el('input', log
        ? { type: 'range', id: id + '-slider', min: 0, max: STEPS, step: 1, 'aria-label': (field.label || field.path) + ' (log scale)' }
        : { type: 'range', id: id + '-slider', min: field.min, max: field.max, step: field.step || 'any', 'aria-label': field.label || field.path });
      const toggle = field.toggle ? el('input', { type: 'checkbox', id: id + '-toggle' }) : null;
      const sync = () => { input.value = log ? Number((10 ** (lo + (hi - lo) * slider.value / STEPS)).toPrecision(2)) : slider.value; };
      slider.addEventListener('input', sync);
      slider.addEventListener('change', () => { sync(); input.dispatchEvent(new Event('change')); });
      input.addEventListener('change', () => { const v = parseValue(type, input.value); change((c) => setPath(c, field.path, v)); });
      write = (config) => {
        const v = valueOrDefault(schema, config, field.path);
        const off = toggle && v === field.toggle.value;
        if (toggle) { toggle.checked = off; input.disabled = slider.disabled = off; }
        // Toggled: the box keeps its last number (at first the toggle's `start`) for when it is cleared.
        if (off && input.value === '' && field.toggle.start !== undefined) { input.value = field.toggle.start; slider.value = log ? Math.round((Math.log10(field.toggle.start) - lo) / (hi - lo) * STEPS) : field.toggle.start; }
        if (off) return;
        input.value = formatValue(v);
        if (typeof v === 'number') slider.value = log ? Math.round((Math.log10(v) - lo) / (hi - lo) * STEPS) : v;
      };
      if (toggle) {
        toggle.addEventListener('change', () => { const v = toggle.checked ? field.toggle.value : parseValue(type, input.value || '1'); change((c) => setPath(c, field.path, v)); });
        row.insertBefore(el('label', { class: 'inline' }, [toggle, ' ' + field.toggle.label]), row.firstChild);
      }
      row.append(input, slider);
    } else if (choices.length && type === 'string') {
      input = el('select', { id, title: doc });
      const labels = field.choice_labels || {};
      for (const c of choices) input.append(el('option', { value: c, text: labels[c] || c }));
      write = (config) => {
        const v = valueOrDefault(schema, config, field.path);
        if (v !== undefined && ![...input.options].some((o) => o.value === String(v))) input.append(el('option', { value: v, text: v }));
        input.value = v === undefined ? '' : v;
      };
      input.addEventListener('change', () => { const v = input.value; change((c) => {
        if (field.starts && field.starts[v]) setPath(c, field.path.split('.').slice(0, -1).join('.'), clone(field.starts[v]));
        else setPath(c, field.path, v);
      }); });
    } else if (type === 'bool') {
      input = el('input', { type: 'checkbox', id, title: doc });
      write = (config) => { input.checked = !!valueOrDefault(schema, config, field.path); };
      input.addEventListener('change', () => { const v = input.checked; change((c) => setPath(c, field.path, v)); });
    } else {
      // A number-or-word key (data.n_train: a count or "all") is a box with its words suggested.
      const numeric = type === 'int' || type === 'number';
      const list = choices.length ? id + '-choices' : undefined;
      input = el('input', { type: numeric ? 'number' : 'text', id, title: doc, step: type === 'int' ? 1 : numeric ? 'any' : undefined, list });
      if (list) row.append(el('datalist', { id: list }, choices.map((c) => el('option', { value: c }))));
      write = (config) => { input.value = formatValue(valueOrDefault(schema, config, field.path)); };
      input.addEventListener('change', () => { const v = parseValue(type, input.value); change((c) => setPath(c, field.path, v)); });
    }
    row.insertBefore(input, row.querySelector('label:not(.inline)').nextSibling);
    // While the user types (an input not yet committed by change), a refresh from an earlier
    // edit finishing must not overwrite the box: the change would then read the old value.
    row.addEventListener('input', () => { row.dataset.typing = '1'; });
    row.addEventListener('change', () => { delete row.dataset.typing; }, true);
    const note = field.note ? el('span', { class: 'threshold-note' }) : null;
    if (note) row.append(note);
    rows.push({ field, row, write, note });
    container.append(row);
  }
  function refresh(config) {
    for (const { field, row, write, note } of rows) {
      row.hidden = field.control !== 'sweep-list' && !shown(schema, config, field.path);
      if (row.hidden || row.dataset.typing) continue;
      write(config);
      if (note) note.textContent = evalTemplate(field.note, config);
    }
  }
  return { refresh };
}
