// svm-page.js — svm.html, the SVM margin lab: points a person clicks, the max-margin
// classifier the C++ SMO solver finds for them, the margin bound, and gradient descent on the
// logistic loss turning toward the same direction (Soudry et al. 2018).
//
// Two workers (runner.js), two experiment kinds of the core, nothing solved in JS:
//   svm  — an `svm_margin` config whose data block is {source: "points", points, labels}; one
//          step = one SMO solve; its summary (support vectors, αᵢyᵢ, bias, ρ, the bound and its
//          terms) is drawn. Re-solved after every edit; edits during a solve coalesce into one.
//   gd   — an `implicit_bias` config on the same points (with a constant feature 1 appended when
//          the bias is on, since the theorem's model is homogeneous); rows stream in and the
//          angle to the bias-free hard-margin SVM direction is plotted against log₁₀ t.
// The page skeleton (lab-page.js) holds the svm config: its form (the SVM fields of the kind's
// page descriptor, checked by the WASM validator), the URL hash (with the GD settings as hash
// options, so a link restores the picture) and its export. Errors of the core (one class only, duplicates under a hard margin, no
// points) are shown as the C++ message; the page keeps working.
import { MetricChart, PALETTE } from './charts.js';
import { $, clearError, download, formatNumber, rowsToCsv, showError } from './common.js';
import { clone, parseValue } from './config-fields.js';
import { LabPage } from './lab-page.js';
import { Run } from './runner.js';
import { COLORS, View, decisionFunction, drawGd, drawSvm } from './svm-draw.js';

const HIT_PX = 9;  // a press this close to a point grabs it

// The svm_margin user config (lab.config); config.data.points / labels are the points.
const lab = new LabPage({
  kind: 'svm_margin',
  overlay: false,
  // The canvas draws points in the plane: a config of another data source is not this page's.
  accept: (c) => {
    if (!c.data || c.data.source !== 'points') throw new Error(`this page draws data.source "points", got "${c.data && c.data.source}"`);
  },
  onConfig: () => { if (svm.run) solve(); },
});
let preset = null;
const gd = { lr: 1, steps: 100000, loss: 'logistic', bias: true };

const svmView = new View($('#svm-canvas'));
const gdView = new View($('#gd-canvas'));
const angleChart = new MetricChart($('#chart-angle'), { title: 'Angle to the SVM direction', xLabel: 'log₁₀ t', yLabel: 'radians / 1 − cos', logY: true, height: 230 });

// ---- the SVM solve ---------------------------------------------------------------------------

const svm = { run: null, busy: false, dirty: false, pending: null, solved: null, error: null, solves: 0 };

function points() { return lab.config.data.points; }
function labels() { return lab.config.data.labels; }

function solve() {
  writeHash();
  scheduleGd();
  if (svm.busy) { svm.dirty = true; return; }
  svm.busy = true;
  svm.dirty = false;
  svm.pending = clone(lab.config);
  svm.run.start(svm.pending).catch(() => {});  // errors arrive through onError
}

function solveFinished() {
  svm.busy = false;
  svm.solves++;
  if (svm.dirty) solve();
  else render();
}

function svmState(run) {
  if (run.status !== 'done' || !svm.busy) return;
  const summary = run.state && run.state.summary;
  const resolved = run.config;
  svm.solved = {
    points: svm.pending.data.points, labels: svm.pending.data.labels, summary, svm: resolved.svm, config: svm.pending,
    decision: decisionFunction(summary, svm.pending.data.points, resolved.svm),
  };
  svm.error = null;
  clearError();
  solveFinished();
}

function svmError(e) {
  svm.error = e.message;
  svm.solved = null;
  showError(e.message, { title: e.name || 'Error' });
  if (svm.busy) solveFinished();
  else render();
}

// ---- gradient descent --------------------------------------------------------------------------

const gdRun = { run: null, timer: null, starting: false, again: false, history: [], svmW: null, error: null, config: null };

