// config-fields.js — the edge-of-stability knobs as form fields bound to config paths.
//
// A field edits one key of the (user) config: the same JSON `gradlab run` reads, so the
// page's config is always a file the native CLI accepts. Switching a discriminator (model
// type, data source, generator) replaces its block with that choice's starting values,
// because keys that do not apply are errors (docs/design.md §3). Select choices and the help
// text come from the config schema (schema.json, written at build time from the WASM
// build's schema()), so they cannot drift from the validator.
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

// Starting blocks for each model type / data source, sized for a browser tab.
export const MODEL_STARTS = {
  mlp: { type: 'mlp', widths: [200, 200], activation: 'tanh' },
  cnn: { type: 'cnn', channels: [16, 16], activation: 'tanh', pool: 'avg' },
  vit: { type: 'vit', patch: 7, dim: 32, depth: 1, heads: 2 },
  lstm: { type: 'lstm', hidden: 32 },
  linear: { type: 'linear' },
};
export const DATA_STARTS = {
  fashion_mnist: { source: 'fashion_mnist', n_train: 500, n_test: 200, classes: [0, 1, 2, 3], preprocess: ['standardize'], targets: 'onehot' },
  synthetic: { source: 'synthetic', generator: 'spiral', n_train: 300, n_test: 100, targets: 'onehot' },
};

const onlyModel = (...types) => (c) => types.includes(getPath(c, 'model.type'));
const onlySource = (source) => (c) => getPath(c, 'data.source') === source;

// Learning rate slider: log scale over [1e-3, 1].
const LR_MIN = -3, LR_MAX = 0, LR_STEPS = 600;

export const EOS_FIELDS = [
  { path: 'data.source', label: 'Data', type: 'select', options: [['fashion_mnist', 'Fashion-MNIST subset'], ['synthetic', 'Synthetic (generated in WASM)']],
    change: (c, v) => { c.data = JSON.parse(JSON.stringify(DATA_STARTS[v])); } },
  { path: 'data.classes', label: 'Classes (0–9)', type: 'intlist', show: onlySource('fashion_mnist') },
  { path: 'data.generator', label: 'Generator', type: 'select', show: onlySource('synthetic'),
    change: (c, v) => { const d = c.data; c.data = { source: 'synthetic', generator: v, n_train: d.n_train, n_test: d.n_test, targets: d.targets }; } },
  { path: 'data.n_train', label: 'n (training examples)', type: 'int', min: 1 },
  { path: 'model.type', label: 'Model', type: 'select', options: [['mlp', 'MLP'], ['cnn', 'CNN'], ['vit', 'ViT (transformer)'], ['lstm', 'LSTM (image rows)'], ['linear', 'Linear']],
    change: (c, v) => { c.model = JSON.parse(JSON.stringify(MODEL_STARTS[v])); } },
  { path: 'model.widths', label: 'Hidden widths', type: 'intlist', show: onlyModel('mlp') },
  { path: 'model.channels', label: 'Channels', type: 'intlist', show: onlyModel('cnn') },
  { path: 'model.hidden', label: 'Hidden size', type: 'int', min: 1, show: onlyModel('lstm') },
  { path: 'model.dim', label: 'Width (dim)', type: 'int', min: 1, show: onlyModel('vit') },
  { path: 'model.depth', label: 'Blocks', type: 'int', min: 1, show: onlyModel('vit') },
  { path: 'model.activation', label: 'Activation', type: 'select', show: onlyModel('mlp', 'cnn') },
  { path: 'loss', label: 'Loss', type: 'select' },
  { path: 'optim.lr', label: 'Learning rate η', type: 'lr' },
  { path: 'sweep', label: 'Overlay more η (comma-separated)', type: 'lr-list' },
  { path: 'seed', label: 'Seed', type: 'int', min: 0 },
  { path: 'train.steps', label: 'Steps', type: 'int', min: 1 },
  { path: 'probe.sharpness_every', label: 'Sharpness every (steps)', type: 'int', min: 0 },
  { path: 'probe.top_k', label: 'Top-k eigenvalues', type: 'int', min: 1 },
  { path: 'dtype', label: 'Precision', type: 'select', options: [['float32', 'float32'], ['float64', 'float64']] },
];

function schemaEntries(schema, path) {
  return schema ? schema.keys.filter((k) => k.path === path) : [];
}

function parseIntList(text) {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const out = parts.map((p) => Number(p));
  if (out.some((v) => !Number.isInteger(v))) throw new Error(`"${text}" is not a list of integers`);
  return out;
}

function parseNumberList(text) {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const out = parts.map((p) => Number(p));
  if (out.some((v) => !Number.isFinite(v) || v <= 0)) throw new Error(`"${text}" is not a list of positive numbers`);
  return out;
}

const fmtLr = (v) => String(+Number(v).toPrecision(4));

