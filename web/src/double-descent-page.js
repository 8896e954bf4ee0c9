// double-descent-page.js — double-descent.html: model-wise double descent computed live.
//
// Random features (Belkin et al. 2019): the double_descent kind fits least squares on N
// random ReLU or Fourier features of n examples in closed form (minimum-norm past N = n).
// The page sweeps N over a log grid from n/10 to 10n, one Session per point, two workers at a
// time, and plots test error, train error, ‖W‖ and test loss against N/n with the
// interpolation threshold N = n marked; a second curve with ridge λ > 0 shows regularisation
// flattening the peak. The sweep is one config ({"model.n_features": grid, "model.ridge":
// [0, λ]}), what `gradlab sweep` runs.
//
// MLP width sweep (Nakkiran et al. 2019): the double_descent kind with model.type mlp, one
// hidden layer of width h trained on labels with noise, one Session per width; its summary
// has train and test error at the final parameters.
//
// The figures (where the peaks sit, the interpolation threshold, the best error below it) are
// the WASM sweepSummary's — the sweep_summary.json `gradlab sweep` writes — never recomputed
// here. The page skeleton (lab-page.js) holds the random-features config, its form and the
// URL hash; the MLP config rides in the hash's `mlp` option (base64url JSON).
import { MetricChart, PALETTE } from './charts.js';
import { $, clearError, download, formatNumber, rowsToCsv, rowsToJsonl, showError } from './common.js';
import { fromBase64Url, parseHash, toBase64Url } from './config-url.js';
import { buildFields, clone, dropInapplicable, getPath } from './config-fields.js';
import { PointPool } from './generalisation.js';
import { LabPage, loadPreset, loadSchema, pageOf } from './lab-page.js';
import { framedPage, whenVisible } from './embed-frame.js';
import { expandConfig, prewarm, sweepSummary } from './runner.js';

const KIND = 'double_descent';
const WORKERS = 2;

let mlp = null;  // the MLP width-sweep config
const state = {
  rf: { points: [], results: new Map(), pool: null, started: 0, ms: null, serial: 0, summary: null },
  mlp: { points: [], results: new Map(), progress: new Map(), pool: null, started: 0, ms: null, serial: 0, summary: null },
};

const chart = (id, title, yLabel, options = {}) => new MetricChart($(id), Object.assign({ title, yLabel, xLabel: 'N / n (features per training example)', logX: true, points: true, height: 250 }, options));
const charts = {
  test: chart('#chart-test', 'Test error', 'test error (1 − accuracy)'),
  norm: chart('#chart-norm', 'Coefficient norm ‖W‖', '‖W‖_F', { logY: true }),
  train: chart('#chart-train', 'Train error', 'train error'),
  loss: chart('#chart-loss', 'Test loss (squared)', '½‖f(x) − y‖²', { logY: true }),
  mlp: new MetricChart($('#chart-mlp'), { title: 'MLP: train (dashed) and test error vs width', yLabel: 'error', xLabel: 'hidden width h', logX: true, points: true, height: 280 }),
};

// ---- the random-features config: N = n·10^t for t evenly spaced in [−1, 1] (the grid is the
// page's view of the sweep, so it follows n; the validator judges the result)

export function relativeGrid(n, points) {
  const out = [];
  for (let k = 0; k < points; k++) {
    const t = points === 1 ? 0 : -1 + (2 * k) / (points - 1);
    const N = Math.max(1, Math.round(n * 10 ** t));
    if (!out.includes(N)) out.push(N);
  }
  return out;
}

const gridOf = (c) => (c.sweep && Array.isArray(c.sweep['model.n_features']) ? c.sweep['model.n_features'].length : 1);
const ridgeOf = (c) => {
  const list = c.sweep && c.sweep['model.ridge'];
  return Array.isArray(list) ? list[list.length - 1] : getPath(c, 'model.ridge') || 0;
};

function rfSweep(c, points, ridge) {
  const n = getPath(c, 'data.n_train');
  c.sweep = { 'model.n_features': relativeGrid(n, points) };
  if (ridge !== 0) c.sweep['model.ridge'] = [0, ridge];
  c.model.ridge = 0;
  c.model.n_features = n;
}

const lab = new LabPage({
  kind: KIND,
  overlay: false,
  accept: (c) => {
    if (getPath(c, 'model.type') !== 'random_features') throw new Error(`the random-features sweep needs model.type "random_features", got "${getPath(c, 'model.type')}"`);
  },
  derive: (c, path) => { if (path !== 'sweep') rfSweep(c, gridOf(c), ridgeOf(c)); },
  onConfig: (c) => {
    $('#grid').value = gridOf(c);
    $('#ridge').value = ridgeOf(c);
    if (mlp) lab.hashOptions.mlp = toBase64Url(JSON.stringify(mlp));
    if (started) computeRfSoon();
  },
});

