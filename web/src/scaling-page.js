// scaling-page.js — scaling.html: a scaling-law study in miniature, trained and fitted live.
//
// The scaling kind's browser preset (experiments/scaling/browser_kjv_tiny.json: 3 widths × 2
// step counts of a character-level transformer on the shipped slice of the King James Bible)
// is expanded into its sweep points (the same expansion as `gradlab sweep`) and trained two
// workers at a time. Each finished run becomes a sweep.jsonl row (the point's id and swept
// values, then its summary) and a point on the L–N and L–C log-log charts, and the fits are
// recomputed on the rows so far by `gradlab fit`'s own code compiled to WASM (src/fit/, bound
// as Module.fit), in a worker of its own:
//   kaplan      L(N) = (N_c/N)^α on the rows at the largest D (Kaplan et al. 2020, eq. 1.1),
//               i.e. `gradlab fit --form kaplan --x n_params_non_embedding
//               --y final_validation_loss --where tokens=D_max`
//   chinchilla  L(N, D) = E + A/N^α + B/D^β on every row (Hoffmann et al. 2022, eq. 2) and its
//               compute-optimal frontier N_opt(C) = G (C/6)^a, drawn on the L–C chart as the
//               fitted loss along the frontier.
// The figures shown are the fit JSON's; the page only draws the fitted curves through them.
// A dropped sweep.jsonl (a native `gradlab sweep` of a scaling config) replaces the points and
// is fitted the same way; a file the fit cannot read shows the fit's own error.
import { MetricChart, PALETTE } from './charts.js';
import { $, clearError, download, el, fileText, formatNumber, rowsToJsonl, showError } from './common.js';
import { PointPool } from './generalisation.js';
import { loadPreset, loadSchema, pageOf } from './lab-data.js';
import { Run, expandConfig, prewarm } from './runner.js';

const KIND = 'scaling';
const WORKERS = 2;
const N = 'n_params_non_embedding', D = 'tokens', C = 'flops_6nd', Y = 'final_validation_loss';
// The papers' values, shown beside the fitted ones (docs/kinds/scaling.md).
const PAPERS = { kaplanAlphaN: 0.076, chinchilla: { alpha: 0.34, beta: 0.28, a: 0.5 } };

const state = {
  config: null, points: [], rows: new Map(), pool: null, started: 0, ms: null,
  source: 'live', fileName: '', fileText: '', serial: 0, grids: 0,
  fits: { kaplan: null, chinchilla: null }, fitNotes: { kaplan: '', chinchilla: '' }, kaplanD: null,
};

const charts = {
  ln: new MetricChart($('#chart-ln'), { title: 'Validation loss vs parameters', yLabel: 'loss (nats / char)', xLabel: 'N (non-embedding parameters)', logX: true, logY: true, tightLog: true, points: true, height: 270 }),
  lc: new MetricChart($('#chart-lc'), { title: 'Validation loss vs compute', yLabel: 'loss (nats / char)', xLabel: 'C = 6ND (FLOPs)', logX: true, logY: true, tightLog: true, points: true, height: 270 }),
};

// ---- rows and fits

// One sweep.jsonl row as `gradlab sweep` writes it: the point's id and swept values (also under
// their last path part), its last metrics row, then its run's summary.
function sweepRow(point, { rows, state: st }) {
  const row = Object.assign({ id: point.id }, point.overrides);
  for (const [k, v] of Object.entries(point.overrides || {})) { const last = k.slice(k.lastIndexOf('.') + 1); if (!(last in row)) row[last] = v; }
  return Object.assign(row, rows[rows.length - 1] || {}, (st && st.summary) || {}, { status: 'completed' });
}

const usable = (r) => (r.status === undefined || r.status === 'completed') && [N, D, C, Y].every((k) => r[k] > 0);
const currentRows = () => (state.source === 'live' ? [...state.rows.values()] : state.fileRows || []);
const fitText = () => (state.source === 'live' ? rowsToJsonl(currentRows()) : state.fileText);
const fitName = () => (state.source === 'live' ? 'browser grid' : state.fileName);