function gdConfig() {
  const data = { source: 'points', points: points().map((p) => (gd.bias ? p.concat([1]) : p.slice())), labels: labels().slice() };
  return {
    kind: 'implicit_bias', seed: 0, loss: gd.loss,
    model: { type: 'linear', bias: false },
    optim: { type: 'gd', lr: gd.lr },
    train: { steps: gd.steps, log_every: gd.steps },
    data,
  };
}

function scheduleGd() {
  clearTimeout(gdRun.timer);
  gdRun.timer = setTimeout(() => startGd(), 120);
}

// force: rerun even when the GD config has not changed (the Rerun button); edits of the SVM's
// own settings (C, kernel, δ) leave the GD run alone.
async function startGd(force = false) {
  if (gdRun.starting) { gdRun.again = true; return; }
  const unchanged = gdRun.config && JSON.stringify(gdConfig()) === JSON.stringify(gdRun.config) && !gdRun.error;
  if (unchanged && !force) return;
  gdRun.starting = true;
  gdRun.again = false;
  gdRun.history = [];
  gdRun.svmW = null;
  gdRun.error = null;
  gdRun.config = gdConfig();
  try {
    await gdRun.run.start(gdRun.config);
  } catch (e) {
    gdRun.error = e.message;  // shown by renderGd; onError also fires
  }
  gdRun.starting = false;
  if (gdRun.again) startGd(true);
  renderGd();
}

function gdState(run) {
  if (gdRun.starting) return;  // late messages of the run being replaced
  const s = run.state && run.state.summary;
  if (s && Array.isArray(s.w) && s.svm_w) {
    gdRun.svmW = s.svm_w;
    const last = gdRun.history[gdRun.history.length - 1];
    if (s.w.some((v) => v !== 0) && (!last || last.some((v, i) => v !== s.w[i]))) gdRun.history.push(s.w);
  }
  if (run.status === 'done' || run.status === 'running') gdRun.error = null;
  renderGd();
}

function gdError(e) {
  gdRun.error = e.message;
  renderGd();
}

// ---- drawing and read-outs ---------------------------------------------------------------------

function render() {
  drawSvm($('#svm-canvas'), svmView, { points: points(), labels: labels(), solved: svm.solved });
  const out = $('#svm-readout');
  out.textContent = '';
  out.classList.toggle('error', !!svm.error);
  if (svm.error) { out.append(para(`No solution: ${svm.error}`)); return; }
  if (!svm.solved) { out.append(para('Solving…')); return; }
  const s = svm.solved.summary;
  const C = s.C === 'inf' ? '∞ (hard margin)' : formatNumber(s.C);
  const m = s.m;
  out.append(
    para(`ρ = ${formatNumber(s.margin)}`, 'big', 'readout-margin'),
    para(`‖w‖ = ${formatNumber(1 / s.margin)} · bias b = ${formatNumber(s.bias)} · C = ${C} · ${s.n_sv} support vectors ` +
      `(${s.n_margin_sv} on the margin, ${s.n_bound_sv} inside it) · training error ${formatNumber(s.train_error)} · ` +
      `${s.iterations} SMO iterations, KKT gap ${formatNumber(s.kkt_gap)}`),
    para(`bound = ν + 2/(ρ̃√m) + √(ln(1/δ)/(2m)) = ${formatNumber(s.bound_empirical)} + ${formatNumber(s.bound_complexity)} + ` +
      `${formatNumber(s.bound_confidence)} = ${formatNumber(s.bound)}` + (s.bound_vacuous ? ' (vacuous: > 1)' : ''), 'big', 'readout-bound'),
    para(`Normalisation: the bound is stated for ‖φ(x)‖ ≤ 1, so it uses ρ̃ = ρ/R = ${formatNumber(s.margin_normalized)} with ` +
      `R = maxᵢ ‖φ(xᵢ)‖ = ${formatNumber(s.radius)} over the m = ${m} points (linear kernel: the margin after scaling the points ` +
      `so that max ‖x‖ = 1; rbf: R = 1); ν = fraction of points with yᵢf(xᵢ) < 1 (0 for a hard margin); δ = ${formatNumber(s.delta)}.`),
  );
}

