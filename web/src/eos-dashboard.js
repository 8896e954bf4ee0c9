// eos-dashboard.js — the edge-of-stability charts, shared by the live page (eos.html), the
// embed (embed.html) and the results viewer (viewer.html), so a native run's metrics.jsonl
// looks exactly like a browser run.
//
// Charts: training loss; sharpness (and, with probe.average_window, its value at the averaged
// iterate, dashed) with each run's 2/η (row key `threshold`) dashed and the
// step where sharpness first reaches 0.95·2/η marked (summary.json's eos_step); the top-k
// Hessian eigenvalues (`eigs`); train / test accuracy.
import { MetricChart, PALETTE } from './charts.js';
import { $, download, formatNumber } from './common.js';

// Cohen et al. 2021 call a run "at the edge" once sharpness ≥ 0.95 · 2/η (as the native summary).
export const EOS_FRACTION = 0.95;

export function eosStep(rows) {
  for (const r of rows) {
    if (Number.isFinite(r.sharpness) && Number.isFinite(r.threshold) && r.sharpness >= EOS_FRACTION * r.threshold) return r.step;
  }
  return null;
}

function column(rows, key, index) {
  const xs = [], ys = [];
  for (const r of rows) {
    let v = r[key];
    if (index !== undefined) v = Array.isArray(v) ? v[index] : undefined;
    if (typeof v === 'number' && Number.isFinite(v)) { xs.push(r.step); ys.push(v); }
  }
  return { xs, ys };
}

export class EosDashboard {
  // root: an element holding #chart-loss, #chart-sharpness, #chart-eigs, #chart-accuracy and
  // optionally .log-toggle / .png / .svg buttons with data-chart attributes.
  constructor(root, { height = 230 } = {}) {
    this.root = root;
    // A chart whose element the page left out (an embed's `charts` list) is not drawn.
    const chart = (name, options) => {
      const element = $(`#chart-${name}`, root);
      return element ? new MetricChart(element, Object.assign({ height }, options)) : null;
    };
    this.charts = {
      loss: chart('loss', { title: 'Training loss', yLabel: 'loss', logY: true }),
      sharpness: chart('sharpness', { title: 'Sharpness λmax(∇²L) and 2/η', yLabel: 'sharpness' }),
      eigs: chart('eigs', { title: 'Top Hessian eigenvalues', yLabel: 'eigenvalue' }),
      accuracy: chart('accuracy', { title: 'Accuracy', yLabel: 'accuracy' }),
    };
    for (const box of root.querySelectorAll('.log-toggle')) {
      const chart = this.charts[box.dataset.chart];
      if (!chart) continue;
      box.checked = chart.logY;
      box.addEventListener('change', () => { chart.setLogY(box.checked); this.render(); });
    }
    for (const button of root.querySelectorAll('button.png')) {
      button.addEventListener('click', async () => download(`gradlab-${button.dataset.chart}.png`, await this.charts[button.dataset.chart].toPNG()));
    }
    for (const button of root.querySelectorAll('button.svg')) {
      button.addEventListener('click', () => download(`gradlab-${button.dataset.chart}.svg`, this.charts[button.dataset.chart].toSVG(), 'image/svg+xml'));
    }
    this.runs = [];
    this.dirty = false;
    this.frame = 0;
  }

  // runs: [{id, label, rows}] — colours follow the order.
  setRuns(runs) {
    this.runs = runs;
    this.schedule();
  }

  // Redraws at most once per animation frame, however fast rows arrive.
  schedule() {
    if (this.dirty) return;
    this.dirty = true;
    this.frame = requestAnimationFrame(() => { this.dirty = false; this.render(); });
  }

  render() {
    const runs = this.runs;
    const color = (i) => PALETTE[i % PALETTE.length];
    const many = runs.length > 1;
    const loss = [], sharp = [], eigs = [], acc = [], thresholds = [], markers = [];
    runs.forEach((run, i) => {
      const name = run.label || run.id || `run ${i + 1}`;
      loss.push(Object.assign({ label: name, color: color(i) }, column(run.rows, 'loss')));
      sharp.push(Object.assign({ label: name, color: color(i) }, column(run.rows, 'sharpness')));
      // probe.average_window: λmax at the mean of the last W iterates, dashed in the run's colour.
      const averaged = column(run.rows, 'sharpness_avg');
      if (averaged.xs.length) sharp.push(Object.assign({ label: (many ? name + ' ' : '') + 'at the averaged iterate', color: color(i), dash: [6, 4] }, averaged));
      const k = run.rows.reduce((m, r) => Math.max(m, Array.isArray(r.eigs) ? r.eigs.length : 0), 0);
      for (let j = 0; j < k; j++) {
        eigs.push(Object.assign({ label: (many ? name + ' ' : '') + `λ${j + 1}`, color: color(i), dash: j === 0 ? undefined : [[6, 3], [2, 3], [10, 3, 2, 3]][(j - 1) % 3] }, column(run.rows, 'eigs', j)));
      }
      const train = column(run.rows, 'train_acc'), test = column(run.rows, 'test_acc');
      if (train.xs.length) acc.push(Object.assign({ label: (many ? name + ' ' : '') + 'train', color: color(i) }, train));
      if (test.xs.length) acc.push(Object.assign({ label: (many ? name + ' ' : '') + 'test', color: color(i), dash: [6, 4] }, test));
      const last = [...run.rows].reverse().find((r) => Number.isFinite(r.threshold));
      if (last) thresholds.push({ y: last.threshold, color: color(i), label: `2/η = ${formatNumber(last.threshold)}` });
      const eos = eosStep(run.rows);
      if (eos !== null) markers.push({ x: eos, color: color(i), label: `EoS @ ${eos}` });
    });
    const update = (name, series, lines) => { if (this.charts[name]) this.charts[name].update(series, lines); };
    update('loss', loss, { vLines: markers });
    update('sharpness', sharp, { hLines: thresholds, vLines: markers });
    update('eigs', eigs, { hLines: thresholds });
    update('accuracy', acc, {});
  }
}
