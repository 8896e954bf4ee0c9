// quadratic-page.js — quadratic.html: gradient descent on ½Lx² (1-D) and ½(λ₁x² + λ₂y²)
// (2-D), run by the WASM quadratic_gd kind in a worker at an animation pace, the iterates
// drawn on the loss curve / its contours. The config in the URL hash restores the picture.
import { MetricChart, PALETTE } from './charts.js';
import { $, clearError, download, formatNumber, rowsToCsv, showError } from './common.js';
import { buildHash, parseHash } from './config-url.js';
import { Run } from './runner.js';

const PRESETS = new URL('../presets/', import.meta.url);
let config = null;
let run = null;

const charts = {
  qloss: new MetricChart($('#chart-qloss'), { title: 'Loss f(x_t)', yLabel: 'loss', logY: true, height: 220 }),
  qcoords: new MetricChart($('#chart-qcoords'), { title: 'Eigen-coordinates of x_t', yLabel: 'coordinate', height: 220 }),
};
for (const box of document.querySelectorAll('.log-toggle')) box.addEventListener('change', () => { charts[box.dataset.chart].setLogY(box.checked); render(); });
for (const b of document.querySelectorAll('button.png')) b.addEventListener('click', async () => download(`gradlab-${b.dataset.chart}.png`, await charts[b.dataset.chart].toPNG()));
for (const b of document.querySelectorAll('button.svg')) b.addEventListener('click', () => download(`gradlab-${b.dataset.chart}.svg`, charts[b.dataset.chart].toSVG(), 'image/svg+xml'));

const lambdas = () => config.quadratic.eigenvalues;
const L = () => Math.max(...lambdas());

function readForm() {
  const dims = Number($('#dims').value);
  const l1 = Number($('#lambda1').value), l2 = Number($('#lambda2').value);
  const lr = Number($('#lr').value), steps = Number($('#steps').value);
  if (!(l1 > 0) || (dims === 2 && !(l2 > 0))) throw new Error('curvatures must be positive numbers');
  if (!(lr > 0)) throw new Error('η must be a positive number');
  if (!Number.isInteger(steps) || steps < 1) throw new Error('steps must be a positive integer');
  const x0 = config.quadratic.x0 || [];
  config.quadratic.eigenvalues = dims === 1 ? [l1] : [l1, l2];
  config.quadratic.x0 = dims === 1 ? [x0[0] ?? 1.5] : [x0[0] ?? 1.5, x0[1] ?? 1.8];
  config.optim.lr = lr;
  config.train.steps = steps;
}

function writeForm() {
  const ev = lambdas();
  $('#dims').value = String(ev.length >= 2 ? 2 : 1);
  $('#lambda1').value = ev[0];
  $('#lambda2').value = ev[1] ?? 0.2;
  $('#lambda2-row').hidden = ev.length < 2;
  $('#lr').value = config.optim.lr;
  $('#steps').value = config.train.steps;
  $('#lr-slider').value = Math.round(Math.min(1.25, config.optim.lr * L() / 2) / 1.25 * 1000);
  const ratio = config.optim.lr * L() / 2;
  const verdict = Math.abs(ratio - 1) < 1e-9 ? 'at the threshold: the top coordinate flips sign for ever'
    : ratio < 1 ? 'below the threshold: converges' : 'above the threshold: diverges';
  $('#lr-note').textContent = `2/L = ${formatNumber(2 / L())}; η = ${formatNumber(ratio, 3)}·(2/L), ${verdict}`;
  history.replaceState(null, '', buildHash(config));
}

async function start() {
  clearError();
  if (!run) {
    run = new Run({ onRows: render, onState: status, onError: (e) => showError(e.message, { title: e.name || 'Error' }) });
  }
  try {
    await run.start(config, { stepsPerSecond: Number($('#speed').value) });
  } catch (e) {
    showError(e.message, { title: e.name || 'Error' });
  }
  render();
}

