// sweep-view.js — the results viewer's sweep panel (viewer.html): one or more sweep.jsonl files
// (`gradlab sweep`, docs/cluster.md) drawn as any summary key against any swept key, one line per
// value of a third key (or per file), with the lab's charts (lab-charts.js).
//
// A sweep.jsonl row is {id: "optim.lr=0.1,seed=0", <swept keys>, <summary keys>, run: {...}}; the
// swept keys are read from the ids. Points of one line that share an x (other swept keys not
// grouped, e.g. seeds) are averaged, and the status says over how many.
import { $, el, formatNumber } from './common.js';
import { LabCharts, chartCards } from './lab-charts.js';

// A sweep.jsonl's rows, or null when the file's first row is not a sweep row (one that names its
// point and has no training step: then it is a metrics.jsonl). Errors name the file and line.
export function parseSweepJsonl(text, name) {
  const lines = text.split(/\r?\n/);
  const first = lines.find((l) => l.trim());
  let head;
  try { head = JSON.parse(first); } catch (e) { return null; }
  if (!head || typeof head.id !== 'string' || 'step' in head) return null;
  const rows = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let row;
    try { row = JSON.parse(line); } catch (e) { throw new Error(`${name}:${i + 1}: not a JSON object (${e.message})`); }
    if (!row || typeof row !== 'object' || Array.isArray(row) || typeof row.id !== 'string') throw new Error(`${name}:${i + 1}: expected a sweep row (a JSON object with the point's "id")`);
    rows.push(row);
  });
  return rows;
}

// The swept keys of a point id ("optim.lr=0.1,quadratic.x0=1.5x1" → optim.lr, quadratic.x0).
function sweptKeys(id) {
  return [...id.matchAll(/(?:^|,)([A-Za-z_][\w.]*)=/g)].map((m) => m[1]);
}

const text = (v) => (Array.isArray(v) ? v.join('×') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

export class SweepView {
  constructor(root) {
    this.root = root;
    this.files = [];  // {name, rows}
    this.chartKey = null;
    $('#sweep-status', root).style.whiteSpace = 'pre-line';  // one line per drawn line
    for (const id of ['#sweep-x', '#sweep-y', '#sweep-group']) $(id, root).addEventListener('change', () => this.render());
  }

  add(name, rows) { this.files.push({ name, rows }); this.refreshChoices(); }
  clear() { this.files.length = 0; this.refreshChoices(); }

  allRows() { return this.files.flatMap((f) => f.rows.map((r) => Object.assign({ file: f.name }, r))); }

  // Options: x = swept keys with numeric values; y = other numeric keys; group = swept keys + file.
  refreshChoices() {
    const rows = this.allRows();
    this.root.hidden = rows.length === 0;
    const swept = [...new Set(rows.flatMap((r) => sweptKeys(r.id)))];
    const numeric = (k) => rows.some((r) => typeof r[k] === 'number' && Number.isFinite(r[k]));
    const short = new Set(swept.map((k) => k.slice(k.lastIndexOf('.') + 1)));
    const xs = swept.filter(numeric);
    const ys = [...new Set(rows.flatMap(Object.keys))].filter((k) => !swept.includes(k) && !short.has(k) && k !== 'id' && numeric(k)).sort();
    const groups = ['(none)'].concat(swept, this.files.length > 1 ? ['file'] : []);
    const fill = (sel, options, prefer) => {
      const keep = sel.value;
      sel.textContent = '';
      for (const o of options) sel.append(el('option', { value: o, text: o }));
      sel.value = options.includes(keep) ? keep : prefer.find((p) => options.includes(p)) || options[0] || '';
    };
    fill($('#sweep-x', this.root), xs, []);
    fill($('#sweep-y', this.root), ys, ['test_acc', 'test_error', 'final_loss', 'train_loss', 'loss']);
    const x = $('#sweep-x', this.root).value;
    fill($('#sweep-group', this.root), groups, [swept.find((k) => k !== x && !/seed/.test(k)) || '(none)']);
    this.render();
  }

  // {label, points: [[x, mean y, n]]} per group, x ascending.
  series(x, y, group) {
    const byGroup = new Map();
    for (const r of this.allRows()) {
      if (typeof r[x] !== 'number' || typeof r[y] !== 'number' || !Number.isFinite(r[y])) continue;
      const g = group === '(none)' ? '' : `${group} = ${text(r[group])}`;
      if (!byGroup.has(g)) byGroup.set(g, new Map());
      const at = byGroup.get(g);
      const acc = at.get(r[x]) || { sum: 0, n: 0 };
      acc.sum += r[y];
      acc.n += 1;
      at.set(r[x], acc);
    }
    return [...byGroup.entries()].map(([label, at]) => ({
      label, points: [...at.entries()].sort((a, b) => a[0] - b[0]).map(([xv, a]) => [xv, a.sum / a.n, a.n]),
    }));
  }

  render() {
    const x = $('#sweep-x', this.root).value, y = $('#sweep-y', this.root).value, group = $('#sweep-group', this.root).value;
    const status = $('#sweep-status', this.root);
    if (!x || !y) { status.textContent = this.files.length ? 'No numeric swept key or summary key to draw.' : ''; return; }
    const key = `${x}|${y}`;
    if (key !== this.chartKey) {
      // LabCharts draws row keys against x; a sweep "row" here is one averaged point.
      const descriptor = { id: 'sweep', title: `${y} vs ${x}`, x, y: [y], y_labels: null, x_label: x, y_label: y };
      chartCards($('#sweep-charts', this.root), [descriptor]);
      this.charts = new LabCharts(this.root, [descriptor]);
      this.chartKey = key;
    }
    const lines = this.series(x, y, group);
    this.lines = lines;
    this.charts.setRuns(lines.map((l, i) => ({ id: `g${i}`, label: l.label || y, rows: l.points.map(([xv, yv]) => ({ step: xv, [x]: xv, [y]: yv })) })));
    const n = this.allRows().length;
    const averaged = lines.reduce((m, l) => Math.max(m, ...l.points.map((p) => p[2])), 0);
    status.textContent = `${n} points from ${this.files.map((f) => f.name).join(', ')} · ${lines.length} line${lines.length === 1 ? '' : 's'}` +
      (averaged > 1 ? ` · each point the mean of up to ${averaged} runs` : '') +
      lines.slice(0, 8).map((l) => `\n${l.label || y}: ${l.points.map(([xv, yv]) => `${formatNumber(xv)} → ${formatNumber(yv)}`).join(', ')}`).join('');
  }
}
