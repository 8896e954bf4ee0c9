// viewer-page.js — viewer.html: a native run's metrics.jsonl (+ config.json, summary.json)
// shown with the live lab's charts: those of the config's kind in schema.json (edge of
// stability until a config says otherwise). Files never leave the browser. The figures in the
// status (the step the edge of stability was reached, ...) are the run's summary.json, as the
// native run wrote it. A malformed file shows a readable error naming the file and line; what
// was loaded before stays.
import { $, clearError, download, fileText, formatNumber, parseJsonl, rowsToCsv, showError } from './common.js';
import { LabCharts, chartCards } from './lab-charts.js';
import { loadSchema, pageOf } from './lab-data.js';

const runs = [];  // {id, label, rows, summary}
let config = null;
let schema = null;
let charts = null;
let chartsKind = null;

function page() {
  try { return pageOf(schema, (config && config.kind) || 'edge_of_stability'); } catch (e) { return pageOf(schema, 'edge_of_stability'); }
}

// The status items of the kind's descriptor whose values the run's summary holds.
function summaryText(run) {
  const out = [];
  for (const item of page().status || []) {
    if (!/\{summary\.\w+\}/.test(item.text) || /\{last\./.test(item.text)) continue;
    let missing = false;
    const text = item.text.replace(/\{summary\.(\w+)\}/g, (_, k) => { const v = run.summary && run.summary[k]; if (!Number.isFinite(v)) missing = true; return formatNumber(v); });
    if (!missing) out.push(text);
  }
  return out;
}

function refresh() {
  if (!schema) return;
  const p = page();
  if (chartsKind !== p.file) {
    chartCards($('#charts'), p.charts || []);
    charts = new LabCharts(document, p.charts || []);
    chartsKind = p.file;
  }
  charts.setRuns(runs.map((r) => Object.assign({ config }, r)));
  $('#file-list').textContent = runs.map((r) => `${r.label}: ${r.rows.length} rows`).join('\n');
  $('#config-view').textContent = config ? JSON.stringify(config, null, 2) : '(none loaded)';
  if (!runs.length) { $('#status').textContent = 'No run loaded yet.'; return; }
  $('#status').textContent = runs.map((r) => {
    const last = r.rows[r.rows.length - 1];
    return [`${r.label}: steps 0–${last.step}`].concat(Number.isFinite(last.loss) ? [`final loss ${formatNumber(last.loss)}`] : [], summaryText(r)).join(' · ');
  }).join('\n');
}

// A summary.json: what `gradlab run` writes beside metrics.jsonl (status, steps_done, figures).
const isSummary = (o) => typeof o.status === 'string' && 'steps_done' in o && !('data' in o);

async function load(files) {
  clearError();
  const problems = [];
  const summaries = [];
  const first = runs.length;
  for (const file of files) {
    try {
      const text = await fileText(file);
      if (file.name.endsWith('.jsonl')) {
        const rows = parseJsonl(text, file.name);
        runs.push({ id: file.name, label: runs.some((r) => r.label === file.name) ? `${file.name} (${runs.length + 1})` : file.name, rows });
      } else {
        let parsed;
        try { parsed = JSON.parse(text); } catch (e) { throw new Error(`${file.name}: not valid JSON (${e.message})`); }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${file.name}: expected a JSON object`);
        if (Array.isArray(parsed.runs)) {
          // A metrics.json exported by the lab: {config, runs: [{id, label, rows, summary}]}.
          // Checked whole before any run is taken: a run without rows, a row without a numeric
          // step or a config that is not an object would break the charts later, outside this try.
          parsed.runs.forEach((r, i) => {
            const where = `${file.name}: runs[${i}]`;
            if (r === null || typeof r !== 'object' || !Array.isArray(r.rows) || r.rows.length === 0) throw new Error(`${where} has no rows`);
            r.rows.forEach((row, j) => { if (row === null || typeof row !== 'object' || typeof row.step !== 'number') throw new Error(`${where}.rows[${j}] has no numeric "step"`); });
            if (r.summary !== undefined && (r.summary === null || typeof r.summary !== 'object')) throw new Error(`${where}.summary is not an object`);
          });
          if (parsed.config !== undefined && (parsed.config === null || typeof parsed.config !== 'object' || Array.isArray(parsed.config))) throw new Error(`${file.name}: "config" is not a JSON object`);
          for (const r of parsed.runs) runs.push({ id: String(r.id), label: String(r.label || r.id), rows: r.rows, summary: r.summary });
          config = parsed.config || config;
        } else if (isSummary(parsed)) {
          summaries.push(parsed);
        } else if (typeof parsed.kind === 'string') {
          config = parsed;
        } else {
          throw new Error(`${file.name}: neither a gradlab config.json (no "kind"), a summary.json nor a lab metrics.json (no "runs")`);
        }
      }
    } catch (e) {
      problems.push(e.message);
    }
  }
  // A summary belongs to the metrics file chosen with it (else to the last run loaded).
  summaries.forEach((s, i) => { const r = runs[Math.min(first + i, runs.length - 1)]; if (r) r.summary = s; });
  // What passed the checks above can still hold values no chart expects (1e308 steps, strings
  // where numbers go): a failure to draw them is reported like a bad file, never left uncaught.
  try { refresh(); } catch (e) { problems.push(`cannot draw the loaded runs: ${e.message}`); }
  if (problems.length) showError(problems.join(' · '), { title: 'Cannot import' });
}

const zone = $('#dropzone');
zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
zone.addEventListener('dragleave', () => zone.classList.remove('over'));
zone.addEventListener('drop', (e) => { e.preventDefault(); zone.classList.remove('over'); load([...e.dataTransfer.files]); });
$('#file-input').addEventListener('change', (e) => { load([...e.target.files]); e.target.value = ''; });
$('#btn-clear').addEventListener('click', () => { runs.length = 0; config = null; clearError(); refresh(); });
$('#btn-export-csv').addEventListener('click', () => download('metrics.csv', rowsToCsv(runs), 'text/csv'));
window.gradlabViewer = { runs, get config() { return config; }, load };
loadSchema().then((s) => { schema = s; refresh(); }).catch((e) => showError(e.message));
