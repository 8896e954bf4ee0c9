// heatmap-chart.js — a chart of a scalar over a 2-D grid, for page descriptors with
// "type": "heatmap" (lab-charts.js): rows that each hold one grid row, x: a row key holding the
// row's x values (an array), y: the row's y value, z: its values (an array, null where
// undefined); points: a row key with named points {name: [x, y]} to mark (mode connectivity's
// A, B and the bend). log_z colours by log10 z. Same interface as MetricChart (update, setLogY,
// toPNG, toSVG), so the chart cards' tools work on it.
import { el } from './common.js';

// A perceptually ordered ramp (dark blue → teal → yellow), interpolated linearly.
const RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

function rampColor(u) {
  const s = Math.min(Math.max(u, 0), 1) * (RAMP.length - 1);
  const i = Math.min(Math.floor(s), RAMP.length - 2), f = s - i;
  const c = RAMP[i].map((v, k) => Math.round(v + f * (RAMP[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export class HeatmapChart {
  constructor(element, { title = '', logY = false, height = 230 } = {}) {
    this.logY = logY;  // log colour scale (the card's "log y" toggle)
    this.height = height;
    this.canvas = el('canvas', { class: 'heatmap', width: 460, height, 'aria-label': title });
    this.caption = el('div', { class: 'heatmap-caption', text: title });
    element.append(this.caption, this.canvas);
    this.grid = null;
  }

  setLogY(on) { this.logY = on; this.draw(); }

  // grid: {xs: [...], ys: [...], z: [[...] per y], points: {name: [x, y]}} or null.
  setGrid(grid) { this.grid = grid; this.draw(); }

  draw() {
    const ctx = this.canvas.getContext('2d');
    const W = this.canvas.width, H = this.canvas.height;
    ctx.clearRect(0, 0, W, H);
    const g = this.grid;
    if (!g || !g.ys.length) return;
    const f = (v) => (this.logY ? Math.log10(Math.max(v, 1e-12)) : v);
    const values = g.z.flat().filter((v) => Number.isFinite(v)).map(f);
    if (!values.length) return;
    const lo = Math.min(...values), hi = Math.max(...values);
    const x0 = g.xs[0], x1 = g.xs[g.xs.length - 1];
    const y0 = Math.min(...g.ys), y1 = Math.max(...g.ys);
    const legend = 40, plotW = W - legend, cw = plotW / g.xs.length, ch = H / g.ys.length;
    const px = (x) => ((x - x0) / (x1 - x0 || 1)) * (plotW - cw) + cw / 2;
    const py = (y) => H - (((y - y0) / (y1 - y0 || 1)) * (H - ch) + ch / 2);
    g.ys.forEach((y, j) => g.xs.forEach((x, i) => {
      const v = g.z[j][i];
      ctx.fillStyle = Number.isFinite(v) ? rampColor((f(v) - lo) / (hi - lo || 1)) : '#999';
      ctx.fillRect(px(x) - cw / 2, py(y) - ch / 2, cw + 1, ch + 1);
    }));
    for (const [name, [x, y]] of Object.entries(g.points || {})) {
      ctx.fillStyle = '#fff';
      ctx.strokeStyle = '#000';
      ctx.beginPath();
      ctx.arc(px(x), py(y), 5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = '#000';
      ctx.font = '12px sans-serif';
      ctx.fillText(name, px(x) + 7, py(y) - 7);
    }
    for (let k = 0; k < H; k++) {  // the colour bar
      ctx.fillStyle = rampColor(1 - k / H);
      ctx.fillRect(plotW + 8, k, 10, 1);
    }
    ctx.fillStyle = '#000';
    ctx.font = '10px sans-serif';
    const label = (v) => (this.logY ? `1e${v.toFixed(1)}` : v.toPrecision(3));
    ctx.fillText(label(hi), plotW + 2, 10);
    ctx.fillText(label(lo), plotW + 2, H - 2);
  }

  // The grid of one run's rows (MetricChart's update(series) has no 2-D counterpart).
  update() {}

  toPNG() { return new Promise((resolve) => this.canvas.toBlob(resolve, 'image/png')); }

  toSVG() {
    const { width, height } = this.canvas;
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<image width="${width}" height="${height}" href="${this.canvas.toDataURL('image/png')}"/></svg>`;
  }
}

// The grid from a run's rows under descriptor d ({x, y, z, points}).
export function gridOf(rows, d) {
  const grid = { xs: [], ys: [], z: [], points: null };
  for (const r of rows) {
    if (!Array.isArray(r[d.z]) || !Array.isArray(r[d.x])) continue;
    grid.xs = r[d.x];
    grid.ys.push(r[d.y]);
    grid.z.push(r[d.z].map((v) => (v === null ? NaN : v)));
    if (d.points && r[d.points]) grid.points = r[d.points];
  }
  return grid;
}
