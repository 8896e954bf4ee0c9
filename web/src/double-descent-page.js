// double-descent-page.js — double-descent.html: model-wise double descent computed live.
//
// Random features (Belkin et al. 2019): the double_descent kind fits least squares on N
// random ReLU or Fourier features of n examples in closed form (minimum-norm past N = n;
// src/experiments/double_descent.*). The page sweeps N over a log grid from n/10 to 10n,
// one Session per point, two workers at a time, and plots test error, train error, ‖W‖ and
// test loss against N/n with the interpolation threshold N = n marked; a second curve with
// ridge λ > 0 shows regularisation flattening the peak. The sweep is one config
// ({"model.n_features": grid, "model.ridge": [0, λ]}), what `gradlab sweep` runs.
//
// MLP width sweep (Nakkiran et al. 2019): one hidden layer of width h, trained on labels with
// noise, one training Session per width. Engine (switchable): `random_labels` (the training
// kind with data.label_noise; the page takes train / test error as 1 − accuracy of each run's
// last row) or `double_descent` with model.type mlp, whose summary carries train_error and
// test_error at the final parameters. Both configs are in the URL: the random-features one
// as the hash's config, the MLP one base64url-encoded in its `mlp` option.
import { MetricChart, PALETTE } from './charts.js';
import { $, clearError, download, formatNumber, rowsToCsv, rowsToJsonl, showError } from './common.js';
import { buildHash, fromBase64Url, parseHash, toBase64Url } from './config-url.js';
import { getPath } from './config-fields.js';
import { PointPool, clone, loadExperiment } from './generalisation.js';
import { expandConfig, prewarm } from './runner.js';

const KIND = 'double_descent';
const RF_FILE = 'random_features.json';
const DEFAULT_GRID = 21;      // N = n·10^t, t = −1, −0.9, …, 1: 10 points per decade, N = n on it
const DEFAULT_RIDGE = 0.1;    // experiments/double_descent/random_features_ridge.json's λ
const WORKERS = 2;
// "Train error ~0": at most this fraction of training examples misfit counts as interpolating.
export const INTERPOLATION_TOL = 0.01;

// The MLP width sweep at browser scale. Natively (1 core, this config) the test error peaks
// at h = 11, the first width that fits the 20% noisy labels, and falls to 0.33 by h = 128.
const MLP_START = {
  kind: 'random_labels',
  seed: 0,
  dtype: 'float32',
  data: { source: 'fashion_mnist', n_train: 500, n_test: 1000, preprocess: ['downsample2', 'downsample2', 'standardize'], label_noise: 0.2 },
  model: { type: 'mlp', widths: [8], activation: 'relu' },
  loss: 'cross_entropy',
  optim: { type: 'adam', lr: 0.005 },
  train: { steps: 3000, batch_size: 'full', log_every: 250 },
  sweep: { 'model.widths': [[1], [2], [4], [6], [8], [11], [16], [23], [32], [64], [128]] },
};

let rf = null;          // the random-features sweep config
let mlp = null;         // the MLP width-sweep config
const state = {
  rf: { points: [], results: new Map(), pool: null, started: 0, ms: null, serial: 0 },
  mlp: { points: [], results: new Map(), progress: new Map(), pool: null, started: 0, ms: null, serial: 0 },
};

const chart = (id, title, yLabel, options = {}) => new MetricChart($(id), Object.assign({ title, yLabel, xLabel: 'N / n (features per training example)', logX: true, points: true, height: 250 }, options));
const charts = {
  test: chart('#chart-test', 'Test error', 'test error (1 − accuracy)'),
  norm: chart('#chart-norm', 'Coefficient norm ‖W‖', '‖W‖_F', { logY: true }),
  train: chart('#chart-train', 'Train error', 'train error'),
  loss: chart('#chart-loss', 'Test loss (squared)', '½‖f(x) − y‖²', { logY: true }),
  mlp: new MetricChart($('#chart-mlp'), { title: 'MLP: train (dashed) and test error vs width', yLabel: 'error', xLabel: 'hidden width h', logX: true, points: true, height: 280 }),
};