// The fit options, as `gradlab fit` flags take them (the test runs the native CLI with these).
// The live grid's Chinchilla fit starts from 3^5 = 243 points of Hoffmann et al.'s grid (every
// other value: a, b ∈ {0, 10, 20}, e ∈ {−1, 0, 1}, α, β ∈ {0, 0.5, 1}; `--grid` natively), so it
// refits in well under a second as runs arrive; a dropped file gets the default 4500 starts.
export const LIVE_GRID = { a: [0, 10, 20], b: [0, 10, 20], e: [-1, 0, 1], alpha: [0, 0.5, 1], beta: [0, 0.5, 1] };
export function fitOptions(dN, { live = true } = {}) {
  return {
    kaplan: { form: 'kaplan', x: [N], y: Y, where: { [D]: dN } },
    chinchilla: Object.assign({ form: 'chinchilla', x: [N, D], y: Y }, live ? { grid: LIVE_GRID } : {}),
  };
}

// L(N) is fitted at the largest D that has runs of at least 3 sizes so far.
function kaplanD(rows) {
  const count = new Map();
  for (const r of rows) count.set(r[D], (count.get(r[D]) || 0) + 1);
  const ds = [...count.entries()].filter(([, n]) => n >= 3).map(([d]) => d);
  return ds.length ? Math.max(...ds) : null;
}

let fitRun = null;  // one worker for the fits, apart from the training pool
async function fitWith(text, name, options) {
  if (!fitRun) fitRun = new Run({ label: 'fit' });
  await fitRun.ready;
  return fitRun.fit(text, name, options);
}

// Refits both forms on the current rows (stale answers are dropped). A form with too few points
// so far is a note, not an error; with `strict` (a dropped file) the kaplan fit's error is shown.
async function refit({ strict = false } = {}) {
  const mine = ++state.serial;
  const rows = currentRows().filter(usable);
  const dN = kaplanD(rows);
  const options = fitOptions(dN, { live: state.source === 'live' });
  const text = fitText(), name = fitName();
  const results = {};
  const notes = {};
  if (strict && rows.length === 0) {
    // Nothing to plot: the fit on every row names what is wrong with the file.
    await fitWith(text, name, { form: 'kaplan', x: [N], y: Y });
    throw new Error(`${name}: no completed run with ${N}, ${D}, ${C} and ${Y} (a sweep.jsonl of a scaling config?)`);
  }
  for (const form of ['kaplan', 'chinchilla']) {
    if (form === 'kaplan' && dN === null) {
      results[form] = null;
      notes[form] = `L(N): waiting for runs of 3 sizes at one D (${rows.length} runs so far)`;
      continue;
    }
    // Three values of each of N and D at least: with two, E trades off against A or B and the
    // exponents are not identified (any start gives a different optimum).
    const distinct = (k) => new Set(rows.map((r) => r[k])).size;
    if (form === 'chinchilla' && (distinct(N) < 3 || distinct(D) < 3)) {
      results[form] = null;
      notes[form] = `L(N, D): waiting for runs at 3 sizes and 3 data budgets (${distinct(N)} and ${distinct(D)} so far)`;
      continue;
    }
    try {
      results[form] = await fitWith(text, name, options[form]);
      notes[form] = '';
    } catch (e) {
      if (mine !== state.serial) return;
      if (strict) throw e;
      results[form] = null;
      notes[form] = `${form}: ${e.message}`;
    }
  }
  if (mine !== state.serial) return;
  Object.assign(state.fits, results);
  Object.assign(state.fitNotes, notes);
  state.kaplanD = dN;
  schedule();
  document.dispatchEvent(new CustomEvent('gradlab:scaling-fitted', { detail: { points: rows.length } }));
}

// ---- the live grid

function stop() {
  if (state.pool) state.pool.stop();
  state.pool = null;
  $('#btn-stop').disabled = true;
  schedule();
}

