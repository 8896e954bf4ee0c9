// lab-charts.js — a kind's charts from its page descriptor (schema.json kinds[].page.charts),
// shared by the live pages, the embed and the results viewer, so a native run's
// metrics.jsonl looks exactly like a browser run.
//
// Chart descriptor: {id, title, x ("step"), y: [row keys], y_labels (legend names of the y
//   keys, default the keys; null: the run's name), log_y, y_label, x_label,
//   x_per: a summary key the x value is divided by ("steps_per_epoch": epochs),
//   threshold: an expression on the run's config drawn as a dashed line ("2/optim.lr"),
//   threshold_key: a row key holding it (the last row's value wins: rows of a native run
//   with a schedule carry their own 2/η; the C++ optimiser computes it, so momentum's and
//   Adam's thresholds need no formula here),
//   threshold_from_rows: the expression is only a stand-in until the first row that has the
//   chart's y key: once the rows carry that key but none carries threshold_key, the run has
//   no such threshold (Adam's edge is on λ₁(P⁻¹H), not on the raw sharpness) and no line,
//   threshold_by + threshold_labels: the line's name by a config value ({"momentum":
//   "(2+2β)/η"} under optim.type), else the expression's own text,
//   only_with_data: the chart's card is hidden while no run has a value of its y keys,
//   marker: a summary key whose value is an x to mark ("eos_step", the native summary's
//   step where sharpness first reached the edge), marker_label: its text ("EoS @ {}"),
//   log_x: a log-scale step axis (step 0, the initialisation, is left out),
//   spectrum: a row key holding an array (grokking's `fourier`): drawn against its index
//   (x_label) from each run's latest row that has it, so the chart follows training}.
// A descriptor with "type": "heatmap" draws a 2-D grid instead (heatmap-chart.js: x, y, z,
// points, log_z), from the latest run's rows.
// One colour per run; the y keys of a run are solid, dashed, dotted ... in order; a key whose
// values are arrays (the top-k Hessian eigenvalues `eigs`) gives one series per entry, and one
// whose values are objects (`layer_sharpness`, {tensor name: value}) one per name.
import { MetricChart, PALETTE } from './charts.js';
import { $, download, el, formatNumber } from './common.js';
import { evalExpr, getPath } from './config-fields.js';
import { HeatmapChart, gridOf } from './heatmap-chart.js';

const DASHES = [undefined, [6, 4], [2, 3], [10, 3, 2, 3], [6, 3]];

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// The entry names of an object-valued key over the rows, in first-seen order.
function entryNames(rows, key) {
  const names = [];
  for (const r of rows) if (isObject(r[key])) for (const n of Object.keys(r[key])) if (!names.includes(n)) names.push(n);
  return names;
}

// The threshold line's name: threshold_labels[config value at threshold_by], else the
// expression (or the row key) with η for optim.lr.
function thresholdName(d, config) {
  const by = d.threshold_by && config ? getPath(config, d.threshold_by) : undefined;
  if (d.threshold_labels && typeof by === 'string' && d.threshold_labels[by]) return d.threshold_labels[by];
  return (d.threshold || d.threshold_key).replace(/optim\.lr/, 'η');
}

function column(rows, key, index, per) {
  const xs = [], ys = [];
  for (const r of rows) {
    let v = r[key];
    if (typeof index === 'string') v = isObject(v) ? v[index] : undefined;
    else if (index !== undefined) v = Array.isArray(v) ? v[index] : undefined;
    const x = per.x(r);
    if (per.logX && !(x > 0)) continue;
    if (typeof v === 'number' && Number.isFinite(v)) { xs.push(x); ys.push(v); }
  }
  return { xs, ys };
}

// The figure cards for the charts into container (tools: log toggle, PNG, SVG).
export function chartCards(container, charts, { tools = true } = {}) {
  container.textContent = '';
  for (const c of charts) {
    const log = el('input', { type: 'checkbox', class: 'log-toggle', 'data-chart': c.id });
    container.append(el('figure', { class: 'chart-card', 'data-chart': c.id }, [
      !tools ? null : el('div', { class: 'chart-tools' }, [
        el('label', {}, [log, ' log y']),
        el('button', { type: 'button', class: 'png', 'data-chart': c.id, text: 'PNG' }),
        el('button', { type: 'button', class: 'svg', 'data-chart': c.id, text: 'SVG' }),
      ]),
      el('div', { class: 'chart', id: 'chart-' + c.id }),
    ]));
  }
}