// ---- configs

// N = n·10^t for t evenly spaced in [−1, 1], rounded, duplicates dropped (tiny n).
export function relativeGrid(n, points) {
  const out = [];
  for (let k = 0; k < points; k++) {
    const t = points === 1 ? 0 : -1 + (2 * k) / (points - 1);
    const N = Math.max(1, Math.round(n * 10 ** t));
    if (!out.includes(N)) out.push(N);
  }
  return out;
}

function rfSweep(c, n, points, ridge) {
  c.sweep = { 'model.n_features': relativeGrid(n, points) };
  if (ridge > 0) c.sweep['model.ridge'] = [0, ridge];
  c.model.ridge = 0;
  c.model.n_features = n;
}

async function defaultRf() {
  const c = await loadExperiment(KIND, RF_FILE);
  rfSweep(c, getPath(c, 'data.n_train'), DEFAULT_GRID, DEFAULT_RIDGE);
  return c;
}

const ridgeOf = (c) => {
  const list = c.sweep && c.sweep['model.ridge'];
  return Array.isArray(list) ? Math.max(0, ...list) : getPath(c, 'model.ridge') || 0;
};

function writeForm() {
  $('#features').value = getPath(rf, 'model.features') || 'relu';
  $('#n-train').value = getPath(rf, 'data.n_train') ?? '';
  $('#n-test').value = getPath(rf, 'data.n_test') ?? '';
  const grid = rf.sweep && rf.sweep['model.n_features'];
  $('#grid').value = Array.isArray(grid) ? grid.length : 1;
  $('#ridge').value = ridgeOf(rf);
  $('#seed').value = getPath(rf, 'seed') ?? 0;
  $('#config-json').value = JSON.stringify(rf, null, 2);
  $('#mlp-engine').value = mlp.kind;
  const widths = mlp.sweep && mlp.sweep['model.widths'];
  $('#mlp-widths').value = Array.isArray(widths) ? widths.map((w) => w[0]).join(', ') : String(getPath(mlp, 'model.widths'));
  $('#mlp-noise').value = getPath(mlp, 'data.label_noise') ?? 0;
  $('#mlp-steps').value = getPath(mlp, 'train.steps') ?? '';
  $('#mlp-note').textContent = `n = ${getPath(mlp, 'data.n_train')} Fashion-MNIST images (${(getPath(mlp, 'data.preprocess') || []).join(', ')}), ${mlp.loss}, ` +
    `${getPath(mlp, 'optim.type')} η = ${formatNumber(getPath(mlp, 'optim.lr'))}, seed ${mlp.seed ?? 0}; the rest in MLP config.json.`;
  const hash = buildHash(rf, { mlp: toBase64Url(JSON.stringify(mlp)) });
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

function readRfForm() {
  const c = clone(rf);
  const n = Number($('#n-train').value), nTest = Number($('#n-test').value), points = Number($('#grid').value);
  const ridge = Number($('#ridge').value), seed = Number($('#seed').value);
  if (!Number.isInteger(n) || n < 2) throw new Error('n must be a whole number ≥ 2');
  if (!Number.isInteger(nTest) || nTest < 1) throw new Error('the test set needs at least one example');
  if (!Number.isInteger(points) || points < 3 || points > 61) throw new Error('the grid needs 3 to 61 points');
  if (!(ridge >= 0)) throw new Error('λ must be a number ≥ 0');
  if (!Number.isInteger(seed) || seed < 0) throw new Error('the seed must be a whole number ≥ 0');
  c.model.features = $('#features').value;
  c.data.n_train = n;
  c.data.n_test = nTest;
  c.seed = seed;
  rfSweep(c, n, points, ridge);
  return c;
}

export function parseWidths(text) {
  const widths = String(text).split(/[\s,]+/).filter(Boolean).map(Number);
  if (!widths.length || widths.some((w) => !Number.isInteger(w) || w < 1)) throw new Error(`hidden widths: expected positive whole numbers separated by commas, got "${text}"`);
  return [...new Set(widths)].sort((a, b) => a - b);
}

function readMlpForm() {
  const c = clone(mlp);
  const widths = parseWidths($('#mlp-widths').value);
  const noise = Number($('#mlp-noise').value), steps = Number($('#mlp-steps').value);
  if (!(noise >= 0 && noise <= 1)) throw new Error('label noise must be a fraction in [0, 1]');
  if (!Number.isInteger(steps) || steps < 1) throw new Error('steps must be a positive whole number');
  c.kind = $('#mlp-engine').value;
  c.data.label_noise = noise;
  c.train.steps = steps;
  c.train.log_every = Math.max(1, Math.round(steps / 12));
  c.model.widths = [widths[0]];
  c.sweep = { 'model.widths': widths.map((w) => [w]) };
  return c;
}

function edited(which) {
  try {
    if (which === 'rf') rf = readRfForm();
    else mlp = readMlpForm();
  } catch (e) {
    showError(e.message, { title: 'Invalid value' });
    writeForm();
    return;
  }
  clearError();
  writeForm();
  if (which === 'rf') {
    clearTimeout(edited.timer);
    edited.timer = setTimeout(computeRf, 250);
  } else {
    // The MLP sweep takes minutes: the button starts it; a running one is stopped.
    stopMlp();
    resetMlp();
  }
}

// ---- random features

function stopRf() {
  if (state.rf.pool) state.rf.pool.stop();
  state.rf.pool = null;
}

async function computeRf({ keepError = false } = {}) {
  if (!keepError) clearError();
  stopRf();
  const mine = ++state.rf.serial;
  let points;
  try {
    points = await expandConfig(rf);
  } catch (e) {
    showError(e.message, { title: e.name || 'Error' });
    return;
  }
  if (mine !== state.rf.serial) return;
  // The min-norm curve first (the lecture's point), then the ridge control, each in N order.
  const key = (p) => [getPath(p.config, 'model.ridge') || 0, getPath(p.config, 'model.n_features')];
  points.sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1]);
  const s = state.rf;
  s.points = points;
  s.results = new Map();
  s.ms = null;
  s.started = performance.now();
  const pool = new PointPool({
    workers: WORKERS,
    onPoint: (point, result) => { s.results.set(point.id, sweepRow(point, result)); schedule(); },
    onError: (point, e) => showError(`${point.id}: ${e.message}`, { title: e.name || 'Error' }),
  });
  s.pool = pool;
  $('#btn-stop').disabled = false;
  schedule();
  await pool.run(points);
  if (s.pool !== pool) return;
  s.pool = null;
  if (!pool.stopped) s.ms = performance.now() - s.started;
  $('#btn-stop').disabled = true;
  document.dispatchEvent(new CustomEvent('gradlab:rf-sweep-done', { detail: { ms: s.ms } }));
  schedule();
}

