// random-labels-page.js — random-labels.html: Zhang et al. (2017)'s randomisation tests live.
// The same network and optimizer train on true labels, on labels corrupted with probability p,
// on random labels, shuffled pixels, random pixels or Gaussian inputs (the random_labels kind,
// src/experiments/random_labels.*), several runs side by side, one Web Worker each; train
// and test accuracy race per epoch on one chart.
//
// The page's state is one config (what `gradlab sweep` reads): the chosen test sets
// data.label_noise / data.randomize, and "compare with true labels" adds a sweep block
// ({"data.label_noise": [0, p]} or {"data.randomize": ["none", test]}) whose points run as
// overlaid runs. Rows are logged once per epoch (train.log_every = steps per epoch). The URL
// hash holds the config, so a link restores the exact runs.
import { MetricChart, PALETTE } from './charts.js';
import { $, clearError, download, el, formatNumber, rowsToCsv, rowsToJsonl, showError } from './common.js';
import { buildHash, parseHash } from './config-url.js';
import { getPath } from './config-fields.js';
import { clone, loadExperiment } from './generalisation.js';
import { Run, expandConfig, prewarm, takeIdleRun } from './runner.js';

const KIND = 'random_labels';
const TEST_NAMES = {
  true: 'true labels', partial: 'corrupted labels', labels: 'random labels', shuffled_pixels: 'shuffled pixels',
  random_pixels: 'random pixels', gaussian: 'Gaussian inputs', none: 'true labels',
};

// Presets: a file of experiments/random_labels/ (its web profile applied), then a tweak. The
// web profile's 60 epochs end just before corrupted labels are fitted at n = 500 (100% train
// accuracy at epoch 71 for p = 0.5 and 64 for p = 1, natively and in WASM alike; 37 for true
// labels), so the MLP 1×512 presets train for 100.
const FIT_EPOCHS = 100;
const PRESETS = [
  { id: 'p-half', title: 'True labels vs p = 0.5 (MLP 1×512)', file: 'label_noise_sweep.json', test: ['partial', 0.5, true], epochs: FIT_EPOCHS },
  { id: 'p-zero-half-one', title: 'p = 0, 0.5, 1 (MLP 1×512, 3 runs)', file: 'label_noise_sweep.json', epochs: FIT_EPOCHS },
  { id: 'p-sweep', title: 'p = 0, 0.2, …, 1 (MLP 1×512, 6 runs)', file: 'mlp_fashion.json', epochs: FIT_EPOCHS },
  { id: 'random-labels', title: 'Random labels vs true labels (MLP 1×512)', file: 'random_labels.json', test: ['labels', 0, true], epochs: FIT_EPOCHS },
  { id: 'gaussian', title: 'Gaussian inputs vs true labels (MLP 1×512)', file: 'gaussian.json', test: ['gaussian', 0, true], epochs: FIT_EPOCHS },
  { id: 'mlp3-all', title: 'All five tests, MLP 3×512 (5 runs)', file: 'mlp3_randomizations.json' },
  { id: 'cnn-all', title: 'All five tests, small CNN (5 runs)', file: 'cnn_randomizations.json' },
];
const DEFAULT_PRESET = PRESETS[0];

let config = null;
let runs = [];     // [{id, label, run}]
let serial = 0;

const charts = {
  accuracy: new MetricChart($('#chart-accuracy'), { title: 'Accuracy: train (solid) and test (dashed)', yLabel: 'accuracy', xLabel: 'epoch', height: 300 }),
  loss: new MetricChart($('#chart-loss'), { title: 'Training loss (cross-entropy)', yLabel: 'loss', xLabel: 'epoch', logY: true, height: 300 }),
};

export function stepsPerEpoch(c) {
  const bs = getPath(c, 'train.batch_size');
  const n = getPath(c, 'data.n_train');
  if (bs === undefined || bs === 'full' || !(n > bs)) return 1;
  return Math.ceil(n / bs);
}

// The test a config runs (without its sweep): 'true', 'partial' (with p) or a randomize mode.
function testOf(c) {
  const randomize = getPath(c, 'data.randomize');
  if (randomize && randomize !== 'none') return randomize;
  return (getPath(c, 'data.label_noise') || 0) > 0 ? 'partial' : 'true';
}

