// viewer-page.js — viewer.html: a native run's metrics.jsonl (+ config.json) shown with the
// live lab's charts. Files never leave the browser. A malformed file shows a readable error
// naming the file and line; what was loaded before stays.
import { $, clearError, download, fileText, formatNumber, parseJsonl, rowsToCsv, showError } from './common.js';
import { EosDashboard, eosStep } from './eos-dashboard.js';

const dashboard = new EosDashboard(document);
const runs = [];
let config = null;

function refresh() {
  dashboard.setRuns(runs);
  $('#file-list').textContent = runs.map((r) => `${r.label}: ${r.rows.length} rows`).join('\n');
  $('#config-view').textContent = config ? JSON.stringify(config, null, 2) : '(none loaded)';
  if (!runs.length) { $('#status').textContent = 'No run loaded yet.'; return; }
  $('#status').textContent = runs.map((r) => {
    const last = r.rows[r.rows.length - 1];
    const eos = eosStep(r.rows);
    return `${r.label}: steps 0–${last.step}` + (Number.isFinite(last.loss) ? ` · final loss ${formatNumber(last.loss)}` : '') +
      (eos !== null ? ` · edge of stability reached at step ${eos}` : '');
  }).join('\n');
}

async function load(files) {
  clearError();
  const problems = [];
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
          // A metrics.json exported by the lab: {config, runs: [{id, label, rows}]}.
          for (const r of parsed.runs) if (Array.isArray(r.rows)) runs.push({ id: r.id, label: r.label || r.id, rows: r.rows });
          config = parsed.config || config;
        } else if (typeof parsed.kind === 'string') {
          config = parsed;
        } else {
          throw new Error(`${file.name}: neither a gradlab config.json (no "kind") nor a lab metrics.json (no "runs")`);
        }
      }
    } catch (e) {
      problems.push(e.message);
    }
  }
  refresh();
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
refresh();