function status() {
  const s = run && run.state;
  const busy = run && (run.status === 'running' || run.status === 'stepping');
  $('#btn-pause').disabled = !run || !['running', 'stepping', 'paused', 'ready'].includes(run.status);
  $('#btn-pause').textContent = busy ? 'Pause' : 'Resume';
  $('#btn-step').disabled = $('#btn-pause').disabled;
  $('#btn-reset').disabled = !run;
  if (!s) return;
  const factors = lambdas().map((l) => Math.abs(1 - config.optim.lr * l));
  $('#status').textContent = `step ${s.steps_done}/${s.total_steps} · |1 − ηλᵢ| = ${factors.map((f) => formatNumber(f, 3)).join(', ')}` +
    (s.diverged ? ` · diverged: ${s.reason}` : '');
}

function render() {
  const rows = run ? run.rows : [];
  const d = lambdas().length;
  const xs = rows.map((r) => r.step);
  charts.qloss.update([{ label: 'f(x_t)', color: PALETTE[0], xs: rows.filter((r) => Number.isFinite(r.loss)).map((r) => r.step), ys: rows.filter((r) => Number.isFinite(r.loss)).map((r) => r.loss) }]);
  const series = [];
  for (let i = 0; i < d; i++) {
    const pts = rows.filter((r) => Array.isArray(r.coords));
    series.push({ label: `c${i + 1} (λ = ${formatNumber(lambdas()[i])})`, color: PALETTE[i], xs: pts.map((r) => r.step), ys: pts.map((r) => r.coords[i]) });
  }
  charts.qcoords.update(series);
  draw(rows, xs);
  status();
}