// One sweep.jsonl row: the point's id and swept values, then its run's summary (what
// `gradlab sweep` writes), with the last metrics row's keys for a run whose summary lacks them.
function sweepRow(point, { rows, state: st }) {
  const last = rows[rows.length - 1] || {};
  const summary = (st && st.summary) || {};
  return Object.assign({ id: point.id }, point.overrides, last, summary);
}

// Per ridge value: the grid point nearest N = n (log scale), the test-error and ‖W‖ peaks and
// how many grid steps they sit from it, the best error below n and the error at the largest N
// (the same figures as the native sweep summary, double_descent_sweep_summary).
export function rfCurves(rows) {
  const byRidge = new Map();
  for (const r of rows) {
    if (!Number.isFinite(r.n_features) || !Number.isFinite(r.test_error)) continue;
    const ridge = r.ridge || 0;
    if (!byRidge.has(ridge)) byRidge.set(ridge, []);
    byRidge.get(ridge).push(r);
  }
  const curves = [];
  for (const [ridge, pts] of [...byRidge.entries()].sort((a, b) => a[0] - b[0])) {
    pts.sort((a, b) => a.n_features - b.n_features);
    const n = pts[0].n_train;
    let atN = 0, errPeak = 0, normPeak = 0;
    pts.forEach((p, i) => {
      if (Math.abs(Math.log(p.n_features / n)) < Math.abs(Math.log(pts[atN].n_features / n))) atN = i;
      if (p.test_error > pts[errPeak].test_error) errPeak = i;
      if ((p.param_norm || 0) > (pts[normPeak].param_norm || 0)) normPeak = i;
    });
    const below = pts.filter((p) => p.n_features < n).map((p) => p.test_error);
    curves.push({
      ridge, n, points: pts,
      peakN: pts[errPeak].n_features, peakError: pts[errPeak].test_error, peakSteps: errPeak - atN,
      normPeakN: pts[normPeak].n_features, normPeakSteps: normPeak - atN,
      bestBelow: below.length ? Math.min(...below) : null,
      maxN: pts[pts.length - 1].n_features, errorAtMax: pts[pts.length - 1].test_error,
    });
  }
  return curves;
}

