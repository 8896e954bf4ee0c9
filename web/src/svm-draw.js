// svm-draw.js — the pictures of the SVM margin lab (svm.html): the plane of clicked points, the
// decision function f of a solved SVM (shaded by sign, its level sets f = 0 and f = ±1), support
// vectors ringed by kind, and gradient descent's current separator next to the SVM's.
//
// Nothing here solves anything: the SVM comes from the C++ SMO solver (svm_margin's summary:
// support_indices, dual_coef = αᵢyᵢ, bias) and f(x) = Σₖ dual_coefₖ K(sv_k, x) + bias is only
// evaluated on a grid to draw it, with libsvm's kernels as include/gradlab/svm.h defines them.

export const COLORS = { pos: '#1f5fbf', neg: '#e07b00', onMargin: '#111', inside: '#b3261e', gd: '#2ca02c', svm: '#555' };
export const DOMAIN = 1.2;  // the canvas shows [−DOMAIN, DOMAIN] on its shorter side

// K(a, b) for the resolved svm block: linear ⟨a, b⟩, rbf exp(−γ‖a − b‖²), poly (γ⟨a, b⟩ + coef0)^degree.
export function kernelFunction(svm) {
  const dot = (a, b) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
  if (svm.kernel === 'rbf') {
    return (a, b) => { let s = 0; for (let i = 0; i < a.length; i++) { const d = a[i] - b[i]; s += d * d; } return Math.exp(-svm.gamma * s); };
  }
  if (svm.kernel === 'poly') return (a, b) => (svm.gamma * dot(a, b) + svm.coef0) ** svm.degree;
  return dot;
}

// f(x) of a solved svm_margin run, from its summary and the points it was solved on.
export function decisionFunction(summary, points, svm) {
  const K = kernelFunction(svm);
  const sv = summary.support_indices.map((i) => points[i]);
  const coef = summary.dual_coef;
  return (x) => { let f = summary.bias; for (let k = 0; k < sv.length; k++) f += coef[k] * K(sv[k], x); return f; };
}

// Data coordinates ⇄ CSS pixels of a canvas: equal scales, origin at the centre.
export class View {
  constructor(canvas) { this.canvas = canvas; this.fit(); }
  fit() {
    const c = this.canvas;
    this.w = c.clientWidth || 400;
    this.h = c.clientHeight || 400;
    this.scale = Math.min(this.w, this.h) / (2 * DOMAIN);
    const ratio = window.devicePixelRatio || 1;
    if (c.width !== Math.round(this.w * ratio) || c.height !== Math.round(this.h * ratio)) {
      c.width = Math.round(this.w * ratio);
      c.height = Math.round(this.h * ratio);
    }
    const ctx = c.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return ctx;
  }
  px(p) { return [this.w / 2 + p[0] * this.scale, this.h / 2 - p[1] * this.scale]; }
  data(x, y) { return [(x - this.w / 2) / this.scale, (this.h / 2 - y) / this.scale]; }
  // The visible data rectangle [x0, x1] × [y0, y1].
  bounds() { const [x0, y1] = this.data(0, 0), [x1, y0] = this.data(this.w, this.h); return { x0, x1, y0, y1 }; }
}