async function runGrid() {
  clearError();
  stop();
  const mine = ++state.grids;
  let points;
  try {
    points = await expandConfig(state.config);
  } catch (e) {
    showError(e.message, { title: e.name || 'Error' });
    return;
  }
  if (mine !== state.grids) return;  // a file was dropped meanwhile
  // The smallest D first, its largest N first: the sizes of one D finish together, so L(N) is
  // fitted after the first few runs and then refitted at each larger D as its runs complete.
  const steps = (p) => p.config.train.steps, dim = (p) => p.config.model.dim;
  points.sort((a, b) => steps(a) - steps(b) || dim(b) - dim(a));
  Object.assign(state, { source: 'live', points, rows: new Map(), ms: null, started: performance.now(), fileRows: null });
  Object.assign(state.fits, { kaplan: null, chinchilla: null });
  const pool = new PointPool({
    workers: WORKERS,
    onPoint: (point, result) => { state.rows.set(point.id, sweepRow(point, result)); refit(); schedule(); },
    onError: (point, e) => showError(`${point.id}: ${e.message}`, { title: e.name || 'Error' }),
  });
  state.pool = pool;
  $('#btn-stop').disabled = false;
  schedule();
  await pool.run(points);
  if (state.pool !== pool) return;
  state.pool = null;
  if (!pool.stopped) state.ms = performance.now() - state.started;
  $('#btn-stop').disabled = true;
  await refit();
  document.dispatchEvent(new CustomEvent('gradlab:scaling-grid-done', { detail: { ms: state.ms } }));
}

// ---- a dropped sweep.jsonl

async function loadText(text, name) {
  clearError();
  // The fit reads the file first: its error names the line and key that are wrong.
  state.grids++;  // a grid still expanding does not start
  const before = { source: state.source, fileText: state.fileText, fileName: state.fileName, fileRows: state.fileRows, fits: state.fits };
  stop();
  const rows = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    try { const r = JSON.parse(line); if (r && typeof r === 'object') rows.push(r); } catch (e) { /* CSV or a bad line: the fit says which */ }
  }
  Object.assign(state, { source: 'file', fileText: text, fileName: name, fileRows: rows, fits: { kaplan: null, chinchilla: null } });
  try {
    await refit({ strict: true });
  } catch (e) {
    Object.assign(state, before);
    showError(e.message, { title: `Cannot fit ${name}` });
    schedule();
    return false;
  }
  return true;
}

// ---- drawing

let frame = 0;
function schedule() {
  if (frame) return;
  frame = requestAnimationFrame(() => { frame = 0; render(); });
}

const chinchillaLoss = (p, n, d) => p.E + p.A / n ** p.alpha + p.B / d ** p.beta;

