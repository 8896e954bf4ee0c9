// lab-page.js — the page skeleton every experiment page is built on: config ⇄ form ⇄ URL hash,
// presets, validation, runs in workers, status, exports and charts, all driven by the kind's
// page descriptor. Pages add only their special views (the SVM canvas, the quadratic's
// trajectory, the double-descent curves) through the hooks below.
//
// Where things come from:
//   schema.json (web/build.sh writes it from the WASM module's schema()): `keys` (each config
//   key's type, choices, help text, default and `when` condition: config-fields.js) and
//   `kinds` [{name, description, blocks, devices, page}] — `page` is the kind's descriptor,
//   the JSON literal kPage in src/experiments/kinds/<kind>.cpp, exported verbatim:
//     file, title, blurb        the page, its heading, one line for the home card
//     presets                   a folder of experiment configs ("experiments/svm"); web/build.sh
//                               copies it to presets/experiments/<folder>/ with an index.json;
//                               a config's `web` profile gives its browser sizes
//     preset_list               [{file, title, about}] to offer (first = the default);
//                               absent: every file of the folder
//     fields                    [{path, label, control, ...}] (config-fields.js); mlp_fields:
//                               double descent's second config (its MLP width sweep)
//     charts                    [{id, title, x, y, log_y, threshold, marker, ...}] (lab-charts.js)
//     point_labels              {path: "p = {}" or {value: name}}: a run's name from its sweep
//                               override, else from the first such key its config sets to
//                               other than the default; run_label: the name otherwise
//     status                    [{text, else}]: per-run status items, "{last.sharpness}" (the
//                               last row with that key), "{summary.eos_step}", "{last.test_acc%}";
//                               an item with a missing value shows `else` (or nothing)
//   A value is checked only by the WASM validator (sweepPoints: every sweep point resolved):
//   an edit it rejects shows its message and the form goes back to the last valid config.
//   Edits apply in order (each on the config the previous one left); a run in flight
//   restarts on the latest, once (a short delay coalesces a slider's drag).
//
// Options: {kind, root, embed, controls (paths to show, null = all), charts (ids to show, null
// = all), chartTools (false: no log / PNG / SVG buttons), hashOptions, overlay
// (default true: one streamed run per sweep point, drawn on the charts; false: the page runs
// its own, onConfig tells it), extraLines(chartId, runs), statusParts(entry) → [text],
// accept(config) (throws for a config of the kind the page cannot show), derive(config, path)
// (after an edit of path: keys the page computes from others, e.g. a grid relative to n),
// onConfig(config, lab), onRows(entry, rows), pace (steps per second, 0 = as fast as possible),
// fields(descriptorFields, schema) → the fields to build (the embed's controls), fallback (default
// true: a rejected config in the URL gives way to the default preset; false: it stays, unrun,
// in configError), badConfigTitle}. Framed with &embed=1 (embed-frame.js), the first run waits
// until the frame is scrolled into view (&lazy=0: at once).
import { buildFields, clone, dropInapplicable, evalTemplate, getPath, schemaKeys } from './config-fields.js';
import { buildHash, parseHash } from './config-url.js';
import { $, clearError, download, formatNumber, rowsToCsv, rowsToJsonl, showError } from './common.js';
import { LabCharts, chartCards } from './lab-charts.js';
import { Run, expandConfig, giveIdleRun, prewarm, sweepSummary, takeIdleRun } from './runner.js';
import { SITE, fetchJson, loadPreset, loadSchema, pageOf } from './lab-data.js';
import { framedPage, whenVisible } from './embed-frame.js';

export { fetchJson, loadPreset, loadSchema, pageOf };

export class LabPage {
  constructor(options) {
    this.options = options;
    this.kind = options.kind;
    this.root = options.root || document;
    this.embed = !!options.embed;
    this.controls = options.controls || null;
    this.hashOptions = options.hashOptions || {};
    this.overlay = options.overlay !== false;
    this.onRowsHooks = options.onRows ? [options.onRows] : [];
    this.onStateHooks = [];
    this.onStartHooks = [];  // after a start made its runs, before any of their rows
    this.runs = [];       // {id, label, run: Run, kept, point}
    this.config = null;   // the user config: what `gradlab run` / `gradlab sweep` reads
    this.schema = null;
    this.page = null;     // the kind's page descriptor
    this.serial = 0;      // starts (the latest wins)
    this.generation = 0;  // bumps when the whole config is replaced
    this.editQueue = Promise.resolve();
    this.firstRowAt = null;
    this.firstChartAt = null;
  }