// Line segments where the grid values cross `level` (marching squares, linear interpolation;
// the two saddle cases are split by the cell's mean). values[j * nx + i] at (xs[i], ys[j]).
export function contourSegments(values, xs, ys, level) {
  const nx = xs.length, ny = ys.length, out = [];
  const lerp = (a, b, va, vb) => a + ((level - va) / (vb - va)) * (b - a);
  for (let j = 0; j + 1 < ny; j++) {
    for (let i = 0; i + 1 < nx; i++) {
      const v00 = values[j * nx + i], v10 = values[j * nx + i + 1];
      const v01 = values[(j + 1) * nx + i], v11 = values[(j + 1) * nx + i + 1];
      const code = (v00 > level ? 1 : 0) | (v10 > level ? 2 : 0) | (v11 > level ? 4 : 0) | (v01 > level ? 8 : 0);
      if (code === 0 || code === 15) continue;
      const x0 = xs[i], x1 = xs[i + 1], y0 = ys[j], y1 = ys[j + 1];
      const bottom = [lerp(x0, x1, v00, v10), y0], top = [lerp(x0, x1, v01, v11), y1];
      const left = [x0, lerp(y0, y1, v00, v01)], right = [x1, lerp(y0, y1, v10, v11)];
      const edges = {
        1: [[left, bottom]], 2: [[bottom, right]], 3: [[left, right]], 4: [[right, top]],
        6: [[bottom, top]], 7: [[left, top]], 8: [[left, top]], 9: [[bottom, top]],
        11: [[right, top]], 12: [[left, right]], 13: [[bottom, right]], 14: [[left, bottom]],
      };
      if (code === 5 || code === 10) {
        const centreAbove = (v00 + v10 + v01 + v11) / 4 > level;
        // 5: corners 00 and 11 above. Joined through the centre when it is above too.
        if ((code === 5) === centreAbove) out.push([left, top], [bottom, right]);
        else out.push([left, bottom], [right, top]);
      } else {
        out.push(...edges[code]);
      }
    }
  }
  return out;
}

function drawSegments(ctx, view, segments, { color, width = 2, dash = [] }) {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.beginPath();
  for (const [a, b] of segments) { const p = view.px(a), q = view.px(b); ctx.moveTo(p[0], p[1]); ctx.lineTo(q[0], q[1]); }
  ctx.stroke();
  ctx.restore();
}

// The line {x : w·x + b = level} across the view (w 2-D), or nothing when w = 0.
function drawLine(ctx, view, w, b, level, style) {
  const { x0, x1, y0, y1 } = view.bounds();
  const pts = [];
  if (Math.abs(w[1]) > 1e-12) {
    for (const x of [x0, x1]) pts.push([x, (level - b - w[0] * x) / w[1]]);
  } else if (Math.abs(w[0]) > 1e-12) {
    for (const y of [y0, y1]) pts.push([(level - b) / w[0], y]);
  }
  if (pts.length === 2) drawSegments(ctx, view, [pts], style);
}

function drawAxes(ctx, view) {
  ctx.strokeStyle = '#e4e6eb';
  ctx.lineWidth = 1;
  ctx.beginPath();
  const [ox, oy] = view.px([0, 0]);
  ctx.moveTo(0, oy); ctx.lineTo(view.w, oy); ctx.moveTo(ox, 0); ctx.lineTo(ox, view.h);
  ctx.stroke();
}

export function drawPoints(ctx, view, points, labels) {
  points.forEach((p, i) => {
    const [x, y] = view.px(p);
    ctx.fillStyle = labels[i] === 1 ? COLORS.pos : COLORS.neg;
    ctx.strokeStyle = '#222';
    ctx.lineWidth = 1;
    ctx.beginPath();
    if (labels[i] === 1) ctx.arc(x, y, 5.5, 0, 2 * Math.PI);
    else ctx.rect(x - 5, y - 5, 10, 10);
    ctx.fill();
    ctx.stroke();
  });
}