// ---- MLP width sweep

function stopMlp() {
  if (state.mlp.pool) state.mlp.pool.stop();
  state.mlp.pool = null;
}

function resetMlp() {
  const s = state.mlp;
  s.points = [];
  s.results = new Map();
  s.progress = new Map();
  s.ms = null;
  schedule();
}

// Train and test error of one width: the double_descent MLP mode's summary has them at the
// final parameters; a random_labels run's come from its last logged row (1 − accuracy).
export function widthErrors(row) {
  const error = (k) => (Number.isFinite(row[`${k}_error`]) ? row[`${k}_error`] : Number.isFinite(row[`final_${k}_acc`]) ? 1 - row[`final_${k}_acc`] : Number.isFinite(row[`${k}_acc`]) ? 1 - row[`${k}_acc`] : null);
  return { train: error('train'), test: error('test') };
}

async function runMlp() {
  clearError();
  stopMlp();
  const s = state.mlp;
  const mine = ++s.serial;
  let points;
  try {
    points = await expandConfig(mlp);
  } catch (e) {
    showError(e.message + (mlp.kind === 'double_descent' ? ' (this build has no MLP mode for double_descent yet: choose the random_labels engine)' : ''), { title: e.name || 'Error' });
    return;
  }
  if (mine !== s.serial) return;
  resetMlp();
  s.points = points;
  s.started = performance.now();
  const pool = new PointPool({
    workers: WORKERS,
    onRows: (point, rows, run) => { if (run.state) s.progress.set(point.id, run.state.steps_done / Math.max(1, run.state.total_steps)); schedule(); },
    onPoint: (point, result) => {
      const row = sweepRow(point, result);
      const { train, test } = widthErrors(Object.assign({}, result.rows[result.rows.length - 1], result.state && result.state.summary));
      row.width = getPath(result.config, 'model.widths')[0];
      row.train_error = train;
      row.test_error = test;
      s.results.set(point.id, row);
      s.progress.set(point.id, 1);
      schedule();
    },
    onError: (point, e) => showError(`${point.id}: ${e.message}`, { title: e.name || 'Error' }),
  });
  s.pool = pool;
  $('#btn-mlp-stop').disabled = false;
  schedule();
  await pool.run(points);
  if (s.pool !== pool) return;
  s.pool = null;
  if (!pool.stopped) s.ms = performance.now() - s.started;
  $('#btn-mlp-stop').disabled = true;
  schedule();
}

// ---- drawing

let frame = 0;
function schedule() {
  if (frame) return;
  frame = requestAnimationFrame(() => { frame = 0; render(); });
}

function render() {
  renderRf();
  renderMlp();
}

