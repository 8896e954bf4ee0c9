// eos-lab.js — the edge-of-stability lab: config ⇄ form ⇄ URL hash, runs in workers, charts.
// Used by eos.html (full page) and embed.html (no chrome, a chosen subset of knobs).
//
// The page's state is one user config (what `gradlab run` reads; a `sweep` block on
// optim.lr overlays several learning rates, what `gradlab sweep` runs). Every edit rewrites
// the URL hash, so the address is always a link to the exact run.
import { buildFields, getPath } from './config-fields.js';
import { buildHash, parseHash } from './config-url.js';
import { $, clearError, download, formatNumber, rowsToCsv, rowsToJsonl, showError } from './common.js';
import { EosDashboard, eosStep } from './eos-dashboard.js';
import { Run, expandConfig, prewarm, takeIdleRun } from './runner.js';

const PRESETS_URL = new URL('../presets/', import.meta.url);
export const DEFAULT_PRESET = 'eos-fashion-mlp.json';

export async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
  return response.json();
}

export async function loadPreset(file) {
  return fetchJson(new URL(file, PRESETS_URL));
}

function pointLabel(point) {
  const lr = getPath(point.config, 'optim.lr');
  return lr !== undefined ? `η = ${formatNumber(lr)}` : point.id;
}

export class EosLab {
  // options: {root, embed, controls (paths to show, null = all), autorun, onRows, onState, hashOptions}
  constructor(options) {
    this.root = options.root || document;
    this.embed = !!options.embed;
    this.controls = options.controls || null;
    this.hashOptions = options.hashOptions || {};
    this.onRowsHooks = [];
    this.onStateHooks = [];
    this.runs = [];       // {id, label, run: Run, kept}
    this.config = null;   // the user config
    this.schema = null;
    this.serial = 0;
    this.dashboard = new EosDashboard(this.root, { height: this.embed ? 200 : 230 });
    this.firstRowAt = null;
    this.firstChartAt = null;
  }

  async init({ autorun = true } = {}) {
    prewarm();  // the WASM module compiles while the page fetches its schema and preset
    this.bindButtons();
    const schemaPromise = fetchJson(new URL('../schema.json', import.meta.url)).catch(() => null);
    const presetsPromise = fetchJson(new URL('index.json', PRESETS_URL)).catch(() => []);
    let fromHash = null;
    try {
      fromHash = parseHash(location.hash);
    } catch (e) {
      showError(e.message + ' — showing the default preset instead.', { title: 'Bad link' });
    }
    // The config is known before the schema arrives: the worker starts fetching its data now,
    // in parallel with its WASM compile (page load → first chart, docs/benchmarks.md).
    const defaultPreset = fromHash && fromHash.config ? null : loadPreset(DEFAULT_PRESET);
    if (defaultPreset) defaultPreset.then((c) => prewarm(c), () => {});
    else prewarm(fromHash.config);
    this.schema = await schemaPromise;
    this.presets = (await presetsPromise).filter((p) => p.page === 'eos');
    this.fillPresetSelect();
    let config = fromHash && fromHash.config;
    let hashOk = !!config;
    if (config) {
      // A readable error for a config the WASM validator rejects; the default preset runs instead.
      try {
        await expandConfig(config);
      } catch (e) {
        showError(`${e.message} — showing the default preset instead.`, { title: 'The config in the URL is invalid' });
        config = null;
        hashOk = false;
      }
    }
    if (!config) {
      config = await (defaultPreset || loadPreset(DEFAULT_PRESET));
      const select = $('#preset', this.root);
      if (select) select.value = DEFAULT_PRESET;
    }
    if (fromHash && fromHash.options) Object.assign(this.hashOptions, fromHash.options);
    this.setConfig(config, { writeHash: !hashOk });
    if (autorun && this.hashOptions.autorun !== '0') await this.start({ keepError: true });
    else this.updateStatus();
  }

  fillPresetSelect() {
    const select = $('#preset', this.root);
    if (!select) return;
    select.textContent = '';
    select.append(new Option('— choose a preset —', ''));
    for (const p of this.presets) {
      const option = new Option(p.title, p.file);
      option.title = p.about || '';
      select.append(option);
    }
    select.addEventListener('change', async () => {
      if (!select.value) return;
      try {
        this.setConfig(await loadPreset(select.value));
        await this.start();
      } catch (e) {
        showError(e.message);
      }
    });
  }

  // Replaces the config: form, JSON box, hash and embed snippet follow.
  setConfig(config, { writeHash = true } = {}) {
    this.config = config;
    const fields = $('#fields', this.root);
    if (fields) {
      this.form = buildFields(fields, {
        schema: this.schema,
        visible: this.controls,
        getConfig: () => this.config,
        onChange: () => this.configEdited(),
        onError: (e) => showError(e.message, { title: 'Invalid value' }),
      });
    }
    this.configChanged({ writeHash });
  }

