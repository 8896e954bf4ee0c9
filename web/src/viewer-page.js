// viewer-page.js — viewer.html: a native run's metrics.jsonl (+ config.json, summary.json)
// shown with the live lab's charts: those of the config's kind in schema.json (edge of
// stability until a config says otherwise). Files never leave the browser. The figures in the
// status (the step the edge of stability was reached, ...) are the run's summary.json, as the
// native run wrote it. A malformed file shows a readable error naming the file and line; what
// was loaded before stays. A sweep.jsonl goes to the sweep panel (sweep-view.js).
import { $, clearError, download, el, fileText, formatNumber, parseJsonl, rowsToCsv, showError } from './common.js';
import { LabCharts, chartCards } from './lab-charts.js';
import { loadSchema, pageOf } from './lab-data.js';
import { SweepView, parseSweepJsonl } from './sweep-view.js';

const runs = [];  // {id, label, rows, summary, config}
const sweeps = new SweepView($('#sweep-panel'));
let config = null;  // the first run's config: the kind whose charts show
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

const lines = (element, texts) => {
  element.textContent = '';
  for (const t of texts) element.append(el('div', { class: 'status-line', text: t }));
};

function refresh() {
  if (!schema) return;
  const p = page();
  if (chartsKind !== p.file) {
    chartCards($('#charts'), p.charts || []);
    charts = new LabCharts(document, p.charts || []);
    chartsKind = p.file;
  }
  charts.setRuns(runs.map((r) => Object.assign({}, r, { config: r.config || config })));
  lines($('#file-list'), runs.map((r) => `${r.label}: ${r.rows.length} rows${r.files ? ` (${r.files})` : ''}`));
  $('#config-view').textContent = runs.length ? runs.map((r) => `// ${r.label}\n${r.config ? JSON.stringify(r.config, null, 2) : '(no config.json)'}`).join('\n\n') : '(none loaded)';
  if (!runs.length) { $('#status').textContent = 'No run loaded yet.'; return; }
  lines($('#status'), runs.map((r) => {
    const last = r.rows[r.rows.length - 1];
    return [`${r.label}: steps 0–${last.step}`].concat(Number.isFinite(last.loss) ? [`final loss ${formatNumber(last.loss)}`] : [], summaryText(r)).join(' · ');
  }));
}

// A summary.json: what `gradlab run` writes beside metrics.jsonl (status, steps_done, figures).
const isSummary = (o) => typeof o.status === 'string' && 'steps_done' in o && !('data' in o);

// A run's name from its config: the kind, the model and η ("edge_of_stability · mlp 64×64 · η = 0.2"),
// else the folder it came from, else the file's name.
function runLabel(cfg, folder, file) {
  if (cfg && typeof cfg.kind === 'string') {
    const m = cfg.model || {};
    const size = Array.isArray(m.widths) ? ' ' + m.widths.join('×') : Array.isArray(m.channels) ? ' ' + m.channels.join('×') : '';
    const lr = cfg.optim && cfg.optim.lr;
    return [cfg.kind, m.type ? m.type + size : null, lr !== undefined ? `η = ${lr}` : null, cfg.seed ? `seed ${cfg.seed}` : null].filter(Boolean).join(' · ');
  }
  return folder || file;
}

const unique = (label) => (runs.some((r) => r.label === label) ? `${label} (${runs.filter((r) => r.label.startsWith(label)).length + 1})` : label);