function renderRf() {
  const s = state.rf;
  const rows = [...s.results.values()];
  const curves = rfCurves(rows);
  const lines = { vLines: [{ x: 1, color: '#555', label: 'N = n' }] };
  const by = (key) => curves.map((c, i) => ({
    label: c.ridge > 0 ? `ridge λ = ${formatNumber(c.ridge)}` : 'min-norm (λ = 0)',
    color: PALETTE[i % PALETTE.length],
    dash: c.ridge > 0 ? [6, 4] : undefined,
    xs: c.points.filter((p) => Number.isFinite(p[key])).map((p) => p.n_features / c.n),
    ys: c.points.filter((p) => Number.isFinite(p[key])).map((p) => p[key]),
  }));
  charts.test.update(by('test_error'), lines);
  charts.train.update(by('train_error'), lines);
  charts.norm.update(by('param_norm'), lines);
  charts.loss.update(by('test_loss'), lines);
  const total = s.points.length, done = s.results.size;
  $('#rf-progress').value = total ? done / total : 0;
  $('#rf-progress-text').textContent = total ? `${done} / ${total} fits` : '';
  const status = $('#status');
  if (!total) status.textContent = 'Press “Compute sweep”.';
  else if (s.pool) status.textContent = `computing: ${done} of ${total} least-squares fits (${((performance.now() - s.started) / 1000).toFixed(1)} s)…`;
  else if (s.ms !== null) status.textContent = `${total} fits in ${(s.ms / 1000).toFixed(1)} s (WebAssembly, ${WORKERS} workers, float64).`;
  else status.textContent = `stopped after ${done} of ${total} fits.`;
  const summary = $('#summary');
  summary.textContent = '';
  for (const c of curves) {
    const name = c.ridge > 0 ? `Ridge λ = ${formatNumber(c.ridge)}` : 'Minimum norm (λ = 0)';
    const steps = c.peakSteps === 0 ? 'at the threshold' : `${Math.abs(c.peakSteps)} grid step${Math.abs(c.peakSteps) === 1 ? '' : 's'} ${c.peakSteps < 0 ? 'below' : 'above'} it`;
    const parts = [`${name}: test error peaks at N = ${c.peakN} (N/n = ${formatNumber(c.peakN / c.n, 3)}, error ${formatNumber(c.peakError, 3)}), ${steps}`,
      `‖W‖ peaks at N = ${c.normPeakN}`];
    if (c.bestBelow !== null) parts.push(`best error below n: ${formatNumber(c.bestBelow, 3)}; at N = ${c.maxN}: ${formatNumber(c.errorAtMax, 3)}`);
    const line = document.createElement('div');
    line.className = 'summary-line';
    line.dataset.ridge = String(c.ridge);
    line.textContent = parts.join(' · ') + '.';
    summary.append(line);
  }
}

