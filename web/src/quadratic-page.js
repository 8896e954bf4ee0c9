// quadratic-page.js — quadratic.html: gradient descent on ½Lx² (1-D) and ½(λ₁x² + λ₂y²)
// (2-D), run by the WASM quadratic_gd kind in a worker at an animation pace. The page skeleton
// (lab-page.js) does the form, presets, hash, run and charts from the kind's descriptor; this
// file adds the trajectory drawn on the loss curve / its contours, the step size relative to
// 2/L (a slider and buttons) and the animation speed.
import { PALETTE } from './charts.js';
import { $, formatNumber, showError } from './common.js';
import { getPath } from './config-fields.js';
import { LabPage } from './lab-page.js';

const lab = new LabPage({
  kind: 'quadratic_gd',
  chartHeight: 220,
  pace: () => Number($('#speed').value),
  // x0 keeps one entry per dimension when the curvatures gain or lose one.
  derive: (c, path) => {
    const ev = getPath(c, 'quadratic.eigenvalues');
    const x0 = getPath(c, 'quadratic.x0');
    if (path === 'quadratic.eigenvalues' && Array.isArray(ev) && Array.isArray(x0)) c.quadratic.x0 = ev.map((_, i) => x0[i] ?? [1.5, 1.8][i] ?? 1);
  },
  onConfig: () => { writeNote(); draw(); },
  onRows: () => draw(),
  statusParts: (r) => {
    const s = r.run.state || {};
    const lr = getPath(lab.config, 'optim.lr');
    return s.total_steps === undefined ? [] : [`step ${s.steps_done}/${s.total_steps}`, `|1 − ηλᵢ| = ${lambdas().map((l) => formatNumber(Math.abs(1 - lr * l), 3)).join(', ')}`];
  },
});

const lambdas = () => {
  const ev = getPath(lab.config, 'quadratic.eigenvalues');
  return Array.isArray(ev) && ev.every(Number.isFinite) ? ev : [1];
};
const L = () => Math.max(...lambdas());

// η relative to 2/L: the slider (0 … 1.25·2/L) and the note say where the run stands.
function writeNote() {
  const lr = getPath(lab.config, 'optim.lr');
  const ratio = lr * L() / 2;
  $('#lr-slider').value = Math.round(Math.min(1.25, ratio) / 1.25 * 1000);
  const verdict = Math.abs(ratio - 1) < 1e-9 ? 'at the threshold: the top coordinate flips sign for ever'
    : ratio < 1 ? 'below the threshold: converges' : 'above the threshold: diverges';
  $('#lr-note').textContent = `2/L = ${formatNumber(2 / L())}; η = ${formatNumber(ratio, 3)}·(2/L), ${verdict}`;
}

const setLr = (lr) => lab.edit('optim.lr', (c) => { c.optim.lr = lr; }).then(() => { if (!lab.active().length) lab.start(); });

// The loss curve (1-D) or its contour ellipses (2-D) with the iterates and their path.
function draw() {
  if (!lab.config) return;
  const rows = lab.runs[0] ? lab.runs[0].run.rows : [];
  const canvas = $('#quad-canvas');
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * ratio)) { canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio); }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const ev = lambdas();
  const x0 = getPath(lab.config, 'quadratic.x0') || lambdas().map(() => 1);
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

$('#lr-slider').addEventListener('change', () => setLr(+(($('#lr-slider').value / 1000) * 1.25 * 2 / L()).toPrecision(3)));
for (const b of document.querySelectorAll('[data-eta]')) b.addEventListener('click', () => setLr(+(Number(b.dataset.eta) * 2 / L()).toPrecision(6)));
$('#speed').addEventListener('input', () => { for (const r of lab.active()) r.run.pace(Number($('#speed').value)); });
new ResizeObserver(() => draw()).observe($('#quad-canvas'));

window.gradlabQuadratic = { lab, get config() { return lab.config; }, get run() { return lab.runs[0] && lab.runs[0].run; } };
lab.init().catch((e) => showError(e.message));