export class LabCharts {
  // root holds #chart-<id> elements (made by chartCards); a chart without one is not drawn.
  // extraLines(id, runs) → {hLines, vLines} the page adds (a chance level, ...).
  constructor(root, descriptors, { height = 230, extraLines = null } = {}) {
    this.root = root;
    this.descriptors = descriptors;
    this.extraLines = extraLines;
    this.charts = {};
    for (const d of descriptors) {
      const element = $(`#chart-${d.id}`, root);
      if (!element) continue;
      if (d.type === 'heatmap') {
        this.charts[d.id] = new HeatmapChart(element, { title: d.title, logY: !!d.log_z, height });
        continue;
      }
      this.charts[d.id] = new MetricChart(element, {
        height, title: d.title, logY: !!d.log_y, logX: !!d.log_x, points: !!d.spectrum,
        yLabel: d.y_label || (d.y && d.y.length === 1 ? d.y[0] : ''), xLabel: d.x_label || d.x || 'step',
      });
    }
    for (const box of root.querySelectorAll('.log-toggle')) {
      const chart = this.charts[box.dataset.chart];
      if (!chart) continue;
      box.checked = chart.logY;
      box.addEventListener('change', () => { chart.setLogY(box.checked); this.render(); });
    }
    for (const button of root.querySelectorAll('button.png')) {
      if (this.charts[button.dataset.chart]) button.addEventListener('click', async () => download(`gradlab-${button.dataset.chart}.png`, await this.charts[button.dataset.chart].toPNG()));
    }
    for (const button of root.querySelectorAll('button.svg')) {
      if (this.charts[button.dataset.chart]) button.addEventListener('click', () => download(`gradlab-${button.dataset.chart}.svg`, this.charts[button.dataset.chart].toSVG(), 'image/svg+xml'));
    }
    this.runs = [];
    this.dirty = false;
  }

  color(i) { return PALETTE[i % PALETTE.length]; }

  // runs: [{id, label, rows, config, summary}] — colours follow the order.
  setRuns(runs) {
    this.runs = runs;
    this.schedule();
  }

  // Redraws at most once per animation frame, however fast rows arrive.
  schedule() {
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => { this.dirty = false; this.render(); });
  }

  render() {
    const many = this.runs.length > 1;
    for (const d of this.descriptors) {
      const chart = this.charts[d.id];
      if (!chart) continue;
      if (d.type === 'heatmap') {
        const run = this.runs[this.runs.length - 1];
        chart.setGrid(run ? gridOf(run.rows, d) : null);
        continue;
      }
      const series = [], hLines = [], vLines = [];
      let withData = false;
      if (d.spectrum) {
        this.runs.forEach((run, i) => {
          const last = [...run.rows].reverse().find((r) => Array.isArray(r[d.spectrum]));
          if (!last) return;
          const ys = last[d.spectrum];
          series.push({ label: `${run.label || run.id || `run ${i + 1}`} (step ${last.step})`, color: PALETTE[i % PALETTE.length], xs: ys.map((_, k) => k), ys });
        });
        chart.update(series, { hLines, vLines });
        continue;
      }
      this.runs.forEach((run, i) => {
        const color = PALETTE[i % PALETTE.length];
        const name = run.label || run.id || `run ${i + 1}`;
        const summary = run.summary || {};
        const per = summary[d.x_per];
        const scale = { logX: !!d.log_x, x: (r) => (d.x && d.x !== 'step' && Number.isFinite(r[d.x]) ? r[d.x] : r.step) / (d.x_per && per > 0 ? per : 1) };
        d.y.forEach((key, j) => {
          const width = run.rows.reduce((m, r) => Math.max(m, Array.isArray(r[key]) ? r[key].length : 0), 0);
          const names = d.y_labels || d.y;
          const label = (suffix) => [many ? name : '', suffix].filter(Boolean).join(' ') || name;
          const entries = entryNames(run.rows, key);
          if (!width && !entries.length) {
            const col = column(run.rows, key, undefined, scale);
            if (col.xs.length || j === 0) series.push(Object.assign({ label: label(d.y.length > 1 && names[j] ? names[j] : ''), color, dash: DASHES[j % DASHES.length] }, col));
          }
          for (let k = 0; k < width; k++) {
            series.push(Object.assign({ label: label(`${names[j]}${k + 1}`), color, dash: DASHES[k % DASHES.length] }, column(run.rows, key, k, scale)));
          }
          // Object values: one series per entry (a run's tensors share its colour; the dash
          // pattern tells them apart).
          entries.forEach((entry, k) => {
            series.push(Object.assign({ label: label(entry), color, dash: DASHES[k % DASHES.length] }, column(run.rows, key, entry, scale)));
          });
        });
        if (series.some((s) => s.ys && s.ys.length)) withData = true;
        const lastKey = d.threshold_key && [...run.rows].reverse().find((r) => Number.isFinite(r[d.threshold_key]));
        const measured = d.threshold_from_rows && run.rows.some((r) => r[d.y[0]] !== undefined);
        if (lastKey || (d.threshold && run.config && !measured)) {
          const y = lastKey ? lastKey[d.threshold_key] : evalExpr(d.threshold, run.config);
          if (Number.isFinite(y)) hLines.push({ y, color, label: `${thresholdName(d, run.config)} = ${formatNumber(y)}` });
        }
        if (d.marker && Number.isFinite(summary[d.marker])) {
          vLines.push({ x: summary[d.marker], color, label: (d.marker_label || '{}').replace('{}', summary[d.marker]) });
        }
      });
      if (d.only_with_data) {
        const card = chart.element.closest('.chart-card');
        if (card) card.hidden = !withData;
      }
      const extra = this.extraLines ? this.extraLines(d.id, this.runs) || {} : {};
      chart.update(series, { hLines: hLines.concat(extra.hLines || []), vLines: vLines.concat(extra.vLines || []) });
    }
  }
}
