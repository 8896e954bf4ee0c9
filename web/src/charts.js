// charts.js — live line charts on uPlot: one chart per metric, one series per run, with the
// stability threshold 2/η drawn as a dashed line in the run's colour and event markers
// (the step where the edge of stability is reached) as dotted verticals.
//
//   const chart = new MetricChart(element, {title, yLabel, logY, xLabel, logX, points});
//   chart.update(series, {hLines, vLines})   series: [{label, color, xs, ys, dash?}]
//   chart.setLogY(bool); chart.toPNG(): Promise<Blob>; chart.toSVG(): string
// logX: a log-scale x axis (sweeps over model size); points: mark every data point (a sweep's
// grid), not only the line through them.
//
// Updates are cheap (setData) while the series stay the same; a new run rebuilds the plot.
import uPlot from './vendor/uPlot.mjs';

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

function niceNumber(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2).replace(/\.?0+e/, 'e');
  return String(+v.toPrecision(4));
}

// Log-axis ticks: 1, 2, 5 per decade over a short range, whole decades (thinned to about
// eight labels) over a long one — uPlot's default labels every 1..9 and crowds the axis.
// logSplits thins already: uPlot's own log filter would thin again, by the pixels per decade
// counted from the top, and leave one label on a 40-decade axis (the catapult's divergent run).
const keepSplits = (u, splits) => splits;

function logSplits(u, axisIdx, min, max) {
  const lo = Math.floor(Math.log10(min)), hi = Math.ceil(Math.log10(max));
  const out = [];
  // Under a decade (a `tightLog` chart): more mantissas, so the axis still has a few labels.
  const mantissas = max / min < 10 ? [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8] : [1, 2, 5];
  if (hi - lo <= 3) {
    for (let e = lo; e <= hi; e++) for (const m of mantissas) { const v = m * 10 ** e; if (v >= min * 0.999 && v <= max * 1.001) out.push(v); }
    return out;
  }
  const stride = Math.max(1, Math.ceil((hi - lo) / 8));
  for (let e = lo; e <= hi; e += stride) { const v = 10 ** e; if (v >= min * 0.999 && v <= max * 1.001) out.push(v); }
  return out;
}

export class MetricChart {
  // tightLog: a log y axis over the data's own range (±8 %), not whole decades: losses that
  // span a fraction of a decade (scaling laws) would otherwise sit in a sliver of the chart.
  constructor(element, { title = '', yLabel = '', xLabel = 'step', logY = false, logX = false, points = false, height = 240, tightLog = false } = {}) {
    this.element = element;
    this.tightLog = tightLog;
    this.title = title;
    this.yLabel = yLabel;
    this.xLabel = xLabel;
    this.logY = logY;
    this.logX = logX;
    this.points = points;
    this.height = height;
    this.series = [];
    this.hLines = [];
    this.vLines = [];
    this.plot = null;
    this.key = '';
    this.resizeObserver = new ResizeObserver(() => {
      if (this.plot) this.plot.setSize({ width: this.width(), height: this.height });
    });
    this.resizeObserver.observe(element);
  }

  width() { return Math.max(280, this.element.clientWidth || 600); }

  setLogY(logY) {
    if (this.logY === logY) return;
    this.logY = logY;
    this.rebuild();
  }

  // Rows of every run joined on their x values (uPlot wants one shared x array).
  data() {
    const tables = this.series.map((s) => [s.xs, s.ys.map((y) => (this.logY && !(y > 0) ? null : y))]);
    if (tables.length === 0) return [[]];
    return uPlot.join(tables);
  }

  update(series, { hLines = [], vLines = [] } = {}) {
    this.series = series;
    this.hLines = hLines;
    this.vLines = vLines;
    const key = series.map((s) => s.label + s.color + (s.dash ? 'd' : '')).join('|');
    if (!this.plot || key !== this.key) {
      this.key = key;
      this.rebuild();
    } else {
      this.plot.setData(this.data());
    }
  }

  // The y range holds the data and every threshold line, so 2/η is in view before the
  // sharpness reaches it.
  yRange(u, dataMin, dataMax) {
    let min = dataMin, max = dataMax;
    for (const line of this.hLines) {
      if (!Number.isFinite(line.y) || (this.logY && line.y <= 0)) continue;
      // Headroom above a threshold for its label.
      const top = this.logY ? line.y * 1.3 : line.y + 0.08 * Math.abs(line.y);
      min = min === null || min === undefined ? line.y : Math.min(min, line.y);
      max = max === null || max === undefined ? top : Math.max(max, top);
    }
    if (min === null || min === undefined || !Number.isFinite(min)) return this.logY ? [0.1, 10] : [0, 1];
    if (this.logY && this.tightLog && min > 0) return [min / 1.08, max * 1.08];
    if (this.logY) return uPlot.rangeLog(min, max, 10, false);
    if (min === max) { const pad = Math.abs(min) * 0.1 || 1; return [min - pad, max + pad]; }
    const pad = (max - min) * 0.05;
    return [min >= 0 && min - pad < 0 ? 0 : min - pad, max + pad];
  }