// files: [{file, folder}] — folder: the run directory a file came from ('' when chosen loose).
// Each folder is one run (its metrics.jsonl, config.json, summary.json); loose files are one
// group: each metrics file a run, the config and summary among them belong to its run (to every
// one when several metrics files come with one config). A lab metrics.json brings its own runs.
async function load(items) {
  clearError();
  const problems = [];
  const groups = new Map();
  for (const item of items) {
    const folder = item.folder || '';
    if (!groups.has(folder)) groups.set(folder, []);
    groups.get(folder).push(item.file);
  }
  for (const [folder, files] of groups) {
    const metrics = [], configs = [], summaries = [];
    for (const file of files) {
      try {
        const text = await fileText(file);
        if (file.name.endsWith('.jsonl')) {
          const sweepRows = parseSweepJsonl(text, file.name);
          if (sweepRows) sweeps.add(file.name, sweepRows);
          else metrics.push({ name: file.name, rows: parseJsonl(text, file.name) });
          continue;
        }
        let parsed;
        try { parsed = JSON.parse(text); } catch (e) { throw new Error(`${file.name}: not valid JSON (${e.message})`); }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${file.name}: expected a JSON object`);
        if (Array.isArray(parsed.runs)) {
          // A metrics.json exported by the lab: {config, runs: [{id, label, config, rows, summary}]}.
          // Checked whole before any run is taken: a run without rows, a row without a numeric
          // step or a config that is not an object would break the charts later, outside this try.
          parsed.runs.forEach((r, i) => {
            const where = `${file.name}: runs[${i}]`;
            if (r === null || typeof r !== 'object' || !Array.isArray(r.rows) || r.rows.length === 0) throw new Error(`${where} has no rows`);
            r.rows.forEach((row, j) => { if (row === null || typeof row !== 'object' || typeof row.step !== 'number') throw new Error(`${where}.rows[${j}] has no numeric "step"`); });
            if (r.summary !== undefined && (r.summary === null || typeof r.summary !== 'object')) throw new Error(`${where}.summary is not an object`);
          });
          if (parsed.config !== undefined && (parsed.config === null || typeof parsed.config !== 'object' || Array.isArray(parsed.config))) throw new Error(`${file.name}: "config" is not a JSON object`);
          for (const r of parsed.runs) runs.push({ id: String(r.id), label: unique(String(r.label || r.id)), rows: r.rows, summary: r.summary, config: r.config || parsed.config });
          config = config || parsed.config || null;
        } else if (isSummary(parsed)) {
          if (/config/i.test(file.name)) throw new Error(`${file.name} is a summary.json (it has "status" and "steps_done" and no "data" block), not a config: a run's config is the config.json beside it`);
          summaries.push(parsed);
        } else if (typeof parsed.kind === 'string') {
          configs.push(parsed);
        } else {
          throw new Error(`${file.name}: neither a gradlab config.json (no "kind"), a summary.json nor a lab metrics.json (no "runs")`);
        }
      } catch (e) {
        problems.push(e.message);
      }
    }
    if (configs.length > 1) problems.push(`${folder || 'these files'}: ${configs.length} configs for ${metrics.length || 'no'} metrics files; choose each run's files (or folder) on their own`);
    if (summaries.length > 1) problems.push(`${folder || 'these files'}: ${summaries.length} summaries; choose each run's files (or folder) on their own`);
    if (!metrics.length && (configs.length || summaries.length)) problems.push(`${folder || files.map((f) => f.name).join(', ')}: no metrics.jsonl to go with ${configs.length ? 'the config' : 'the summary'}: choose it together with its run's metrics.jsonl`);
    if (configs.length > 1 || summaries.length > 1) continue;
    for (const m of metrics) {
      const cfg = configs[0] || null;
      runs.push({ id: (folder ? folder + '/' : '') + m.name, label: unique(runLabel(cfg, folder, m.name)), rows: m.rows, summary: summaries[0], config: cfg, files: [m.name].concat(cfg ? ['config.json'] : [], summaries.length ? ['summary.json'] : []).join(' + ') });
      config = config || cfg;
    }
  }
  // What passed the checks above can still hold values no chart expects (1e308 steps, strings
  // where numbers go): a failure to draw them is reported like a bad file, never left uncaught.
  try { refresh(); } catch (e) { problems.push(`cannot draw the loaded runs: ${e.message}`); }
  if (problems.length) showError(problems.join(' · '), { title: 'Cannot import' });
}

// A dropped folder: its files, read through the entries API (one level of run folders, or a
// folder of run folders).
async function dropped(dataTransfer) {
  const out = [];
  const walk = async (entry, folder) => {
    if (entry.isFile) { out.push({ file: await new Promise((res, rej) => entry.file(res, rej)), folder }); return; }
    const reader = entry.createReader();
    for (let batch; (batch = await new Promise((res, rej) => reader.readEntries(res, rej))).length;) {
      for (const e of batch) await walk(e, e.isDirectory ? e.fullPath.replace(/^\//, '') : entry.fullPath.replace(/^\//, ''));
    }
  };
  const entries = [...dataTransfer.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
  if (!entries.length) return [...dataTransfer.files].map((file) => ({ file, folder: '' }));
  for (const e of entries) await walk(e, e.isDirectory ? e.fullPath.replace(/^\//, '') : '');
  return out;
}
const fromInput = (files) => [...files].map((file) => ({ file, folder: (file.webkitRelativePath || '').split('/').slice(0, -1).join('/') }));

const zone = $('#dropzone');
zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
zone.addEventListener('dragleave', () => zone.classList.remove('over'));
zone.addEventListener('drop', (e) => { e.preventDefault(); zone.classList.remove('over'); dropped(e.dataTransfer).then(load, (err) => showError(err.message)); });
for (const id of ['#file-input', '#folder-input']) $(id).addEventListener('change', (e) => { load(fromInput(e.target.files)); e.target.value = ''; });
$('#btn-clear').addEventListener('click', () => { runs.length = 0; config = null; sweeps.clear(); clearError(); refresh(); });
$('#btn-export-csv').addEventListener('click', () => download('metrics.csv', rowsToCsv(runs), 'text/csv'));
window.gradlabViewer = { runs, sweeps, get config() { return config; }, load: (files) => load(files.map((f) => (f instanceof File ? { file: f, folder: '' } : f))) };
loadSchema().then((s) => { schema = s; refresh(); }).catch((e) => showError(e.message));