// Builds the fields into `container`; onChange(config) after each edit. Returns {refresh}
// to re-read the config into the form (after a preset or JSON edit). `hidden` lists paths
// not to show (an embed's "controls" list hides the others).
export function buildFields(container, { fields = EOS_FIELDS, schema = null, getConfig, onChange, onError, visible = null }) {
  container.textContent = '';
  const rows = [];
  for (const field of fields) {
    if (visible && !visible.includes(field.path) && !(field.path === 'sweep' && visible.includes('optim.lr'))) continue;
    const id = 'field-' + field.path.replace(/\./g, '-');
    const doc = schemaEntries(schema, field.path).map((k) => k.doc).find(Boolean) || '';
    const row = el('div', { class: 'field', 'data-path': field.path });
    row.append(el('label', { for: id, text: field.label, title: doc }));
    let input, read, write;
    if (field.type === 'select') {
      input = el('select', { id, title: doc });
      let options = field.options;
      if (!options) {
        const choices = new Set();
        for (const k of schemaEntries(schema, field.path)) for (const c of k.choices || []) choices.add(c);
        options = [...choices].map((c) => [c, c]);
      }
      for (const [value, text] of options) input.append(el('option', { value, text }));
      read = () => input.value;
      write = (v) => {
        if (v !== undefined && ![...input.options].some((o) => o.value === String(v))) input.append(el('option', { value: v, text: v }));
        input.value = v === undefined ? '' : v;
      };
    } else if (field.type === 'lr') {
      const slider = el('input', { type: 'range', id: id + '-slider', min: 0, max: LR_STEPS, step: 1, 'aria-label': 'learning rate (log scale)' });
      input = el('input', { type: 'number', id, step: 'any', min: 0, title: doc });
      const threshold = el('span', { class: 'threshold-note' });
      const show = (v) => { threshold.textContent = v > 0 ? `2/η = ${fmtLr(2 / v)}` : ''; };
      slider.addEventListener('input', () => {
        const v = Number((10 ** (LR_MIN + (LR_MAX - LR_MIN) * slider.value / LR_STEPS)).toPrecision(2));
        input.value = v;
        show(v);
      });
      slider.addEventListener('change', () => input.dispatchEvent(new Event('change')));
      read = () => { const v = Number(input.value); if (!(v > 0)) throw new Error('η must be a positive number'); return v; };
      write = (v) => {
        input.value = v === undefined ? '' : v;
        if (v > 0) slider.value = Math.round((Math.log10(v) - LR_MIN) / (LR_MAX - LR_MIN) * LR_STEPS);
        show(v);
      };
      row.append(slider);
      row.append(threshold);
    } else if (field.type === 'lr-list') {
      input = el('input', { type: 'text', id, placeholder: 'e.g. 0.04, 0.12', title: 'runs one more learning rate per value; saved as the config\'s sweep block (gradlab sweep runs them all)' });
      read = () => input.value;
      write = (sweep) => {
        const lrs = sweep && Array.isArray(sweep['optim.lr']) ? sweep['optim.lr'] : [];
        const base = getPath(getConfig(), 'optim.lr');
        input.value = lrs.filter((v) => v !== base).join(', ');
      };
    } else {
      input = el('input', { type: field.type === 'int' ? 'number' : 'text', id, title: doc, step: field.type === 'int' ? 1 : undefined, min: field.min });
      read = () => {
        const text = input.value.trim();
        if (field.type === 'int') {
          const v = Number(text);
          if (!Number.isInteger(v) || (field.min !== undefined && v < field.min)) throw new Error(`${field.label}: expected an integer${field.min !== undefined ? ' ≥ ' + field.min : ''}, got "${text}"`);
          return v;
        }
        if (field.type === 'intlist') return parseIntList(text);
        return text;
      };
      write = (v) => { input.value = v === undefined ? '' : Array.isArray(v) ? v.join(', ') : v; };
    }
    row.insertBefore(input, row.children[1] || null);
    input.addEventListener('change', () => {
      const config = getConfig();
      try {
        const value = read();
        if (field.type === 'lr-list') {
          const extra = value.trim() ? parseNumberList(value) : [];
          const base = getPath(config, 'optim.lr');
          if (extra.length) config.sweep = { 'optim.lr': [...new Set([base, ...extra])].sort((a, b) => a - b) };
          else delete config.sweep;
        } else if (field.change) {
          field.change(config, value);
        } else {
          setPath(config, field.path, value);
          // η moved: an overlay list keeps the new base η among its values.
          if (field.path === 'optim.lr' && config.sweep && Array.isArray(config.sweep['optim.lr'])) {
            const others = config.sweep['optim.lr'].filter((v) => v !== value);
            config.sweep['optim.lr'] = [...new Set([value, ...others])].sort((a, b) => a - b);
          }
        }
      } catch (e) {
        onError(e);
        refresh();
        return;
      }
      onChange(config, field.path);
    });
    rows.push({ field, row, write });
    container.append(row);
  }
  function refresh() {
    const config = getConfig();
    for (const { field, row, write } of rows) {
      const shown = !field.show || field.show(config);
      row.hidden = !shown;
      if (!shown) continue;
      let value = getPath(config, field.path);
      if (value === undefined && field.path !== 'sweep') {
        const k = schemaEntries(schema, field.path).find((e) => e.default !== undefined);
        if (k) value = k.default;
      }
      write(value);
    }
  }
  refresh();
  return { refresh };
}