  $(selector) { return $(selector, this.root); }

  async init({ autorun = true } = {}) {
    prewarm();  // the WASM module compiles while the page fetches its schema and preset
    this.bindButtons();
    let fromHash = null;
    try {
      fromHash = parseHash(location.hash);
    } catch (e) {
      showError(e.message + ' — showing the default preset instead.', { title: 'Bad link' });
    }
    this.schema = await loadSchema();
    this.page = pageOf(this.schema, this.kind);
    this.presets = await this.presetList();
    // The config is known before the worker is ready: it starts fetching its data now, in
    // parallel with its WASM compile (page load → first chart, docs/benchmarks.md).
    const defaultPreset = fromHash && fromHash.config ? null : this.loadPreset(this.presets[0].file);
    if (defaultPreset) defaultPreset.then((c) => prewarm(c), () => {});
    else prewarm(fromHash.config);
    this.fillPresetSelect();
    const fields = this.$('#fields');
    if (fields) this.form = buildFields(fields, { fields: this.options.fields ? this.options.fields(this.page.fields || [], this.schema) : this.page.fields || [], schema: this.schema, visible: this.controls, edit: (path, mutate) => this.edit(path, mutate) });
    const charts = this.$('#charts');
    if (charts && this.page.charts) {
      chartCards(charts, this.page.charts.filter((c) => !this.options.charts || this.options.charts.includes(c.id)), { tools: this.options.chartTools !== false });
      this.dashboard = new LabCharts(this.root, this.page.charts, { height: this.options.chartHeight || (this.embed ? 200 : 230), extraLines: this.options.extraLines });
    }
    let config = fromHash && fromHash.config;
    let hashOk = !!config;
    if (config) {
      try {
        await this.validate(config);
      } catch (e) {
        // An embed keeps the config it was given (never a default in its place) and does not run it.
        const fallback = this.options.fallback !== false;
        showError(fallback ? `${e.message} — showing the default preset instead.` : e.message, { title: this.options.badConfigTitle || 'The config in the URL is invalid' });
        if (fallback) config = null;
        else this.configError = e.message;
        hashOk = false;
      }
    }
    if (!config) {
      config = await (defaultPreset || this.loadPreset(this.presets[0].file));
      const select = this.$('#preset');
      if (select) select.value = this.presets[0].file;
    }
    if (fromHash && fromHash.options) Object.assign(this.hashOptions, fromHash.options);
    if (!this.embed) window.addEventListener('hashchange', () => this.hashChanged());
    this.setConfig(config, { writeHash: !hashOk && !this.configError });
    this.updateStatus();
    if (!this.overlay || !autorun || this.hashOptions.autorun === '0' || this.configError) return;
    // Framed in a course page: the first run waits until the frame is scrolled into view.
    if (framedPage() && this.hashOptions.lazy !== '0') whenVisible().then(() => { if (!this.serial) this.start({ keepError: true }); });
    else await this.start({ keepError: true });
  }

  async presetList() {
    if (Array.isArray(this.page.preset_list) && this.page.preset_list.length) return this.page.preset_list;
    const files = await fetchJson(new URL(`presets/${this.page.presets}/index.json`, SITE));
    return files.map((file) => ({ file, title: file.replace(/\.json$/, '').replace(/_/g, ' ') }));
  }

  loadPreset(file) { return loadPreset(this.page.presets, file); }

  fillPresetSelect() {
    const select = this.$('#preset');
    if (!select) return;
    select.textContent = '';
    select.append(new Option('— choose a preset —', ''));
    for (const p of this.presets) {
      const option = new Option(p.title || p.file, p.file);
      option.title = p.about || '';
      select.append(option);
    }
    select.addEventListener('change', async () => {
      if (!select.value) return;
      try {
        this.setConfig(await this.loadPreset(select.value));
        if (this.overlay) await this.start();
      } catch (e) {
        showError(e.message);
      }
    });
  }