function para(text, cls, id) {
  const p = document.createElement('p');
  p.textContent = text;
  if (cls) p.className = cls;
  if (id) p.id = id;
  return p;
}

function gdRows() { return gdRun.run ? gdRun.run.rows.filter((r) => r.step >= 1 && Number.isFinite(r.angle)) : []; }

function renderGd() {
  drawGd($('#gd-canvas'), gdView, { points: points(), labels: labels(), svmW: gdRun.svmW, history: gdRun.history });
  const rows = gdRows();
  const xs = rows.map((r) => Math.log10(r.step));
  const series = [
    { label: 'angle (rad)', color: PALETTE[2], xs, ys: rows.map((r) => r.angle) },
    { label: '1 − cos(w_t, ŵ)', color: PALETTE[0], xs, ys: rows.map((r) => r.one_minus_cos) },
  ];
  if (rows.length > 1) {
    // Soudry et al.: the angle closes like 1/log t; the curve c/ln t through the last point.
    const last = rows[rows.length - 1];
    const c = last.angle * Math.log(last.step);
    series.push({ label: '∝ 1/ln t', color: '#999', dash: [6, 4], xs, ys: rows.map((r) => (r.step > 1 ? c / Math.log(r.step) : null)) });
  }
  angleChart.update(series);
  const out = $('#gd-status');
  out.textContent = '';
  out.classList.toggle('error', !!gdRun.error);
  if (gdRun.error) { out.append(para(`GD cannot run: ${gdRun.error}`)); out.setAttribute('role', 'alert'); return; }
  out.removeAttribute('role');
  const st = gdRun.run && gdRun.run.state;
  const last = rows[rows.length - 1];
  if (!st || !last) { out.append(para('Running…')); return; }
  out.append(para(`step ${st.steps_done}/${st.total_steps} · angle ${formatNumber(last.angle)} rad · 1 − cos ${formatNumber(last.one_minus_cos)} · ` +
    `‖w_t‖ = ${formatNumber(last.w_norm)} · normalised margin ${formatNumber(last.normalized_margin)} (SVM: ${formatNumber(st.summary && st.summary.svm_margin)})`, null, 'gd-progress'));
}

// ---- controls ------------------------------------------------------------------------------------

// The GD panel's settings: the implicit_bias config's, kept in the URL as hash options. A value
// the validator rejects shows its message in the GD panel (the run's error).
function writeGdForm() {
  $('#gd-loss').value = gd.loss;
  $('#gd-lr').value = gd.lr;
  $('#gd-steps').value = String(gd.steps);
  $('#gd-bias').checked = gd.bias;
}

function gdEdited() {
  gd.loss = $('#gd-loss').value;
  gd.lr = parseValue('number', $('#gd-lr').value);
  gd.steps = Number($('#gd-steps').value);
  gd.bias = $('#gd-bias').checked;
  writeHash();
  scheduleGd();
}

function writeHash() {
  Object.assign(lab.hashOptions, { gd_lr: gd.lr, gd_steps: gd.steps, gd_loss: gd.loss, gd_bias: gd.bias ? 1 : 0 });
  lab.writeHash();
}

// ---- pointer editing ---------------------------------------------------------------------------

const round = (v) => Math.round(v * 1000) / 1000;
let drag = null;  // {index, moved}

function pointerData(event) {
  const rect = event.target.getBoundingClientRect();
  return [event.clientX - rect.left, event.clientY - rect.top];
}

function hit(view, px, py) {
  let best = -1, bestD = HIT_PX;
  points().forEach((p, i) => {
    const [x, y] = view.px(p);
    const d = Math.hypot(x - px, y - py);
    if (d <= bestD) { best = i; bestD = d; }
  });
  return best;
}

function removePoint(i) {
  points().splice(i, 1);
  labels().splice(i, 1);
  solve();
  render();
}