let started = false;  // after the first sweep: a new config recomputes
let rfTimer = 0;
function computeRfSoon() {
  clearTimeout(rfTimer);
  rfTimer = setTimeout(() => computeRf(), 250);
}

// One sweep.jsonl row: the point's id and swept values (also under their last path part, as
// `gradlab sweep` writes them), then its run's summary, with the last metrics row's keys.
function sweepRow(point, { rows, state: st }) {
  const row = Object.assign({ id: point.id }, point.overrides);
  for (const [k, v] of Object.entries(point.overrides || {})) { const last = k.slice(k.lastIndexOf('.') + 1); if (!(last in row)) row[last] = v; }
  return Object.assign(row, rows[rows.length - 1] || {}, (st && st.summary) || {});
}

function stopRf() {
  if (state.rf.pool) state.rf.pool.stop();
  state.rf.pool = null;
}

async function computeRf({ keepError = false } = {}) {
  if (!keepError) clearError();
  stopRf();
  const s = state.rf;
  const mine = ++s.serial;
  const config = lab.config;
  let points;
  try {
    points = await lab.validate(config);
  } catch (e) {
    showError(e.message, { title: e.name || 'Error' });
    return;
  }
  if (mine !== s.serial) return;
  // The min-norm curve first (the lecture's point), then the ridge control, each in N order.
  const key = (p) => [getPath(p.config, 'model.ridge') || 0, getPath(p.config, 'model.n_features')];
  points.sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1]);
  Object.assign(s, { points, results: new Map(), ms: null, summary: null, started: performance.now() });
  const pool = new PointPool({
    workers: WORKERS,
    onPoint: (point, result) => { s.results.set(point.id, sweepRow(point, result)); summarize(s, config, mine); },
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
  await summarize(s, config, mine);
  document.dispatchEvent(new CustomEvent('gradlab:rf-sweep-done', { detail: { ms: s.ms } }));
}

// The sweep's figures over the rows so far, from WASM (stale answers are dropped).
async function summarize(s, config, serial) {
  const rows = [...s.results.values()];
  try {
    const summary = await sweepSummary(config, rows);
    if (serial === s.serial && rows.length === s.results.size) s.summary = summary;
  } catch (e) {
    showError(e.message, { title: e.name || 'Error' });
  }
  schedule();
}

// ---- the MLP width sweep: its own config, fields from the descriptor's mlp_fields

let mlpForm = null;
let mlpEdits = 0;

async function mlpEdit(path, mutate) {
  const mine = ++mlpEdits;
  const c = clone(mlp);
  mutate(c);
  dropInapplicable(lab.schema, c, path);
  try {
    await expandConfig(c);
  } catch (e) {
    if (mine === mlpEdits) { showError(e.message, { title: 'Invalid value' }); writeMlp(); }
    return;
  }
  if (mine !== mlpEdits) return;
  clearError();
  mlp = c;
  // The MLP sweep takes minutes: the button starts it; a running one is stopped.
  stopMlp();
  resetMlp();
  writeMlp();
}

function writeMlp() {
  if (mlpForm) mlpForm.refresh(mlp);
  const widths = mlp.sweep && mlp.sweep['model.widths'];
  $('#mlp-widths').value = Array.isArray(widths) ? widths.map((w) => w[0]).join(', ') : String(getPath(mlp, 'model.widths'));
  $('#mlp-note').textContent = `n = ${getPath(mlp, 'data.n_train')} Fashion-MNIST images (${(getPath(mlp, 'data.preprocess') || []).join(', ')}), ${mlp.loss}, ` +
    `${getPath(mlp, 'optim.type')} η = ${formatNumber(getPath(mlp, 'optim.lr'))}, seed ${mlp.seed ?? 0}, a run interpolates at train error ≤ ${getPath(mlp, 'train.interpolation_tol') ?? 0}; the rest in MLP config.json.`;
  lab.hashOptions.mlp = toBase64Url(JSON.stringify(mlp));
  if (lab.config) lab.writeHash();
}

function stopMlp() {
  if (state.mlp.pool) state.mlp.pool.stop();
  state.mlp.pool = null;
}

function resetMlp() {
  Object.assign(state.mlp, { points: [], results: new Map(), progress: new Map(), ms: null, summary: null });
  state.mlp.serial++;
  schedule();
}

async function runMlp() {
  clearError();
  stopMlp();
  const s = state.mlp;
  const config = mlp;
  let points;
  try {
    points = await expandConfig(config);
  } catch (e) {
    showError(e.message, { title: e.name || 'Error' });
    return;
  }
  resetMlp();
  const mine = s.serial;
  s.points = points;
  s.started = performance.now();
  const pool = new PointPool({
    workers: WORKERS,
    onRows: (point, rows, run) => { if (run.state) s.progress.set(point.id, run.state.steps_done / Math.max(1, run.state.total_steps)); schedule(); },
    onPoint: (point, result) => {
      s.results.set(point.id, sweepRow(point, result));
      s.progress.set(point.id, 1);
      summarize(s, config, mine);
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
  await summarize(s, config, mine);
}

// ---- drawing

let frame = 0;
function schedule() {
  if (frame) return;
  frame = requestAnimationFrame(() => { frame = 0; renderRf(); renderMlp(); });
}

function renderRf() {
  const s = state.rf;
  // The curves to draw: rows grouped by ridge, in N order.
  const byRidge = new Map();
  for (const r of s.results.values()) {
    if (!Number.isFinite(r.n_features)) continue;
    if (!byRidge.has(r.ridge || 0)) byRidge.set(r.ridge || 0, []);
    byRidge.get(r.ridge || 0).push(r);
  }
  const curves = [...byRidge.entries()].sort((a, b) => a[0] - b[0]);
  const by = (key) => curves.map(([ridge, pts], i) => {
    const shown = pts.filter((p) => Number.isFinite(p[key])).sort((a, b) => a.n_features - b.n_features);
    return {
      label: ridge > 0 ? `ridge λ = ${formatNumber(ridge)}` : 'min-norm (λ = 0)', color: PALETTE[i % PALETTE.length], dash: ridge > 0 ? [6, 4] : undefined,
      xs: shown.map((p) => p.n_features / p.n_train), ys: shown.map((p) => p[key]),
    };
  });
  const lines = { vLines: [{ x: 1, color: '#555', label: 'N = n' }] };
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
  for (const c of (s.summary && s.summary.curves) || []) {
    const name = c.ridge > 0 ? `Ridge λ = ${formatNumber(c.ridge)}` : 'Minimum norm (λ = 0)';
    const k = c.test_error_peak_grid_steps_from_threshold;
    const steps = k === 0 ? 'at the threshold' : `${Math.abs(k)} grid step${Math.abs(k) === 1 ? '' : 's'} ${k < 0 ? 'below' : 'above'} it`;
    const parts = [`${name}: test error peaks at N = ${c.test_error_peak_n_features} (N/n = ${formatNumber(c.test_error_peak_n_features / c.interpolation_threshold, 3)}, error ${formatNumber(c.test_error_peak, 3)}), ${steps}`,
      `‖W‖ peaks at N = ${c.param_norm_peak_n_features}`];
    if (c.best_test_error_below_threshold !== null) parts.push(`best error below n: ${formatNumber(c.best_test_error_below_threshold, 3)}; at N = ${c.max_n_features}: ${formatNumber(c.test_error_at_max_n_features, 3)}`);
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
  const curve = s.summary && (s.summary.curves || []).find((c) => c.axis === 'width');
  const pick = (key) => rows.filter((r) => Number.isFinite(r[key]));
  const threshold = curve && curve.interpolation_threshold_width;
  charts.mlp.update([
    { label: 'test error', color: PALETTE[0], xs: pick('test_error').map((r) => r.width), ys: pick('test_error').map((r) => r.test_error) },
    { label: 'train error (noisy labels)', color: PALETTE[1], dash: [6, 4], xs: pick('train_error').map((r) => r.width), ys: pick('train_error').map((r) => r.train_error) },
  ], { vLines: Number.isFinite(threshold) ? [{ x: threshold, color: '#555', label: `train error ≤ ${curve.interpolation_tol}` }] : [] });
  const total = s.points.length;
  const progress = total ? [...s.progress.values()].reduce((a, b) => a + b, 0) / total : 0;
  $('#mlp-progress').value = progress;
  $('#mlp-progress-text').textContent = total ? `${s.results.size} / ${total} widths (${Math.round(100 * progress)}%)` : '';
  const status = $('#mlp-status');
  if (!total) status.textContent = `Press “Run width sweep” (${(mlp && mlp.sweep && mlp.sweep['model.widths'] || []).length} widths; about a minute).`;
  else if (s.pool) status.textContent = `training: ${s.results.size} of ${total} widths done (${((performance.now() - s.started) / 1000).toFixed(0)} s)…`;
  else if (s.ms !== null) status.textContent = `${total} widths trained in ${(s.ms / 1000).toFixed(1)} s.`;
  else status.textContent = `stopped after ${s.results.size} of ${total} widths.`;
  const out = $('#mlp-summary');
  out.textContent = '';
  if (!curve) return;
  const parts = [Number.isFinite(threshold)
    ? `Train error first reaches ≤ ${curve.interpolation_tol} at h = ${threshold} (${curve.interpolation_threshold_n_params} parameters)`
    : 'No width fits the noisy training labels yet'];
  let test = `test error: peak ${formatNumber(curve.test_error_peak, 3)} at h = ${curve.test_error_peak_width}`;
  if (curve.best_test_error_below_threshold !== null) test += `, best below the threshold ${formatNumber(curve.best_test_error_below_threshold, 3)}`;
  parts.push(`${test}, and ${formatNumber(curve.test_error_at_max_width, 3)} at h = ${curve.max_width}`);
  out.textContent = parts.join('; ') + '.';
}

// ---- wiring

function bind() {
  const on = (id, fn) => $(id).addEventListener('click', fn);
  on('#btn-run', () => computeRf());
  on('#btn-stop', () => { stopRf(); $('#btn-stop').disabled = true; schedule(); });
  on('#btn-mlp-run', () => runMlp());
  on('#btn-mlp-stop', () => { stopMlp(); $('#btn-mlp-stop').disabled = true; schedule(); });
  // Grid and ridge are the sweep block's shape: the page rebuilds it (derive) and validates it.
  $('#grid').addEventListener('change', () => { const points = Number($('#grid').value); lab.edit('sweep', (c) => rfSweep(c, points, ridgeOf(c))); });
  $('#ridge').addEventListener('change', () => { const ridge = Number($('#ridge').value); lab.edit('sweep', (c) => rfSweep(c, gridOf(c), ridge)); });
  $('#mlp-widths').addEventListener('change', () => {
    const widths = $('#mlp-widths').value.trim().split(/[\s,]+/).filter(Boolean).map((w) => (Number.isFinite(Number(w)) ? Number(w) : w));
    mlpEdit('model.widths', (c) => {
      c.model.widths = [widths[0]];
      c.sweep = { 'model.widths': widths.map((w) => [w]) };
    });
  });
  on('#btn-export-mlp-config', () => download('config.json', JSON.stringify(mlp, null, 2) + '\n', 'application/json'));
  const rfRows = () => [...state.rf.results.values()];
  on('#btn-export-csv', () => download('sweep.csv', rowsToCsv([{ id: 'sweep', rows: rfRows() }]), 'text/csv'));
  on('#btn-export-jsonl', () => download('sweep.jsonl', rowsToJsonl(rfRows()), 'application/x-ndjson'));
  on('#btn-export-mlp-csv', () => download('mlp-sweep.csv', rowsToCsv([{ id: 'sweep', rows: [...state.mlp.results.values()] }]), 'text/csv'));
  for (const box of document.querySelectorAll('.log-toggle')) {
    box.checked = charts[box.dataset.chart].logY;
    box.addEventListener('change', () => { charts[box.dataset.chart].setLogY(box.checked); schedule(); });
  }
  for (const b of document.querySelectorAll('button.png')) b.addEventListener('click', async () => download(`gradlab-double-descent-${b.dataset.chart}.png`, await charts[b.dataset.chart].toPNG()));
  for (const b of document.querySelectorAll('button.svg')) b.addEventListener('click', () => download(`gradlab-double-descent-${b.dataset.chart}.svg`, charts[b.dataset.chart].toSVG(), 'image/svg+xml'));
}

// The MLP config of a link (option mlp), checked by the WASM validator; throws a readable Error.
async function mlpFromHash() {
  let options = {};
  try { options = parseHash(location.hash).options; } catch (e) { return null; }  // the skeleton reports it
  if (!options.mlp) return null;
  let c;
  try { c = JSON.parse(fromBase64Url(options.mlp)); } catch (e) { throw new Error('the MLP config in the URL (option mlp) is not base64url JSON: ' + e.message); }
  if (c.kind !== KIND || getPath(c, 'model.type') !== 'mlp') throw new Error(`the MLP width sweep runs kind "${KIND}" with model.type "mlp", got kind "${c.kind}", model.type "${getPath(c, 'model.type')}"`);
  await expandConfig(c);
  return c;
}

async function init() {
  prewarm();
  bind();
  const schema = await loadSchema();
  try {
    mlp = await mlpFromHash();
  } catch (e) {
    showError(`${e.message} — showing the default MLP sweep instead.`, { title: 'The config in the URL is invalid' });
  }
  const page = pageOf(schema, KIND);
  if (!mlp) mlp = await loadPreset(page.presets, page.preset_list[1].file);
  mlpForm = buildFields($('#mlp-fields'), { fields: page.mlp_fields || [], schema, edit: mlpEdit });
  writeMlp();
  renderMlp();
  await lab.init({ autorun: false });
  // Framed in a course page (&embed=1): the sweep runs once the frame is scrolled into view.
  if (framedPage()) await whenVisible();
  started = true;
  await computeRf({ keepError: true });
}

// For the browser tests and the console.
window.gradlabDoubleDescent = {
  lab, get rf() { return lab.config; }, get mlp() { return mlp; }, state, charts, computeRf, runMlp,
};
init().catch((e) => showError(e.message));
