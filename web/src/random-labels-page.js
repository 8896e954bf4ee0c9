// random-labels-page.js — random-labels.html: Zhang et al. (2017)'s randomisation tests live.
// The same network and optimizer train on true labels, on labels corrupted with probability p,
// on random labels, shuffled pixels, random pixels or Gaussian inputs (the random_labels kind),
// several runs side by side, one Web Worker each; train and test accuracy race per epoch on
// one chart. The page skeleton (lab-page.js) does the form, the hash, the runs and the charts
// from the kind's page descriptor; this file adds the page's own views:
//   - the "randomisation test" choice, which sets data.randomize or data.label_noise, and
//     "compare with true labels", which adds the sweep block {"data.label_noise": [0, p]} or
//     {"data.randomize": ["none", test]} whose points run as overlaid runs;
//   - the chance line on the accuracy chart and the summary table (the WASM summary's figures).
import { $, el, formatNumber, showError } from './common.js';
import { getPath } from './config-fields.js';
import { LabPage } from './lab-page.js';

// The test a config runs (without its sweep): 'true', 'partial' (p > 0) or a randomize mode.
function testOf(c) {
  const randomize = getPath(c, 'data.randomize');
  if (randomize && randomize !== 'none') return randomize;
  return (getPath(c, 'data.label_noise') || 0) > 0 ? 'partial' : 'true';
}

// Whether the sweep block is the page's own comparison (else a preset's, shown as it is).
function describe(c) {
  const test = testOf(c);
  const p = getPath(c, 'data.label_noise') || 0;
  const sweep = c.sweep;
  if (!sweep) return { test, p, compare: false, custom: false };
  const keys = Object.keys(sweep);
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const own = keys.length === 1 && (test === 'partial' ? same(sweep['data.label_noise'], [0, p]) : test !== 'true' && same(sweep['data.randomize'], ['none', test]));
  return { test, p, compare: true, custom: !own };
}

export function setTest(c, test, p, compare) {
  const d = c.data;
  delete d.randomize;
  delete d.label_noise;
  delete c.sweep;
  if (test === 'partial') {
    d.label_noise = p;
    if (compare && p > 0) c.sweep = { 'data.label_noise': [0, p] };
  } else if (test !== 'true') {
    d.randomize = test;
    if (compare) c.sweep = { 'data.randomize': ['none', test] };
  }
}

function writeTest(config) {
  const d = describe(config);
  const select = $('#test');
  const custom = select.querySelector('option[value="custom"]');
  if (d.custom && !custom) select.append(new Option('Several: the preset\'s sweep block', 'custom'));
  if (!d.custom && custom) custom.remove();
  select.value = d.custom ? 'custom' : d.test;
  const pRow = $('#fields .field[data-path="data.label_noise"]');
  if (pRow) pRow.hidden = d.custom || d.test !== 'partial';
  $('#compare').checked = d.compare;
  $('#compare').disabled = d.custom;
  const model = config.model || {};
  const widths = model.widths || [];
  const shape = model.type === 'mlp' ? `MLP ${widths.length}×${widths[0] ?? 0}` : model.type === 'cnn' ? `CNN, channels ${JSON.stringify(model.channels || [])}` : model.type;
  $('#model-note').textContent = `Model: ${shape}, ${getPath(config, 'optim.type')} (η = ${formatNumber(getPath(config, 'optim.lr'))}), ` +
    `batch ${getPath(config, 'train.batch_size')}, no regularisation. Other knobs: the JSON below.`;
}

function renderTable(lab) {
  const body = $('#summary-table tbody');
  body.textContent = '';
  const pct = (v) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '–');
  lab.runs.forEach((r, i) => {
    const s = r.run.state || {};
    const sum = s.summary || {};
    const color = lab.dashboard ? lab.dashboard.color(i) : '';
    body.append(el('tr', {}, [
      el('td', {}, [el('span', { class: 'swatch', style: `background:${color}` }), r.label]),
      el('td', { text: Number.isFinite(sum.epochs_to_fit) ? formatNumber(sum.epochs_to_fit) : '–' }),
      el('td', { text: pct(sum.final_train_acc) }),
      el('td', { text: pct(sum.final_test_acc) }),
      el('td', { text: Number.isFinite(sum.n_noisy) && sum.n_train ? `${sum.n_noisy} of ${sum.n_train}` : '–' }),
      el('td', { text: Number.isFinite(s.compute_s) ? `${s.compute_s.toFixed(1)} s` : '–' }),
    ]));
  });
}

const lab = new LabPage({
  kind: 'random_labels',
  chartHeight: 300,
  onConfig: writeTest,
  // "epoch a/b" (the WASM summary's steps per epoch) instead of steps.
  statusParts: (r) => {
    const s = r.run.state || {};
    const spe = (s.summary && s.summary.steps_per_epoch) || 1;
    return s.total_steps === undefined ? [] : [`epoch ${formatNumber(s.steps_done / spe, 3)}/${formatNumber(s.total_steps / spe, 3)}`];
  },
  // Chance: one over the number of classes the config keeps (10 without data.classes).
  extraLines: (id) => {
    if (id !== 'accuracy' || !lab.config) return {};
    const classes = getPath(lab.config, 'data.classes');
    const chance = 1 / (Array.isArray(classes) ? classes.length : 10);
    return { hLines: [{ y: chance, color: '#888', label: `chance ${formatNumber(chance)}` }] };
  },
});
lab.onStateHooks.push(renderTable);

function testEdited() {
  const test = $('#test').value;
  if (test === 'custom') return;
  const compare = $('#compare').checked;
  // p = 0 is the true-labels test: choosing "partially corrupted" starts from p = 0.5.
  lab.edit('data.randomize', (c) => setTest(c, test, getPath(c, 'data.label_noise') || (test === 'partial' ? 0.5 : 0), compare));
}
$('#test').addEventListener('change', testEdited);
$('#compare').addEventListener('change', testEdited);

// For the browser tests and the console.
window.gradlabRandomLabels = {
  lab, get config() { return lab.config; }, get runs() { return lab.runs; }, get charts() { return lab.dashboard.charts; }, start: () => lab.start(),
};
lab.init().catch((e) => showError(e.message));