  configChanged({ writeHash = true } = {}) {
    if (this.form) this.form.refresh();
    const box = $('#config-json', this.root);
    if (box) box.value = JSON.stringify(this.config, null, 2);
    if (writeHash) {
      const hash = buildHash(this.config, this.embed ? this.hashOptions : {});
      if (location.hash !== hash) history.replaceState(null, '', hash);
    }
    const snippet = $('#embed-snippet', this.root);
    if (snippet) {
      const url = new URL('embed.html', location.href);
      url.hash = buildHash(this.config, { controls: 'optim.lr,seed' }).slice(1);
      snippet.value = `<iframe src="${url.href}" width="900" height="640" style="border:0" title="gradlab: edge of stability"></iframe>`;
    }
  }

  // A knob moved: restart what is running so the charts answer the knob (with "keep
  // previous runs", the old runs stay on the charts to compare).
  configEdited() {
    clearError();
    this.configChanged();
    if (this.runs.some((r) => !r.kept && ['running', 'paused', 'ready', 'stepping', 'done'].includes(r.run.status))) {
      clearTimeout(this.restartTimer);
      this.restartTimer = setTimeout(() => this.start(), 300);
    }
  }

  applyJson() {
    const box = $('#config-json', this.root);
    let config;
    try {
      config = JSON.parse(box.value);
      if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new Error('the config must be a JSON object');
    } catch (e) {
      showError(e.message, { title: 'Invalid JSON' });
      return;
    }
    clearError();
    this.setConfig(config);
    this.start();
  }

  bindButtons() {
    const on = (id, fn) => { const b = $(id, this.root); if (b) b.addEventListener('click', fn); };
    on('#btn-run', () => this.start());
    on('#btn-pause', () => this.togglePause());
    on('#btn-step', () => this.step(1));
    on('#btn-reset', () => this.reset());
    on('#btn-stop', () => this.stop());
    on('#btn-apply-json', () => this.applyJson());
    on('#btn-copy-link', () => navigator.clipboard && navigator.clipboard.writeText(location.href).catch(() => {}));
    on('#btn-export-config', () => this.exportConfig());
    on('#btn-export-csv', () => download('metrics.csv', this.csv(), 'text/csv'));
    on('#btn-export-json', () => download('metrics.json', JSON.stringify(this.exportObject(), null, 1), 'application/json'));
    on('#btn-export-jsonl', () => this.exportJsonl());
    on('#btn-export-params', () => this.exportParams());
  }

  active() { return this.runs.filter((r) => !r.kept); }

  // Starts the config's runs (one per sweep point). Reuses the workers of the previous runs
  // (no second WASM load) unless they are kept for comparison.
  // keepError: leave an error banner up (the page's first start, after a bad link).
  async start({ keepError = false } = {}) {
    clearTimeout(this.restartTimer);
    if (!keepError) clearError();
    const config = this.config;
    const serial = ++this.serial;
    let points;
    try {
      points = await expandConfig(config);
    } catch (e) {
      showError(e.message, { title: e.name || 'Error' });
      this.updateStatus();
      return;
    }
    if (serial !== this.serial) return;  // a newer start won
    const keep = $('#keep-runs', this.root) && $('#keep-runs', this.root).checked;
    const spare = [];
    for (const r of this.active()) {
      // A kept run stops; its rows stay on the charts and its worker (WASM memory) goes.
      if (keep) { r.kept = true; r.run.terminate(); } else spare.push(r.run);
    }
    this.runs = this.runs.filter((r) => r.kept);
    const idle = takeIdleRun();
    if (idle) spare.push(idle);
    const tag = keep && this.runs.length ? ` #${this.serial}` : '';
    // A point a kept run already completed with the same resolved config is not run again.
    const finished = new Set(this.runs.filter((r) => r.run.config && r.run.state && r.run.state.steps_done === r.run.state.total_steps)
      .map((r) => JSON.stringify(r.run.config)));
    points = points.filter((p) => !finished.has(JSON.stringify(p.config)));
    const starts = [];
    points.forEach((point) => {
      const run = spare.shift() || new Run();
      const entry = { id: point.id, label: pointLabel(point) + tag, run, kept: false, point };
      run.label = entry.label;
      run.onRows = (rows) => this.rowsArrived(entry, rows);
      run.onPreview = () => this.chartUpdated();
      run.onState = () => this.updateStatus();
      run.onError = (e) => showError(`${entry.label}: ${e.message}`, { title: e.name || 'Error' });
      this.runs.push(entry);
      starts.push(run.start(point.config).catch(() => {}));
    });
    for (const run of spare) run.terminate();
    this.refreshCharts();
    this.updateStatus();
    await Promise.all(starts);
  }