  // The WASM validator's verdict: resolves with the sweep points, rejects with its message.
  // A config of another kind is refused first (the page draws only its own kind's rows).
  async validate(config) {
    if (config.kind !== this.kind) throw new Error(`this page runs kind "${this.kind}", got "${config.kind}"`);
    if (this.options.accept) this.options.accept(config);
    return expandConfig(config);
  }

  // A field moved: mutate(copy of the config); the WASM validator decides. Edits apply in
  // order, each on the config the previous ones left; a new config (preset, link, JSON) drops
  // the edits still queued. Resolves true when the edit was taken.
  // restart: false leaves a run in flight alone (the embed's `set` with restart: false).
  edit(path, mutate, { restart = true } = {}) {
    const generation = this.generation;
    const done = this.editQueue.then(() => (generation === this.generation ? this.applyEdit(path, mutate, restart) : false));
    this.editQueue = done.catch(() => false);
    return done;
  }

  async applyEdit(path, mutate, restart = true) {
    const candidate = clone(this.config);
    const oldBase = getPath(candidate, path);
    try {
      mutate(candidate);
    } catch (e) {
      showError(e.message, { title: 'Invalid value' });
      this.configChanged({ writeHash: false });
      return false;
    }
    // A sweep over the edited key keeps the new base value among its values.
    const list = candidate.sweep && candidate.sweep[path];
    const base = getPath(candidate, path);
    if (Array.isArray(list) && base !== oldBase && list.includes(oldBase)) {
      candidate.sweep[path] = [...new Set(list.map((v) => (v === oldBase ? base : v)))].sort((a, b) => a - b);
    }
    dropInapplicable(this.schema, candidate, path);
    if (this.options.derive) this.options.derive(candidate, path);
    const generation = this.generation;
    try {
      await this.validate(candidate);
    } catch (e) {
      if (generation !== this.generation) return false;
      this.editError = e;
      showError(e.message, { title: 'Invalid value' });
      this.configChanged({ writeHash: false });  // the form shows the last valid config again
      return false;
    }
    if (generation !== this.generation) return false;  // a new config came meanwhile
    clearError();
    this.config = candidate;
    this.configChanged();
    if (restart) this.restartIfLive();
    return true;
  }

  // Replaces the whole config (a preset, the JSON box, a link): form, JSON box and hash follow.
  setConfig(config, { writeHash = true } = {}) {
    this.generation++;
    this.config = config;
    this.configChanged({ writeHash });
  }

  configChanged({ writeHash = true } = {}) {
    if (this.form) this.form.refresh(this.config);
    const box = this.$('#config-json');
    if (box) box.value = JSON.stringify(this.config, null, 2);
    if (writeHash) this.writeHash();
    const snippet = this.$('#embed-snippet');
    if (snippet) {
      const url = new URL('embed.html', location.href);
      url.hash = buildHash(this.config, { controls: 'optim.lr,seed' }).slice(1);
      snippet.value = `<iframe src="${url.href}" width="900" height="640" style="border:0" title="gradlab: ${this.page.title}"></iframe>`;
    }
    if (this.options.onConfig) this.options.onConfig(this.config, this);
  }

  writeHash() {
    const hash = buildHash(this.config, this.hashOptions);
    if (location.hash !== hash) history.replaceState(null, '', hash);
  }

  // A run restarts on the new config whatever its state ('loading' too, so an edit made while
  // the previous restart is still starting is not lost; 'done', 'stopped', 'error' too): the
  // latest config is what runs, and the URL, the form and the charts never disagree (with "keep
  // previous runs", the old runs stay on the charts to compare); a short delay coalesces a
  // slider's drag.
  restartIfLive() {
    if (!this.overlay) return;
    if (this.runs.some((r) => !r.kept)) {
      clearTimeout(this.restartTimer);
      this.restartTimer = setTimeout(() => this.start(), 300);
    }
  }

  // A pasted link: load its config (a bad one shows an error and keeps the current run).
  async hashChanged() {
    try {
      const { config, options } = parseHash(location.hash);
      Object.assign(this.hashOptions, options);
      if (!config || JSON.stringify(config) === JSON.stringify(this.config)) return;
      await this.validate(config);
      this.setConfig(config, { writeHash: false });
      if (this.overlay) await this.start();
    } catch (e) {
      showError(e.message, { title: 'The config in the URL is invalid' });
    }
  }