function ring(ctx, view, p, color, dash) {
  const [x, y] = view.px(p);
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.setLineDash(dash);
  ctx.beginPath();
  ctx.arc(x, y, 10, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.restore();
}

// The SVM panel. `solved` = {points, summary, svm, decision} of the last successful solve
// (null after an error: only the points are drawn); `points`/`labels` are the current ones.
export function drawSvm(canvas, view, { points, labels, solved }) {
  const ctx = view.fit();
  ctx.clearRect(0, 0, view.w, view.h);
  if (solved) {
    // f on a grid of ~5 px cells: the sign shades the background, the level sets are drawn.
    const cell = 5;
    const nx = Math.ceil(view.w / cell) + 1, ny = Math.ceil(view.h / cell) + 1;
    const xs = [], ys = [];
    for (let i = 0; i < nx; i++) xs.push(view.data(i * cell, 0)[0]);
    for (let j = 0; j < ny; j++) ys.push(view.data(0, j * cell)[1]);
    const values = new Float64Array(nx * ny);
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) values[j * nx + i] = solved.decision([xs[i], ys[j]]);
    for (let j = 0; j + 1 < ny; j++) {
      for (let i = 0; i + 1 < nx; i++) {
        const f = values[j * nx + i];
        const a = Math.min(1, Math.abs(f)) * 0.16 + 0.04;
        ctx.fillStyle = f >= 0 ? `rgba(31,95,191,${a})` : `rgba(224,123,0,${a})`;
        ctx.fillRect(i * cell, j * cell, cell, cell);
      }
    }
    drawAxes(ctx, view);
    const w = solved.summary.w;
    if (solved.svm.kernel === 'linear' && w && w.length === 2) {
      // Exact lines for the linear kernel.
      drawLine(ctx, view, w, solved.summary.bias, 0, { color: '#111', width: 2.5 });
      for (const level of [1, -1]) drawLine(ctx, view, w, solved.summary.bias, level, { color: '#333', width: 1.5, dash: [7, 5] });
    } else {
      drawSegments(ctx, view, contourSegments(values, xs, ys, 0), { color: '#111', width: 2.5 });
      for (const level of [1, -1]) drawSegments(ctx, view, contourSegments(values, xs, ys, level), { color: '#333', width: 1.5, dash: [7, 5] });
    }
    for (const i of solved.summary.margin_sv_indices) ring(ctx, view, solved.points[i], COLORS.onMargin, []);
    for (const i of solved.summary.bound_sv_indices) ring(ctx, view, solved.points[i], COLORS.inside, [4, 3]);
  } else {
    drawAxes(ctx, view);
  }
  drawPoints(ctx, view, points, labels);
}

// The GD panel: the points, the reference SVM separator ŵ (dashed) and GD's separators w_t
// (the latest solid, a few earlier ones faded), plus a compass with the two unit directions.
// Features are x (d = 2) or (x, 1) (d = 3, the bias as a constant feature).
export function drawGd(canvas, view, { points, labels, svmW, history }) {
  const ctx = view.fit();
  ctx.clearRect(0, 0, view.w, view.h);
  drawAxes(ctx, view);
  const line = (w, style) => drawLine(ctx, view, [w[0], w[1]], w.length > 2 ? w[2] : 0, 0, style);
  if (svmW) line(svmW, { color: COLORS.svm, width: 2, dash: [8, 5] });
  const shown = history.slice(-6);
  shown.forEach((w, k) => {
    const last = k === shown.length - 1;
    line(w, { color: last ? COLORS.gd : 'rgba(44,160,44,0.25)', width: last ? 2.5 : 1.5 });
  });
  drawPoints(ctx, view, points, labels);
  // Compass (top right): unit vectors of (w₁, w₂) for ŵ and the latest w_t.
  const cx = view.w - 52, cy = 52, r = 38;
  ctx.save();
  ctx.fillStyle = 'rgba(255,255,255,0.85)';
  ctx.strokeStyle = '#ccc';
  ctx.beginPath(); ctx.arc(cx, cy, r + 6, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
  const arrow = (w, color, dash) => {
    const n = Math.hypot(w[0], w[1]);
    if (!(n > 0)) return;
    const ex = cx + (w[0] / n) * r, ey = cy - (w[1] / n) * r;
    ctx.strokeStyle = color; ctx.lineWidth = 2.5; ctx.setLineDash(dash);
    ctx.beginPath(); ctx.moveTo(cx, cy); ctx.lineTo(ex, ey); ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = color;
    ctx.beginPath(); ctx.arc(ex, ey, 3.5, 0, 2 * Math.PI); ctx.fill();
  };
  if (svmW) arrow(svmW, COLORS.svm, [5, 3]);
  if (shown.length) arrow(shown[shown.length - 1], COLORS.gd, []);
  ctx.fillStyle = '#555';
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.fillText('direction', cx, cy + r + 18);
  ctx.restore();
}