function bindCanvas(canvas, view) {
  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  canvas.addEventListener('pointerdown', (e) => {
    const [px, py] = pointerData(e);
    const i = hit(view, px, py);
    if (i >= 0 && (e.button === 2 || $('#delete-mode').checked)) { removePoint(i); return; }
    if (e.button !== 0) return;
    if (i >= 0) {
      drag = { index: i, moved: false, view };
      canvas.setPointerCapture(e.pointerId);
      return;
    }
    if ($('#delete-mode').checked) return;
    const chosen = Number(document.querySelector('input[name=point-class]:checked').value);
    const label = e.shiftKey ? 1 - chosen : chosen;
    points().push(view.data(px, py).map(round));
    labels().push(label);
    solve();
    render();
    renderGd();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drag || drag.view !== view) return;
    const [px, py] = pointerData(e);
    points()[drag.index] = view.data(px, py).map(round);
    drag.moved = true;
    solve();
    render();
    renderGd();
  });
  const end = () => { if (drag && drag.view === view) drag = null; };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
}

// ---- start -------------------------------------------------------------------------------------

async function init() {
  await lab.init();
  svm.run = new Run({ label: 'svm', onState: svmState, onError: svmError });
  gdRun.run = new Run({ label: 'gd', onState: gdState, onError: gdError, onRows: () => renderGd() });
  preset = clone(await lab.loadPreset(lab.presets[0].file));
  const o = lab.hashOptions;
  if (o.gd_lr !== undefined) gd.lr = parseValue('number', o.gd_lr);  // a bad one: the GD run says why
  if (['1000', '10000', '100000', '1000000'].includes(String(o.gd_steps))) gd.steps = Number(o.gd_steps);
  if (o.gd_loss === 'logistic' || o.gd_loss === 'exponential') gd.loss = o.gd_loss;
  if (o.gd_bias !== undefined) gd.bias = String(o.gd_bias) !== '0';
  writeGdForm();

  bindCanvas($('#svm-canvas'), svmView);
  bindCanvas($('#gd-canvas'), gdView);
  for (const id of ['#gd-loss', '#gd-lr', '#gd-steps', '#gd-bias']) $(id).addEventListener('change', gdEdited);
  $('#btn-clear').addEventListener('click', () => { lab.config.data.points = []; lab.config.data.labels = []; solve(); render(); renderGd(); });
  $('#btn-preset').addEventListener('click', () => { lab.config.data = clone(preset.data); solve(); render(); renderGd(); });
  $('#btn-gd-run').addEventListener('click', () => startGd(true));
  $('#btn-export-summary').addEventListener('click', () => svm.solved && download('summary.json', JSON.stringify(svm.solved.summary, null, 2) + '\n', 'application/json'));
  $('#btn-export-gd-config').addEventListener('click', () => download('gd-config.json', JSON.stringify(gdConfig(), null, 2) + '\n', 'application/json'));
  $('#btn-export-gd-csv').addEventListener('click', () => download('gd-metrics.csv', rowsToCsv([{ id: 'gd', rows: gdRun.run.rows }]), 'text/csv'));
  $('#btn-export-png').addEventListener('click', () => $('#svm-canvas').toBlob((b) => download('svm.png', b), 'image/png'));
  for (const b of document.querySelectorAll('button.png')) b.addEventListener('click', async () => download('gradlab-angle.png', await angleChart.toPNG()));
  for (const b of document.querySelectorAll('button.svg')) b.addEventListener('click', () => download('gradlab-angle.svg', angleChart.toSVG(), 'image/svg+xml'));
  new ResizeObserver(() => { render(); renderGd(); }).observe($('#svm-canvas'));

  // For the browser tests and the console.
  window.gradlabSvm = {
    lab, get config() { return lab.config; }, get gd() { return gd; }, get solved() { return svm.solved; },
    get error() { return svm.error; }, get solves() { return svm.solves; }, get busy() { return svm.busy || svm.dirty; },
    get gdRun() { return gdRun.run; }, get gdError() { return gdRun.error; }, get gdHistory() { return gdRun.history; },
    gdConfig, toCanvas: (p, which = 'svm') => (which === 'gd' ? gdView : svmView).px(p), colors: COLORS,
  };
  render();
  renderGd();
  solve();
}

init().catch((e) => showError(e.message));
