// common.js — helpers every page shares: error banners, downloads, metrics files
// (CSV / JSON / metrics.jsonl, the native run's format, docs/design.md §4) and small DOM bits.

export function $(selector, root = document) { return root.querySelector(selector); }

export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') node.textContent = v;
    else if (k === 'class') node.className = v;
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of [].concat(children)) if (c !== null && c !== undefined) node.append(c);
  return node;
}

// A readable error in the page's banner (role=alert); the page keeps working.
export function showError(message, { title = 'Error' } = {}) {
  const banner = $('#error-banner');
  if (!banner) { console.warn(message); return; }
  banner.textContent = '';
  banner.append(el('strong', { text: title + ': ' }), el('span', { class: 'error-message', text: message }),
    el('button', { type: 'button', class: 'dismiss', 'aria-label': 'Dismiss', text: '×' }));
  banner.hidden = false;
  $('.dismiss', banner).addEventListener('click', () => { banner.hidden = true; });
}

export function clearError() {
  const banner = $('#error-banner');
  if (banner) banner.hidden = true;
}

export function download(filename, content, type = 'application/octet-stream') {
  const blob = content instanceof Blob ? content : new Blob([content], { type });
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// Rows → CSV: one column per key in order of first appearance; arrays (eigs, coords, ...)
// spread over columns key.0, key.1, ...; numbers at full precision (String() round-trips);
// missing values empty. With several runs, a leading `run` column names each row's run.
export function rowsToCsv(runs) {
  const withRun = runs.length > 1;
  const columns = [];
  const seen = new Set();
  const flat = [];
  for (const run of runs) {
    for (const row of run.rows) {
      const f = {};
      for (const [k, v] of Object.entries(row)) {
        if (Array.isArray(v)) v.forEach((x, i) => { f[`${k}.${i}`] = x; });
        // {name: number} (layer_sharpness): a column per name, "layer_sharpness.layers.0.weight".
        else if (v !== null && typeof v === 'object' && Object.values(v).every((x) => typeof x === 'number')) Object.entries(v).forEach(([n, x]) => { f[`${k}.${n}`] = x; });
        else f[k] = v;
      }
      for (const k of Object.keys(f)) if (!seen.has(k)) { seen.add(k); columns.push(k); }
      flat.push([run.id, f]);
    }
  }
  const quote = (v) => {
    if (v === undefined || v === null) return '';
    const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  const lines = [(withRun ? ['run'] : []).concat(columns).map(quote).join(',')];
  for (const [id, f] of flat) lines.push((withRun ? [quote(id)] : []).concat(columns.map((c) => quote(f[c]))).join(','));
  return lines.join('\n') + '\n';
}

export function rowsToJsonl(rows) {
  return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
}

// metrics.jsonl of a native run → rows. Throws an Error naming the line of the first problem.
export function parseJsonl(text, name = 'metrics.jsonl') {
  const rows = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let row;
    try { row = JSON.parse(line); } catch (e) { throw new Error(`${name}:${i + 1}: not a JSON object (${e.message})`); }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new Error(`${name}:${i + 1}: expected one JSON object per line`);
    if (typeof row.step !== 'number') throw new Error(`${name}:${i + 1}: the row has no numeric "step" (is this a gradlab metrics.jsonl?)`);
    rows.push(row);
  });
  if (rows.length === 0) throw new Error(`${name}: no rows (an empty file?)`);
  return rows;
}

export function formatNumber(v, digits = 4) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return String(+v.toPrecision(digits));
}

export function fileText(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new Error(`cannot read ${file.name}`));
    reader.readAsText(file);
  });
}