function renderMlp() {
  const s = state.mlp;
  const rows = [...s.results.values()].sort((a, b) => a.width - b.width);
  const fitted = rows.find((r) => Number.isFinite(r.train_error) && r.train_error <= INTERPOLATION_TOL);
  const pick = (key) => rows.filter((r) => Number.isFinite(r[key]));
  charts.mlp.update([
    { label: 'test error', color: PALETTE[0], xs: pick('test_error').map((r) => r.width), ys: pick('test_error').map((r) => r.test_error) },
    { label: 'train error (noisy labels)', color: PALETTE[1], dash: [6, 4], xs: pick('train_error').map((r) => r.width), ys: pick('train_error').map((r) => r.train_error) },
  ], { vLines: fitted ? [{ x: fitted.width, color: '#555', label: `train error ≤ ${INTERPOLATION_TOL}` }] : [] });
  const total = s.points.length;
  const progress = total ? [...s.progress.values()].reduce((a, b) => a + b, 0) / total : 0;
  $('#mlp-progress').value = progress;
  $('#mlp-progress-text').textContent = total ? `${s.results.size} / ${total} widths (${Math.round(100 * progress)}%)` : '';
  const status = $('#mlp-status');
  if (!total) status.textContent = `Press “Run width sweep” (${(mlp.sweep && mlp.sweep['model.widths'] || []).length} widths; about a minute).`;
  else if (s.pool) status.textContent = `training: ${s.results.size} of ${total} widths done (${((performance.now() - s.started) / 1000).toFixed(0)} s)…`;
  else if (s.ms !== null) status.textContent = `${total} widths trained in ${(s.ms / 1000).toFixed(1)} s (engine ${mlp.kind}).`;
  else status.textContent = `stopped after ${s.results.size} of ${total} widths.`;
  const summary = $('#mlp-summary');
  summary.textContent = '';
  const c = mlpCurve(rows);
  if (c) {
    summary.textContent = [
      c.fitted ? `Train error first reaches ≤ ${INTERPOLATION_TOL} at h = ${c.fitted.width} (${c.fitted.n_params} parameters)` : 'No width fits the noisy training labels yet',
      `test error: lowest ${formatNumber(c.valley.test_error, 3)} at h = ${c.valley.width}${c.fitted ? ' (below it)' : ''}, then a peak of ` +
        `${formatNumber(c.peak.test_error, 3)} at h = ${c.peak.width}, and ${formatNumber(c.last.test_error, 3)} at h = ${c.last.width}`,
    ].join('; ') + '.';
  }
}

// The second descent of an MLP width sweep: the first width whose train error is ≤
// INTERPOLATION_TOL (the interpolation threshold), the lowest test error below it (the bottom
// of the classical U), the highest test error from there on (the peak; tiny widths that
// underfit are higher still, but they are the U's left arm) and the test error at the widest.
export function mlpCurve(rows) {
  const pts = rows.filter((r) => Number.isFinite(r.test_error) && Number.isFinite(r.train_error)).sort((a, b) => a.width - b.width);
  if (!pts.length) return null;
  const fitted = pts.find((r) => r.train_error <= INTERPOLATION_TOL) || null;
  const below = fitted ? pts.filter((r) => r.width < fitted.width) : pts;
  const valley = (below.length ? below : pts).reduce((a, b) => (b.test_error < a.test_error ? b : a));
  const peak = pts.filter((r) => r.width >= valley.width).reduce((a, b) => (b.test_error > a.test_error ? b : a));
  return { fitted, valley, peak, last: pts[pts.length - 1] };
}

// ---- exports and wiring

function bind() {
  const on = (id, fn) => $(id).addEventListener('click', fn);
  on('#btn-run', () => computeRf());
  on('#btn-stop', () => { stopRf(); $('#btn-stop').disabled = true; schedule(); });
  on('#btn-mlp-run', () => runMlp());
  on('#btn-mlp-stop', () => { stopMlp(); $('#btn-mlp-stop').disabled = true; schedule(); });
  for (const id of ['#features', '#n-train', '#n-test', '#grid', '#ridge', '#seed']) $(id).addEventListener('change', () => edited('rf'));
  for (const id of ['#mlp-engine', '#mlp-widths', '#mlp-noise', '#mlp-steps']) $(id).addEventListener('change', () => edited('mlp'));
  on('#btn-apply-json', () => {
    try {
      const c = JSON.parse($('#config-json').value);
      checkRf(c);
      rf = c;
    } catch (e) {
      showError(e.message, { title: 'Invalid JSON' });
      return;
    }
    writeForm();
    computeRf();
  });
  on('#btn-copy-link', () => navigator.clipboard && navigator.clipboard.writeText(location.href).catch(() => {}));
  on('#btn-export-config', () => download('config.json', JSON.stringify(rf, null, 2) + '\n', 'application/json'));
  on('#btn-export-mlp-config', () => download('config.json', JSON.stringify(mlp, null, 2) + '\n', 'application/json'));
  const rfRows = () => [...state.rf.results.values()];
  on('#btn-export-csv', () => download('sweep.csv', rowsToCsv([{ id: 'sweep', rows: rfRows() }]), 'text/csv'));
  on('#btn-export-jsonl', () => download('sweep.jsonl', rowsToJsonl(rfRows()), 'application/x-ndjson'));
  on('#btn-export-mlp-csv', () => download('mlp-sweep.csv', rowsToCsv([{ id: 'sweep', rows: [...state.mlp.results.values()] }]), 'text/csv'));
  for (const box of document.querySelectorAll('.log-toggle')) {
    box.checked = charts[box.dataset.chart].logY;
    box.addEventListener('change', () => { charts[box.dataset.chart].setLogY(box.checked); render(); });
  }
  for (const b of document.querySelectorAll('button.png')) b.addEventListener('click', async () => download(`gradlab-double-descent-${b.dataset.chart}.png`, await charts[b.dataset.chart].toPNG()));
  for (const b of document.querySelectorAll('button.svg')) b.addEventListener('click', () => download(`gradlab-double-descent-${b.dataset.chart}.svg`, charts[b.dataset.chart].toSVG(), 'image/svg+xml'));
}