  async applyJson() {
    let config;
    try {
      config = JSON.parse(this.$('#config-json').value);
      if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new Error('the config must be a JSON object');
      await this.validate(config);
    } catch (e) {
      showError(e.message, { title: e.name === 'SyntaxError' ? 'Invalid JSON' : 'Invalid config' });
      return;
    }
    clearError();
    this.setConfig(config);
    if (this.overlay) this.start();
  }

  bindButtons() {
    const on = (id, fn) => { const b = this.$(id); if (b) b.addEventListener('click', fn); };
    on('#btn-apply-json', () => this.applyJson());
    on('#btn-copy-link', () => navigator.clipboard && navigator.clipboard.writeText(location.href).catch(() => {}));
    on('#btn-export-config', () => download('config.json', JSON.stringify(this.config, null, 2) + '\n', 'application/json'));
    if (!this.overlay) return;  // the page runs (and exports) its own
    on('#btn-run', () => this.start());
    on('#btn-pause', () => this.togglePause());
    on('#btn-step', () => this.step(1));
    on('#btn-reset', () => this.reset());
    on('#btn-stop', () => this.stop());
    on('#btn-export-csv', () => download('metrics.csv', rowsToCsv(this.runs.map((r) => ({ id: r.id, rows: r.run.rows }))), 'text/csv'));
    on('#btn-export-json', () => download('metrics.json', JSON.stringify(this.exportObject(), null, 1), 'application/json'));
    on('#btn-export-jsonl', () => {
      for (const r of this.runs) download(this.runs.length > 1 ? `metrics-${r.id.replace(/[^\w.=-]+/g, '_')}.jsonl` : 'metrics.jsonl', rowsToJsonl(r.run.rows), 'application/x-ndjson');
    });
    on('#btn-export-params', () => this.exportParams());
  }

  active() { return this.runs.filter((r) => !r.kept); }

  // A run's name: its sweep override named by point_labels, else the first point_labels key
  // the config sets to other than its default, else run_label on its config.
  pointLabel(point) {
    const labels = this.page.point_labels || {};
    const name = (l, v) => (typeof l === 'string' ? l.replace('{}', typeof v === 'number' ? formatNumber(v) : v) : l[v]);
    const overrides = point.overrides || {};
    for (const [path, l] of Object.entries(labels)) if (path in overrides && name(l, overrides[path])) return name(l, overrides[path]);
    if (Object.keys(overrides).length) return point.id;
    for (const [path, l] of Object.entries(labels)) {
      const v = getPath(point.config, path);
      const entry = schemaKeys(this.schema, path).find((k) => k.default !== undefined);
      if (v !== undefined && (!entry || JSON.stringify(v) !== JSON.stringify(entry.default)) && name(l, v)) return name(l, v);
    }
    return this.page.run_label ? evalTemplate(this.page.run_label, point.config, formatNumber) : point.id;
  }