// The loss curve (1-D) or its contour ellipses (2-D) with the iterates and their path.
function draw(rows) {
  const canvas = $('#quad-canvas');
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * ratio)) { canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio); }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const ev = lambdas();
  const x0 = config.quadratic.x0;
  const pts = rows.filter((r) => Array.isArray(r.coords)).map((r) => r.coords);
  const R = Math.max(2, ...x0.map(Math.abs)) * 1.3;
  ctx.font = '13px system-ui, sans-serif';
  if (ev.length === 1) {
    const L1 = ev[0];
    const fmax = 0.5 * L1 * R * R;
    const X = (x) => w / 2 + (x / R) * (w / 2 - 20);
    const Y = (f) => h - 24 - (f / fmax) * (h - 48);
    ctx.strokeStyle = '#999'; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(10, Y(0)); ctx.lineTo(w - 10, Y(0)); ctx.stroke();
    ctx.strokeStyle = '#333'; ctx.lineWidth = 2; ctx.beginPath();
    for (let i = 0; i <= 200; i++) { const x = -R + (2 * R * i) / 200; i ? ctx.lineTo(X(x), Y(0.5 * L1 * x * x)) : ctx.moveTo(X(x), Y(0.5 * L1 * x * x)); }
    ctx.stroke();
    path(ctx, pts.map((c) => [X(c[0]), Y(0.5 * L1 * c[0] * c[0])]), w, h);
    ctx.fillStyle = '#333'; ctx.fillText(`f(x) = ½·${formatNumber(L1)}·x²`, 12, 18);
  } else {
    const [l1, l2] = ev;
    // Equal scales on both axes, so the contours' true shape shows: the ellipse through x0
    // (f = f0) has semi-axes √(2f0/λ₁) and √(2f0/λ₂).
    const f0 = 0.5 * (l1 * x0[0] * x0[0] + l2 * x0[1] * x0[1]) || 1;
    const rx = Math.sqrt(2 * f0 / l1) * 1.15, ry = Math.sqrt(2 * f0 / l2) * 1.15;
    const scale = Math.min((w - 40) / (2 * rx), (h - 30) / (2 * ry));
    const X = (x) => w / 2 + x * scale, Y = (y) => h / 2 - y * scale;
    ctx.lineWidth = 1;
    for (const level of [0.02, 0.1, 0.3, 0.6, 1, 1.3]) {
      ctx.strokeStyle = level === 1 ? '#9aa3b5' : '#d3d8e2';
      ctx.beginPath();
      ctx.ellipse(X(0), Y(0), Math.sqrt(2 * level * f0 / l1) * scale, Math.sqrt(2 * level * f0 / l2) * scale, 0, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.strokeStyle = '#999';
    ctx.beginPath(); ctx.moveTo(0, Y(0)); ctx.lineTo(w, Y(0)); ctx.moveTo(X(0), 0); ctx.lineTo(X(0), h); ctx.stroke();
    path(ctx, pts.map((c) => [X(c[0]), Y(c[1])]), w, h);
    ctx.fillStyle = '#333'; ctx.fillText(`f = ½(${formatNumber(l1)}·x² + ${formatNumber(l2)}·y²): x feels λ₁, y feels λ₂`, 12, 18);
  }
}

function path(ctx, points, w, h) {
  const clamp = (p) => [Math.max(-10, Math.min(w + 10, p[0])), Math.max(-10, Math.min(h + 10, p[1]))];
  ctx.strokeStyle = PALETTE[1]; ctx.lineWidth = 1.5;
  ctx.beginPath();
  points.forEach((p, i) => { const [x, y] = clamp(p); i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
  ctx.stroke();
  points.forEach((p, i) => {
    const [x, y] = clamp(p);
    ctx.fillStyle = i === points.length - 1 ? PALETTE[1] : 'rgba(214,39,40,0.45)';
    ctx.beginPath(); ctx.arc(x, y, i === points.length - 1 ? 5 : 3, 0, 2 * Math.PI); ctx.fill();
  });
}

function edited() {
  try { readForm(); } catch (e) { showError(e.message, { title: 'Invalid value' }); writeForm(); return; }
  writeForm();
  start();
}

async function init() {
  let fromHash = null;
  try { fromHash = parseHash(location.hash).config; } catch (e) { showError(e.message, { title: 'Bad link' }); }
  if (fromHash && fromHash.kind !== 'quadratic_gd') { showError('the config in the URL is not a quadratic_gd config', { title: 'Bad link' }); fromHash = null; }
  config = fromHash || await (await fetch(new URL('quadratic-1d.json', PRESETS))).json();
  writeForm();
  for (const id of ['#lambda1', '#lambda2', '#lr', '#steps']) $(id).addEventListener('change', edited);
  $('#dims').addEventListener('change', async () => {
    config = await (await fetch(new URL($('#dims').value === '2' ? 'quadratic-2d.json' : 'quadratic-1d.json', PRESETS))).json();
    writeForm();
    start();
  });
  $('#lr-slider').addEventListener('input', () => { $('#lr').value = +(($('#lr-slider').value / 1000) * 1.25 * 2 / L()).toPrecision(3); });
  $('#lr-slider').addEventListener('change', edited);
  $('#speed').addEventListener('input', () => run && run.pace(Number($('#speed').value)));
  for (const b of document.querySelectorAll('[data-eta]')) b.addEventListener('click', () => { $('#lr').value = +(Number(b.dataset.eta) * 2 / L()).toPrecision(6); edited(); });
  $('#btn-run').addEventListener('click', start);
  $('#btn-pause').addEventListener('click', () => (run.status === 'running' || run.status === 'stepping' ? run.pause() : run.resume()));
  $('#btn-step').addEventListener('click', () => run.step(1));
  $('#btn-reset').addEventListener('click', async () => { await run.reset(); render(); });
  $('#btn-export-config').addEventListener('click', () => download('config.json', JSON.stringify(config, null, 2) + '\n', 'application/json'));
  $('#btn-export-csv').addEventListener('click', () => download('metrics.csv', rowsToCsv([{ id: 'run', rows: run ? run.rows : [] }]), 'text/csv'));
  new ResizeObserver(() => render()).observe($('#quad-canvas'));
  window.gradlabQuadratic = { get config() { return config; }, get run() { return run; } };
  await start();
}

init().catch((e) => showError(e.message));