  rowsArrived(entry, rows) {
    if (this.firstRowAt === null) {
      this.firstRowAt = performance.now();
      document.dispatchEvent(new CustomEvent('gradlab:first-row', { detail: { ms: this.firstRowAt } }));
    }
    for (const hook of this.onRowsHooks) hook(entry, rows);
    this.chartUpdated();
  }

  // The charts take new data: rows, or a run's preview (web/tests/bench.mjs times the first).
  chartUpdated() {
    if (this.firstChartAt === null) {
      this.firstChartAt = performance.now();
      document.dispatchEvent(new CustomEvent('gradlab:first-chart', { detail: { ms: this.firstChartAt } }));
    }
    this.refreshCharts();
  }

  // A run without rows yet shows its preview (the losses before step 0) as a provisional
  // point; exports and hooks see only rows.
  refreshCharts() {
    this.dashboard.setRuns(this.runs.map((r) => ({
      id: r.id, label: r.label, rows: r.run.rows.length || !r.run.preview ? r.run.rows : [r.run.preview],
    })));
  }

  togglePause() {
    const runs = this.active();
    if (runs.some((r) => r.run.status === 'running' || r.run.status === 'stepping')) runs.forEach((r) => r.run.pause());
    else runs.forEach((r) => r.run.resume());
  }

  pause() { this.active().forEach((r) => r.run.pause()); }
  resume() { this.active().forEach((r) => r.run.resume()); }
  step(n) { this.active().forEach((r) => r.run.step(n)); }
  async reset() {
    await Promise.all(this.active().map((r) => r.run.reset().catch(() => {})));
    this.refreshCharts();
    this.updateStatus();
  }
  stop() { this.active().forEach((r) => r.run.stop()); }

  updateStatus() {
    const status = $('#status', this.root);
    const runs = this.runs;
    const busy = runs.some((r) => !r.kept && (r.run.status === 'running' || r.run.status === 'stepping'));
    const live = runs.some((r) => !r.kept && ['running', 'stepping', 'paused', 'ready'].includes(r.run.status));
    const setButton = (id, enabled, text) => {
      const b = $(id, this.root);
      if (!b) return;
      b.disabled = !enabled;
      if (text) b.textContent = text;
    };
    setButton('#btn-pause', live, busy ? 'Pause' : 'Resume');
    setButton('#btn-step', live);
    setButton('#btn-reset', runs.some((r) => !r.kept));
    setButton('#btn-stop', live);
    for (const hook of this.onStateHooks) hook(this);
    if (!status) return;
    status.textContent = '';
    if (!runs.length) { status.textContent = 'Press Run to start.'; return; }
    for (const r of runs) {
      const s = r.run.state || {};
      const rows = r.run.rows;
      const last = [...rows].reverse().find((x) => Number.isFinite(x.sharpness));
      const eos = eosStep(rows);
      const parts = [`${r.label}: ${r.run.status === 'stepping' ? 'running' : r.run.status}`];
      if (s.total_steps !== undefined) parts.push(`step ${s.steps_done}/${s.total_steps}`);
      if (Number.isFinite(s.compute_s)) parts.push(`${s.compute_s.toFixed(1)} s`);
      if (last) parts.push(`sharpness ${formatNumber(last.sharpness)} (2/η = ${formatNumber(last.threshold)})`);
      parts.push(eos !== null ? `edge of stability reached at step ${eos}` : 'edge of stability not reached yet');
      if (s.diverged) parts.push(`diverged: ${s.reason}`);
      const line = document.createElement('div');
      line.className = 'status-line' + (s.diverged ? ' diverged' : '');
      line.dataset.status = r.run.status;
      line.textContent = parts.join(' · ');
      status.append(line);
    }
  }

  csv() {
    return rowsToCsv(this.runs.map((r) => ({ id: r.id, rows: r.run.rows })));
  }

  exportObject() {
    return {
      config: this.config,
      runs: this.runs.map((r) => ({ id: r.id, label: r.label, config: r.run.config, summary: r.run.state && r.run.state.summary, rows: r.run.rows })),
    };
  }

  exportConfig() {
    download('config.json', JSON.stringify(this.config, null, 2) + '\n', 'application/json');
  }

  exportJsonl() {
    for (const r of this.runs) download(this.runs.length > 1 ? `metrics-${r.id.replace(/[^\w.=-]+/g, '_')}.jsonl` : 'metrics.jsonl', rowsToJsonl(r.run.rows), 'application/x-ndjson');
  }

  async exportParams() {
    const r = this.active()[0];
    if (!r) { showError('start a run first'); return; }
    try {
      const bytes = await r.run.exportParams();
      const step = r.run.state ? r.run.state.steps_done : 0;
      download(`params-step${step}.safetensors`, new Blob([bytes]));
    } catch (e) {
      showError(e.message, { title: e.name || 'Error' });
    }
  }
}