  rebuild() {
    if (this.plot) { this.plot.destroy(); this.plot = null; }
    this.element.textContent = '';
    const self = this;
    const opts = {
      title: this.title,
      width: this.width(),
      height: this.height,
      scales: {
        x: this.logX ? { time: false, distr: 3, log: 10 } : { time: false },
        y: { distr: this.logY ? 3 : 1, log: 10, range: (u, min, max) => self.yRange(u, min, max) },
      },
      axes: [
        Object.assign({ label: this.xLabel, labelSize: 18, size: 36 }, this.logX ? { splits: logSplits, filter: keepSplits, values: (u, vals) => vals.map(niceNumber) } : {}),
        Object.assign({ label: this.yLabel, labelSize: 18, size: 64, values: (u, vals) => vals.map(niceNumber) },
          this.logY ? { splits: logSplits, filter: keepSplits } : {}),
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      series: [{ label: this.xLabel, value: (u, v) => (v === null || v === undefined ? '–' : String(v)) }].concat(
        this.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.width || 1.75,
          dash: s.dash,
          spanGaps: true,
          points: (s.points ?? this.points) ? { show: true, size: 6, fill: s.color } : { show: false },
          value: (u, v) => niceNumber(v),
        }))),
      hooks: { draw: [(u) => self.drawOverlays(u)] },
    };
    this.plot = new uPlot(opts, this.data(), this.element);
  }

  // Thresholds (dashed) and markers (dotted), in canvas pixels.
  drawOverlays(u) {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.lineWidth = 1.5 * uPlot.pxRatio;
    ctx.font = `${12 * uPlot.pxRatio}px system-ui, sans-serif`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    for (const line of this.hLines) {
      if (!Number.isFinite(line.y) || (this.logY && line.y <= 0)) continue;
      const y = u.valToPos(line.y, 'y', true);
      ctx.strokeStyle = line.color;
      ctx.fillStyle = line.color;
      ctx.setLineDash([8 * uPlot.pxRatio, 5 * uPlot.pxRatio]);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      if (line.label) ctx.fillText(line.label, left + 6 * uPlot.pxRatio, y - 4 * uPlot.pxRatio);
    }
    for (const line of this.vLines) {
      if (!Number.isFinite(line.x)) continue;
      const x = u.valToPos(line.x, 'x', true);
      ctx.strokeStyle = line.color;
      ctx.fillStyle = line.color;
      ctx.setLineDash([2 * uPlot.pxRatio, 3 * uPlot.pxRatio]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      if (line.label) ctx.fillText(line.label, x + 4 * uPlot.pxRatio, top + 14 * uPlot.pxRatio);
    }
    ctx.restore();
  }

  // A PNG of the chart: title, the plot canvas and a legend, on white.
  toPNG() {
    const u = this.plot;
    const ratio = uPlot.pxRatio;
    const source = u.ctx.canvas;
    const legendRows = this.series.length;
    const titleH = 28 * ratio, legendH = (legendRows * 18 + 10) * ratio;
    const canvas = document.createElement('canvas');
    canvas.width = source.width;
    canvas.height = source.height + titleH + legendH;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = '#111';
    ctx.font = `bold ${15 * ratio}px system-ui, sans-serif`;
    ctx.fillText(this.title, 10 * ratio, 20 * ratio);
    ctx.drawImage(source, 0, titleH);
    ctx.font = `${12 * ratio}px system-ui, sans-serif`;
    this.series.forEach((s, i) => {
      const y = source.height + titleH + (i * 18 + 14) * ratio;
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 2 * ratio;
      ctx.setLineDash(s.dash ? s.dash.map((d) => d * ratio) : []);
      ctx.beginPath();
      ctx.moveTo(12 * ratio, y - 4 * ratio);
      ctx.lineTo(36 * ratio, y - 4 * ratio);
      ctx.stroke();
      ctx.fillStyle = '#111';
      ctx.fillText(s.label, 44 * ratio, y);
    });
    return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  }

  // A vector copy of the chart: axes with the plot's own ticks, one polyline per series,
  // the threshold lines and markers, a legend.
  toSVG() {
    const u = this.plot;
    const { left, top, width, height } = u.bbox;
    const r = uPlot.pxRatio;
    const L = left / r, T = top / r, W = width / r, H = height / r;
    const total = { w: u.width, h: u.height + 30 + this.series.length * 18 };
    const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    const px = (v) => u.valToPos(v, 'x');
    const py = (v) => u.valToPos(v, 'y');
    const out = [];
    out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${total.w}" height="${total.h}" viewBox="0 0 ${total.w} ${total.h}" font-family="system-ui, sans-serif" font-size="12">`);
    out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
    out.push(`<text x="10" y="20" font-size="15" font-weight="bold">${esc(this.title)}</text>`);
    out.push(`<g transform="translate(0,30)">`);
    out.push(`<rect x="${L}" y="${T}" width="${W}" height="${H}" fill="none" stroke="#888"/>`);
    const xs = u.axes[0]._splits || [], ys = u.axes[1]._splits || [];
    for (const v of xs) {
      const x = L + px(v);
      if (x < L - 0.5 || x > L + W + 0.5) continue;
      out.push(`<line x1="${x}" y1="${T + H}" x2="${x}" y2="${T + H + 5}" stroke="#444"/><text x="${x}" y="${T + H + 18}" text-anchor="middle">${esc(niceNumber(v))}</text>`);
    }
    for (const v of ys) {
      const y = T + py(v);
      if (y < T - 0.5 || y > T + H + 0.5) continue;
      out.push(`<line x1="${L - 5}" y1="${y}" x2="${L + W}" y2="${y}" stroke="#e4e4e4"/><text x="${L - 8}" y="${y + 4}" text-anchor="end">${esc(niceNumber(v))}</text>`);
    }
    out.push(`<text x="${L + W / 2}" y="${T + H + 34}" text-anchor="middle">${esc(this.xLabel)}</text>`);
    out.push(`<text transform="translate(14,${T + H / 2}) rotate(-90)" text-anchor="middle">${esc(this.yLabel)}</text>`);
    out.push(`<clipPath id="plot"><rect x="${L}" y="${T}" width="${W}" height="${H}"/></clipPath><g clip-path="url(#plot)">`);
    const data = u.data;
    this.series.forEach((s, i) => {
      const ysData = data[i + 1];
      let d = '', pen = 'M';
      for (let k = 0; k < data[0].length; k++) {
        const y = ysData[k];
        if (y === null || y === undefined || !Number.isFinite(y)) continue;  // lines span gaps
        d += `${pen}${(L + px(data[0][k])).toFixed(2)},${(T + py(y)).toFixed(2)}`;
        pen = 'L';
      }
      const dash = s.dash ? ` stroke-dasharray="${s.dash.join(' ')}"` : '';
      if (d) out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.75"${dash}/>`);
    });
    for (const line of this.hLines) {
      if (!Number.isFinite(line.y) || (this.logY && line.y <= 0)) continue;
      const y = T + py(line.y);
      out.push(`<line x1="${L}" y1="${y}" x2="${L + W}" y2="${y}" stroke="${line.color}" stroke-dasharray="8 5" stroke-width="1.5"/>`);
      if (line.label) out.push(`<text x="${L + 6}" y="${y - 4}" fill="${line.color}">${esc(line.label)}</text>`);
    }
    for (const line of this.vLines) {
      if (!Number.isFinite(line.x)) continue;
      const x = L + px(line.x);
      out.push(`<line x1="${x}" y1="${T}" x2="${x}" y2="${T + H}" stroke="${line.color}" stroke-dasharray="2 3" stroke-width="1.5"/>`);
      if (line.label) out.push(`<text x="${x + 4}" y="${T + 14}" fill="${line.color}">${esc(line.label)}</text>`);
    }
    out.push('</g>');
    this.series.forEach((s, i) => {
      const y = u.height + 8 + i * 18;
      const dash = s.dash ? ` stroke-dasharray="${s.dash.join(' ')}"` : '';
      out.push(`<line x1="12" y1="${y - 4}" x2="36" y2="${y - 4}" stroke="${s.color}" stroke-width="2"${dash}/><text x="44" y="${y}">${esc(s.label)}</text>`);
    });
    out.push('</g></svg>');
    return out.join('\n');
  }

  destroy() {
    this.resizeObserver.disconnect();
    if (this.plot) this.plot.destroy();
    this.plot = null;
  }
}