function render() {
  const rows = currentRows().filter(usable);
  const ds = [...new Set(rows.map((r) => r[D]))].sort((a, b) => a - b);
  const ns = [...new Set(rows.map((r) => r[N]))].sort((a, b) => a - b);
  const { kaplan, chinchilla } = state.fits;
  // L–N: one curve of measured points per D; the chinchilla fit's L(N, D) through each (dashed).
  const ln = ds.map((d, i) => {
    const pts = rows.filter((r) => r[D] === d).sort((a, b) => a[N] - b[N]);
    return { label: `D = ${formatNumber(d)}`, color: PALETTE[i % PALETTE.length], xs: pts.map((r) => r[N]), ys: pts.map((r) => r[Y]) };
  });
  if (chinchilla && ns.length > 1) {
    const p = chinchilla.parameters;
    const grid = logGrid(ns[0], ns[ns.length - 1], 24);
    ds.forEach((d, i) => ln.push({ label: `fit, D = ${formatNumber(d)}`, color: PALETTE[i % PALETTE.length], dash: [5, 4], width: 1, points: false, xs: grid, ys: grid.map((n) => chinchillaLoss(p, n, d)) }));
  }
  if (kaplan && ns.length > 1) {
    const p = kaplan.parameters;
    const grid = logGrid(ns[0], ns[ns.length - 1], 24);
    ln.push({ label: `(N_c/N)^α at D = ${formatNumber(state.kaplanD)}`, color: '#222', width: 2, points: false, xs: grid, ys: grid.map((n) => (p.X_c / n) ** p.alpha) });
  }
  charts.ln.update(ln);
  // L–C: one curve per width over its D values; the fitted loss along the compute-optimal frontier.
  const lc = ns.map((n, i) => {
    const pts = rows.filter((r) => r[N] === n).sort((a, b) => a[C] - b[C]);
    return { label: `N = ${formatNumber(n)}`, color: PALETTE[i % PALETTE.length], xs: pts.map((r) => r[C]), ys: pts.map((r) => r[Y]) };
  });
  if (chinchilla && chinchilla.frontier) {
    const cs = rows.map((r) => r[C]);
    const grid = logGrid(Math.min(...cs), Math.max(...cs), 24);
    const p = chinchilla.parameters;
    const nOpt = (c) => p.G * (c / 6) ** p.frontier_a, dOpt = (c) => (c / 6) ** p.frontier_b / p.G;
    lc.push({ label: 'frontier L(N_opt, D_opt)', color: '#222', width: 2, points: false, xs: grid, ys: grid.map((c) => chinchillaLoss(p, nOpt(c), dOpt(c))) });
  }
  charts.lc.update(lc);
  renderStatus(rows);
  renderSummary();
}

function logGrid(lo, hi, n) {
  const out = [];
  for (let k = 0; k < n; k++) out.push(lo * (hi / lo) ** (k / (n - 1)));
  return out;
}

function renderStatus(rows) {
  const total = state.points.length, done = state.rows.size;
  const live = state.source === 'live';
  $('#progress').value = live && total ? done / total : live ? 0 : 1;
  $('#progress-text').textContent = live ? (total ? `${done} / ${total} runs` : '') : `${rows.length} runs from ${state.fileName}`;
  const status = $('#status');
  if (!live) status.textContent = `${state.fileName}: ${rows.length} completed runs, fitted.`;
  else if (!total) status.textContent = 'Press “Run grid”.';
  else if (state.pool) status.textContent = `training: ${done} of ${total} runs done (${((performance.now() - state.started) / 1000).toFixed(1)} s)…`;
  else if (state.ms !== null) status.textContent = `${total} runs trained and fitted in ${(state.ms / 1000).toFixed(1)} s (WebAssembly, ${WORKERS} workers).`;
  else status.textContent = `stopped after ${done} of ${total} runs.`;
}

const interval = (fit, name) => {
  const i = fit.bootstrap && fit.bootstrap.intervals && fit.bootstrap.intervals[name];
  return i ? ` [${formatNumber(i[0], 3)}, ${formatNumber(i[1], 3)}]` : '';
};