// Whether the sweep block is the page's own "compare with true labels" one (else a preset's
// sweep, shown as it is until a control replaces it).
function describe(c) {
  const test = testOf(c);
  const p = getPath(c, 'data.label_noise') || 0;
  const sweep = c.sweep;
  if (!sweep) return { test, p, compare: false, custom: false };
  const keys = Object.keys(sweep);
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  if (keys.length === 1 && test === 'partial' && same(sweep['data.label_noise'], [0, p])) return { test, p, compare: true, custom: false };
  if (keys.length === 1 && test !== 'partial' && test !== 'true' && same(sweep['data.randomize'], ['none', test])) return { test, p, compare: true, custom: false };
  return { test, p, compare: true, custom: true };
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

// One row per epoch: the x axis of the race.
function logPerEpoch(c) {
  c.train.log_every = stepsPerEpoch(c);
}

async function presetConfig(preset) {
  const c = await loadExperiment(KIND, preset.file);
  if (preset.test) setTest(c, ...preset.test);
  if (preset.epochs) c.train.epochs = preset.epochs;
  logPerEpoch(c);
  return c;
}

function pointLabel(point) {
  const o = point.overrides || {};
  if ('data.label_noise' in o) return `p = ${formatNumber(o['data.label_noise'])}`;
  if ('data.randomize' in o) return TEST_NAMES[o['data.randomize']] || o['data.randomize'];
  const test = testOf(point.config);
  if (Object.keys(o).length) return point.id;
  return test === 'partial' ? `p = ${formatNumber(getPath(point.config, 'data.label_noise'))}` : TEST_NAMES[test];
}

// ---- form ⇄ config

function writeForm() {
  const d = describe(config);
  const select = $('#test');
  const custom = select.querySelector('option[value="custom"]');
  if (d.custom && !custom) select.append(new Option('Several: the preset\'s sweep block', 'custom'));
  if (!d.custom && custom) custom.remove();
  select.value = d.custom ? 'custom' : d.test;
  $('#p-slider').value = String(d.p);
  $('#p-value').textContent = formatNumber(d.p, 3);
  $('#p-row').hidden = d.custom || d.test !== 'partial';
  $('#compare').checked = d.compare;
  $('#compare').disabled = d.custom;
  $('#n-train').value = getPath(config, 'data.n_train') ?? '';
  $('#epochs').value = getPath(config, 'train.epochs') ?? '';
  $('#lr').value = getPath(config, 'optim.lr') ?? '';
  $('#seed').value = getPath(config, 'seed') ?? 0;
  const model = config.model || {};
  const shape = model.type === 'mlp' ? `MLP ${(model.widths || []).length}×${(model.widths || [])[0] ?? 0}` : model.type === 'cnn' ? `CNN, channels ${JSON.stringify(model.channels || [32, 32])}` : model.type;
  $('#model-note').textContent = `Model: ${shape}, ${config.optim && config.optim.type} (η = ${formatNumber(getPath(config, 'optim.lr'))}), batch ${getPath(config, 'train.batch_size')}, no regularisation; ` +
    `${stepsPerEpoch(config)} steps per epoch. Other knobs: the JSON below.`;
  $('#config-json').value = JSON.stringify(config, null, 2);
  const hash = buildHash(config);
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

function readForm() {
  const c = clone(config);
  const test = $('#test').value;
  const p = Number($('#p-slider').value);
  if (test !== 'custom') setTest(c, test, p, $('#compare').checked);
  const n = Number($('#n-train').value), epochs = Number($('#epochs').value), lr = Number($('#lr').value), seed = Number($('#seed').value);
  if (!Number.isInteger(n) || n < 1) throw new Error('n must be a positive whole number of training examples');
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error('epochs must be a positive whole number');
  if (!(lr > 0)) throw new Error('η must be a positive number');
  if (!Number.isInteger(seed) || seed < 0) throw new Error('the seed must be a whole number ≥ 0');
  c.data.n_train = n;
  c.train.epochs = epochs;
  delete c.train.steps;
  c.optim.lr = lr;
  c.seed = seed;
  // The batch must fit in the training set; the sweep runs per epoch either way.
  if (typeof c.train.batch_size === 'number' && c.train.batch_size > n) c.train.batch_size = 'full';
  logPerEpoch(c);
  return c;
}

function edited() {
  let c;
  try {
    c = readForm();
  } catch (e) {
    showError(e.message, { title: 'Invalid value' });
    writeForm();
    return;
  }
  clearError();
  config = c;
  writeForm();
  clearTimeout(edited.timer);
  edited.timer = setTimeout(start, 250);
}

// ---- runs

async function start({ keepError = false } = {}) {
  if (!keepError) clearError();
  const mine = ++serial;
  let points;
  try {
    points = await expandConfig(config);
  } catch (e) {
    showError(e.message, { title: e.name || 'Error' });
    render();
    return;
  }
  if (mine !== serial) return;
  const spare = runs.map((r) => r.run);
  const idle = takeIdleRun();
  if (idle) spare.push(idle);
  runs = [];
  const starts = points.map((point, i) => {
    const run = spare.shift() || new Run();
    const entry = { id: point.id, label: pointLabel(point), run, color: PALETTE[i % PALETTE.length] };
    run.label = entry.label;
    run.onRows = () => schedule();
    run.onState = () => schedule();
    run.onError = (e) => showError(`${entry.label}: ${e.message}`, { title: e.name || 'Error' });
    runs.push(entry);
    return run.start(point.config).catch(() => {});
  });
  for (const run of spare) run.terminate();
  render();
  await Promise.all(starts);
}

let frame = 0;
function schedule() {
  if (frame) return;
  frame = requestAnimationFrame(() => { frame = 0; render(); });
}

function series(rows, key, spe) {
  const xs = [], ys = [];
  for (const r of rows) if (Number.isFinite(r[key])) { xs.push(r.step / spe); ys.push(r[key]); }
  return { xs, ys };
}

function render() {
  const acc = [], loss = [];
  for (const r of runs) {
    const spe = (r.run.state && r.run.state.summary && r.run.state.summary.steps_per_epoch) || stepsPerEpoch(r.run.config || config);
    acc.push(Object.assign({ label: `${r.label} train`, color: r.color }, series(r.run.rows, 'train_acc', spe)));
    acc.push(Object.assign({ label: `${r.label} test`, color: r.color, dash: [6, 4] }, series(r.run.rows, 'test_acc', spe)));
    loss.push(Object.assign({ label: r.label, color: r.color }, series(r.run.rows, 'loss', spe)));
  }
  const classes = getPath(config, 'data.classes');
  const chance = 1 / (Array.isArray(classes) ? classes.length : 10);
  charts.accuracy.update(acc, { hLines: [{ y: chance, color: '#888', label: `chance ${formatNumber(chance)}` }] });
  charts.loss.update(loss);
  renderStatus();
}

function renderStatus() {
  const status = $('#status');
  status.textContent = '';
  const busy = runs.some((r) => r.run.status === 'running' || r.run.status === 'stepping');
  const live = runs.some((r) => ['running', 'stepping', 'paused', 'ready'].includes(r.run.status));
  $('#btn-pause').disabled = !live;
  $('#btn-pause').textContent = busy ? 'Pause' : 'Resume';
  $('#btn-step').disabled = !live;
  $('#btn-reset').disabled = runs.length === 0;
  $('#btn-stop').disabled = !live;
  const body = $('#summary-table tbody');
  body.textContent = '';
  if (!runs.length) { status.textContent = 'Press Run to start.'; return; }
  for (const r of runs) {
    const s = r.run.state || {};
    const sum = s.summary || {};
    const spe = sum.steps_per_epoch || stepsPerEpoch(r.run.config || config);
    const last = r.run.rows[r.run.rows.length - 1];
    const parts = [`${r.label}: ${r.run.status === 'stepping' ? 'running' : r.run.status}`];
    if (s.total_steps !== undefined) parts.push(`epoch ${formatNumber(s.steps_done / spe, 3)}/${formatNumber(s.total_steps / spe, 3)}`);
    if (last && Number.isFinite(last.train_acc)) parts.push(`train ${(100 * last.train_acc).toFixed(1)}%`);
    if (last && Number.isFinite(last.test_acc)) parts.push(`test ${(100 * last.test_acc).toFixed(1)}%`);
    parts.push(Number.isFinite(sum.epochs_to_fit) ? `100% train accuracy at epoch ${formatNumber(sum.epochs_to_fit)}` : 'not fitted yet');
    if (s.diverged) parts.push(`diverged: ${s.reason}`);
    const line = el('div', { class: 'status-line' + (s.diverged ? ' diverged' : ''), text: parts.join(' · ') });
    line.dataset.status = r.run.status;
    status.append(line);
    const cell = (v) => el('td', { text: v });
    const row = el('tr', {}, [
      el('td', {}, [el('span', { class: 'swatch', style: `background:${r.color}` }), r.label]),
      cell(Number.isFinite(sum.epochs_to_fit) ? formatNumber(sum.epochs_to_fit) : '–'),
      cell(Number.isFinite(sum.final_train_acc) ? `${(100 * sum.final_train_acc).toFixed(1)}%` : '–'),
      cell(Number.isFinite(sum.final_test_acc) ? `${(100 * sum.final_test_acc).toFixed(1)}%` : '–'),
      cell(Number.isFinite(sum.n_noisy) && sum.n_train ? `${sum.n_noisy} of ${sum.n_train}` : '–'),
      cell(Number.isFinite(s.compute_s) ? `${s.compute_s.toFixed(1)} s` : '–'),
    ]);
    body.append(row);
  }
}

// ---- exports

function exportObject() {
  return { config, runs: runs.map((r) => ({ id: r.id, label: r.label, config: r.run.config, summary: r.run.state && r.run.state.summary, rows: r.run.rows })) };
}

function bind() {
  const on = (id, fn) => $(id).addEventListener('click', fn);
  on('#btn-run', () => start());
  on('#btn-pause', () => {
    if (runs.some((r) => r.run.status === 'running' || r.run.status === 'stepping')) runs.forEach((r) => r.run.pause());
    else runs.forEach((r) => r.run.resume());
  });
  on('#btn-step', () => runs.forEach((r) => r.run.step(1)));
  on('#btn-reset', async () => { await Promise.all(runs.map((r) => r.run.reset().catch(() => {}))); render(); });
  on('#btn-stop', () => runs.forEach((r) => r.run.stop()));
  on('#btn-apply-json', () => {
    let c;
    try {
      c = JSON.parse($('#config-json').value);
      if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new Error('the config must be a JSON object');
      if (c.kind !== KIND) throw new Error(`this page runs kind "${KIND}", got "${c.kind}"`);
    } catch (e) {
      showError(e.message, { title: 'Invalid JSON' });
      return;
    }
    config = c;
    writeForm();
    start();
  });
  on('#btn-copy-link', () => navigator.clipboard && navigator.clipboard.writeText(location.href).catch(() => {}));
  on('#btn-export-config', () => download('config.json', JSON.stringify(config, null, 2) + '\n', 'application/json'));
  on('#btn-export-csv', () => download('metrics.csv', rowsToCsv(runs.map((r) => ({ id: r.id, rows: r.run.rows }))), 'text/csv'));
  on('#btn-export-json', () => download('metrics.json', JSON.stringify(exportObject(), null, 1), 'application/json'));
  on('#btn-export-jsonl', () => {
    for (const r of runs) download(runs.length > 1 ? `metrics-${r.id.replace(/[^\w.=-]+/g, '_')}.jsonl` : 'metrics.jsonl', rowsToJsonl(r.run.rows), 'application/x-ndjson');
  });
  for (const id of ['#compare', '#n-train', '#epochs', '#lr', '#seed', '#p-slider']) $(id).addEventListener('change', edited);
  $('#test').addEventListener('change', () => {
    // p = 0 is the true-labels test: choosing "partially corrupted" starts from p = 0.5.
    if ($('#test').value === 'partial' && Number($('#p-slider').value) === 0) $('#p-slider').value = '0.5';
    edited();
  });
  $('#p-slider').addEventListener('input', () => { $('#p-value').textContent = formatNumber(Number($('#p-slider').value), 3); });
  for (const box of document.querySelectorAll('.log-toggle')) box.addEventListener('change', () => { charts[box.dataset.chart].setLogY(box.checked); render(); });
  for (const b of document.querySelectorAll('button.png')) b.addEventListener('click', async () => download(`gradlab-random-labels-${b.dataset.chart}.png`, await charts[b.dataset.chart].toPNG()));
  for (const b of document.querySelectorAll('button.svg')) b.addEventListener('click', () => download(`gradlab-random-labels-${b.dataset.chart}.svg`, charts[b.dataset.chart].toSVG(), 'image/svg+xml'));
  const select = $('#preset');
  select.append(new Option('— choose a preset —', ''));
  for (const p of PRESETS) select.append(new Option(p.title, p.id));
  select.addEventListener('change', async () => {
    const preset = PRESETS.find((p) => p.id === select.value);
    if (!preset) return;
    try {
      config = await presetConfig(preset);
      writeForm();
      await start();
    } catch (e) {
      showError(e.message);
    }
  });
}

// A config from the URL: checked by the WASM validator; a bad one shows a readable error and
// the default preset runs instead.
async function configFromHash(hash) {
  const { config: c } = parseHash(hash);
  if (!c) return null;
  if (c.kind !== KIND) throw new Error(`the config in the URL is a "${c.kind}" config; this page runs kind "${KIND}"`);
  await expandConfig(c);
  return c;
}

async function init() {
  prewarm();
  bind();
  let fromHash = null;
  try {
    fromHash = await configFromHash(location.hash);
  } catch (e) {
    showError(`${e.message} — showing the default preset instead.`, { title: 'The config in the URL is invalid' });
  }
  config = fromHash || await presetConfig(DEFAULT_PRESET);
  if (!fromHash) $('#preset').value = DEFAULT_PRESET.id;
  writeForm();
  await start({ keepError: true });
}

window.addEventListener('hashchange', async () => {
  try {
    const c = await configFromHash(location.hash);
    if (!c || JSON.stringify(c) === JSON.stringify(config)) return;
    config = c;
    writeForm();
    await start();
  } catch (e) {
    showError(e.message, { title: 'The config in the URL is invalid' });
  }
});

// For the browser tests and the console.
window.gradlabRandomLabels = { get config() { return config; }, get runs() { return runs; }, charts, start };
init().catch((e) => showError(e.message));