function checkRf(c) {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new Error('the config must be a JSON object');
  if (c.kind !== KIND) throw new Error(`this page's random-features sweep runs kind "${KIND}", got "${c.kind}"`);
  if (getPath(c, 'model.type') !== 'random_features') throw new Error(`the random-features sweep needs model.type "random_features", got "${getPath(c, 'model.type')}"`);
}

function checkMlp(c) {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new Error('the MLP config must be a JSON object');
  if (c.kind !== 'random_labels' && c.kind !== KIND) throw new Error(`the MLP width sweep runs kind "random_labels" or "${KIND}", got "${c.kind}"`);
  if (getPath(c, 'model.type') !== 'mlp') throw new Error(`the MLP width sweep needs model.type "mlp", got "${getPath(c, 'model.type')}"`);
}

// Both configs of a link, each checked by the WASM validator; throws a readable Error.
async function configsFromHash(hash) {
  const { config, options } = parseHash(hash);
  let rfConfig = null, mlpConfig = null;
  if (config) {
    checkRf(config);
    await expandConfig(config);
    rfConfig = config;
  }
  if (options.mlp) {
    let c;
    try { c = JSON.parse(fromBase64Url(options.mlp)); } catch (e) { throw new Error('the MLP config in the URL (option mlp) is not base64url JSON: ' + e.message); }
    checkMlp(c);
    // The native MLP mode may be missing from this build: its error shows when the sweep runs.
    if (c.kind === 'random_labels') await expandConfig(c);
    mlpConfig = c;
  }
  return { rfConfig, mlpConfig };
}

async function init() {
  prewarm();
  bind();
  let fromHash = {};
  try {
    fromHash = await configsFromHash(location.hash);
  } catch (e) {
    showError(`${e.message} — showing the default sweep instead.`, { title: 'The config in the URL is invalid' });
  }
  rf = fromHash.rfConfig || await defaultRf();
  mlp = fromHash.mlpConfig || clone(MLP_START);
  writeForm();
  render();
  await computeRf({ keepError: true });
}

window.addEventListener('hashchange', async () => {
  try {
    const { rfConfig, mlpConfig } = await configsFromHash(location.hash);
    const rfChanged = rfConfig && JSON.stringify(rfConfig) !== JSON.stringify(rf);
    if (mlpConfig && JSON.stringify(mlpConfig) !== JSON.stringify(mlp)) { stopMlp(); mlp = mlpConfig; resetMlp(); }
    if (rfConfig) rf = rfConfig;
    writeForm();
    if (rfChanged) await computeRf();
  } catch (e) {
    showError(e.message, { title: 'The config in the URL is invalid' });
  }
});

// For the browser tests and the console.
window.gradlabDoubleDescent = {
  get rf() { return rf; }, get mlp() { return mlp; }, state, charts, computeRf, runMlp, rfCurves, mlpCurve,
};
init().catch((e) => showError(e.message));