function renderSummary() {
  const out = $('#summary');
  out.textContent = '';
  const { kaplan, chinchilla } = state.fits;
  const line = (fit, children) => out.append(el('div', { class: 'summary-line', 'data-fit': fit }, children));
  // The exponent's full value rides in data-value (the tests compare it with the native CLI's).
  const value = (name, v, digits = 4) => el('span', { class: `fit-${name}`, 'data-value': String(v), text: formatNumber(v, digits) });
  if (kaplan) {
    const p = kaplan.parameters;
    line('kaplan', [`L(N) = (N_c/N)^α at D = ${formatNumber(state.kaplanD)} (${kaplan.n_points} runs): α_N = `, value('alpha', p.alpha),
      interval(kaplan, 'alpha'), `, N_c = ${formatNumber(p.X_c, 3)}, R² = ${formatNumber(kaplan.r2, 4)}. Kaplan et al.: α_N ≈ ${PAPERS.kaplanAlphaN}.`]);
  } else if (state.fitNotes.kaplan) line('kaplan', state.fitNotes.kaplan + '.');
  if (chinchilla) {
    const p = chinchilla.parameters;
    line('chinchilla', [`L(N, D) = E + A/N^α + B/D^β (${chinchilla.n_points} runs): E = ${formatNumber(p.E, 3)}, α = `, value('chinchilla-alpha', p.alpha, 3),
      `, β = ${formatNumber(p.beta, 3)}, R² = ${formatNumber(chinchilla.r2, 4)}; frontier N_opt ∝ C^`, value('frontier-a', p.frontier_a, 3),
      `, D_opt ∝ C^${formatNumber(p.frontier_b, 3)}. Hoffmann et al.: α = ${PAPERS.chinchilla.alpha}, β = ${PAPERS.chinchilla.beta}, a ≈ ${PAPERS.chinchilla.a}.`]);
  } else if (state.fitNotes.chinchilla) line('chinchilla', state.fitNotes.chinchilla + '.');
  const table = $('#frontier');
  table.textContent = '';
  table.hidden = !(chinchilla && chinchilla.frontier);
  if (table.hidden) return;
  table.append(el('caption', { text: 'Compute-optimal frontier of the fit (C = 6ND)' }));
  table.append(el('tr', {}, ['C (FLOPs)', 'N_opt', 'D_opt', 'D/N', 'predicted loss'].map((h) => el('th', { text: h }))));
  for (const r of chinchilla.frontier.table) {
    table.append(el('tr', {}, [r.C, r.N_opt, r.D_opt, r.tokens_per_parameter, r.loss].map((v) => el('td', { text: formatNumber(v, 3) }))));
  }
}

// ---- wiring

function bind() {
  const on = (id, fn) => $(id).addEventListener('click', fn);
  on('#btn-run', () => runGrid());
  on('#btn-stop', () => stop());
  on('#btn-export-config', () => download('config.json', JSON.stringify(state.config, null, 2) + '\n', 'application/json'));
  on('#btn-export-jsonl', () => download('sweep.jsonl', rowsToJsonl(currentRows()), 'application/x-ndjson'));
  on('#btn-export-fit', () => download('fit.json', JSON.stringify({ options: fitOptions(state.kaplanD, { live: state.source === 'live' }), fits: state.fits }, null, 2) + '\n', 'application/json'));
  const zone = $('#dropzone');
  const take = async (file) => { if (file) await loadText(await fileText(file), file.name); };
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => { e.preventDefault(); zone.classList.remove('over'); take(e.dataTransfer.files[0]).catch((err) => showError(err.message)); });
  $('#file-input').addEventListener('change', (e) => { take(e.target.files[0]).catch((err) => showError(err.message)); e.target.value = ''; });
  for (const b of document.querySelectorAll('button.png')) b.addEventListener('click', async () => download(`gradlab-scaling-${b.dataset.chart}.png`, await charts[b.dataset.chart].toPNG()));
  for (const b of document.querySelectorAll('button.svg')) b.addEventListener('click', () => download(`gradlab-scaling-${b.dataset.chart}.svg`, charts[b.dataset.chart].toSVG(), 'image/svg+xml'));
}

async function init() {
  prewarm();
  bind();
  const schema = await loadSchema();
  const page = pageOf(schema, KIND);
  state.config = await loadPreset(page.presets, page.preset_list[0].file);
  const c = state.config, sweep = c.sweep || {};
  $('#grid-note').textContent = `Widths ${(sweep['model.dim'] || [c.model.dim]).join(', ')} (depth ${c.model.depth}) × ${(sweep['train.steps'] || [c.train.steps]).join(', ')} steps ` +
    `of ${c.train.batch_size} windows of ${c.data.seq_len} characters, ${c.optim.type} η = ${formatNumber(c.optim.lr)}; validation loss on ${c.train.eval_examples} windows ` +
    'of the last 10 % of the shipped slice (the first 300,000 characters of the text; gradlab sweep reads all 4.3 M).';
  schedule();
  await runGrid();
}

// For the browser tests and the console.
window.gradlabScaling = { state, charts, runGrid, loadText, fitOptions, rowsJsonl: () => rowsToJsonl(currentRows()) };
init().catch((e) => showError(e.message));