  // Starts the config's runs (one per sweep point). Reuses the workers of the previous runs
  // (no second WASM load) unless they are kept for comparison.
  // keepError: leave an error banner up (the page's first start, after a bad link).
  async start({ keepError = false } = {}) {
    clearTimeout(this.restartTimer);
    if (!keepError) clearError();
    const serial = ++this.serial;
    const config = this.config;
    let points;
    try {
      points = await this.validate(config);
    } catch (e) {
      if (serial === this.serial) showError(e.message, { title: e.name || 'Error' });
      this.updateStatus();
      return;
    }
    if (serial !== this.serial) return;  // a newer start won
    if (config !== this.config) return this.start({ keepError });  // an edit came meanwhile: run the latest
    const keepBox = this.$('#keep-runs');
    const keep = keepBox && keepBox.checked;
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
    const starts = points.map((point) => {
      const run = spare.shift() || new Run();
      const entry = { id: point.id, label: this.pointLabel(point) + tag, run, kept: false, point };
      run.label = entry.label;
      run.onRows = (rows) => this.rowsArrived(entry, rows);
      run.onPreview = () => this.chartUpdated();
      run.onState = () => { this.updateStatus(); this.refreshCharts(); };
      run.onError = (e) => showError(`${entry.label}: ${e.message}`, { title: e.name || 'Error' });
      this.runs.push(entry);
      const pace = typeof this.options.pace === 'function' ? this.options.pace() : this.options.pace || 0;
      return run.start(point.config, { stepsPerSecond: pace }).catch(() => {});
    });
    for (const run of spare) giveIdleRun(run);  // one stays as the idle worker (validations)
    for (const hook of this.onStartHooks) hook(this);
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
    if (!this.dashboard) return;
    this.dashboard.setRuns(this.runs.map((r) => ({
      id: r.id, label: r.label, rows: r.run.rows.length || !r.run.preview ? r.run.rows : [r.run.preview],
      config: r.run.config || r.point.config, summary: r.run.state && r.run.state.summary,
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
    this.serial++;  // the rows start again at step 0: a new start for the row stream
    for (const hook of this.onStartHooks) hook(this);
    this.refreshCharts();
    this.updateStatus();
  }
  stop() { this.active().forEach((r) => r.run.stop()); }

  // The descriptor's status items for one run: "{last.key}", "{last.key%}", "{summary.key}".
  statusItems(entry) {
    const rows = entry.run.rows;
    const summary = (entry.run.state && entry.run.state.summary) || {};
    const out = [];
    for (const item of this.page.status || []) {
      let missing = false;
      const text = item.text.replace(/\{(last|summary)\.(\w+)(%?)\}/g, (_, where, key, pct) => {
        let v = where === 'summary' ? summary[key] : undefined;
        if (where === 'last') { const r = [...rows].reverse().find((x) => Number.isFinite(x[key])); v = r && r[key]; }
        if (!Number.isFinite(v)) { missing = true; return ''; }
        return pct ? `${(100 * v).toFixed(1)}%` : formatNumber(v);
      });
      if (!missing) out.push(text);
      else if (item.else) out.push(item.else);
    }
    return out;
  }

  updateStatus() {
    const runs = this.runs;
    const busy = runs.some((r) => !r.kept && (r.run.status === 'running' || r.run.status === 'stepping'));
    const live = runs.some((r) => !r.kept && ['running', 'stepping', 'paused', 'ready'].includes(r.run.status));
    const setButton = (id, enabled, text) => {
      const b = this.$(id);
      if (!b) return;
      b.disabled = !enabled;
      if (text) b.textContent = text;
    };
    setButton('#btn-pause', live, busy ? 'Pause' : 'Resume');
    setButton('#btn-step', live);
    setButton('#btn-reset', runs.some((r) => !r.kept));
    setButton('#btn-stop', live);
    for (const hook of this.onStateHooks) hook(this);
    const status = this.$('#status');
    if (!status || !this.overlay) return;
    status.textContent = '';
    if (!runs.length) { status.textContent = 'Press Run to start.'; return; }
    for (const r of runs) {
      const s = r.run.state || {};
      const parts = [`${r.label}: ${r.run.status === 'stepping' ? 'running' : r.run.status}`];
      if (this.options.statusParts) parts.push(...this.options.statusParts(r));
      else if (s.total_steps !== undefined) parts.push(`step ${s.steps_done}/${s.total_steps}`);
      if (Number.isFinite(s.compute_s)) parts.push(`${s.compute_s.toFixed(1)} s`);
      parts.push(...this.statusItems(r));
      if (s.diverged) parts.push(`diverged: ${s.reason}`);
      const line = document.createElement('div');
      line.className = 'status-line' + (s.diverged ? ' diverged' : '');
      line.dataset.status = r.run.status;
      line.textContent = parts.join(' · ');
      status.append(line);
    }
  }

  // The kind's sweep figures over rows (WASM sweepSummary; null when the kind has none).
  sweepSummary(rows, config = this.config) { return sweepSummary(config, rows); }

  exportObject() {
    return {
      config: this.config,
      runs: this.runs.map((r) => ({ id: r.id, label: r.label, config: r.run.config, summary: r.run.state && r.run.state.summary, rows: r.run.rows })),
    };
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
