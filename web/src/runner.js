// runner.js — the page side of a run: one Web Worker (worker.js) per run, so the page never
// blocks and several runs (e.g. three learning rates) can stream side by side.
//
//   const run = new Run({label, onRows, onState, onError, onPreview});
//   await run.start(config, {paused, profile});   run.pause(); run.resume(); run.step(n);
//   run.reset(); run.stop();   run.rows — every row received, in order
//   run.preview — the losses before the first step (a provisional row, not in run.rows),
//   which the worker sends before that step's own row; onPreview(row, run) when it arrives
//
// expandConfig(config) asks a worker for the config's sweep points (the same expansion as
// `gradlab sweep`, and the WASM validator's verdict on every point), which the pages overlay
// as one run each; sweepSummary(config, rows) for a sweep's figures.

const WORKER_URL = new URL('./worker.js', import.meta.url);

export class Run {
  constructor({ label = '', onRows = () => {}, onState = () => {}, onError = () => {}, onPreview = () => {} } = {}) {
    this.label = label;
    this.onRows = onRows;
    this.onPreview = onPreview;
    this.preview = null;
    this.onState = onState;
    this.onError = onError;
    this.rows = [];
    this.state = null;
    this.status = 'loading';  // loading | ready | running | paused | done | stopped | error
    this.config = null;       // the resolved config, once started
    this.timing = { created: performance.now() };  // page-clock milestones, for bench.mjs
    this.worker = new Worker(WORKER_URL);
    this.waiters = new Map();
    this.nextId = 1;
    this.ready = new Promise((resolve, reject) => { this.resolveReady = resolve; this.rejectReady = reject; });
    this.ready.catch(() => {});  // a load failure is reported through onError too
    this.worker.onmessage = (event) => this.receive(event.data);
    this.worker.onerror = (event) => {
      this.status = 'error';
      const error = Object.assign(new Error(event.message || 'the worker failed to load'), { phase: 'worker' });
      this.rejectReady(error);
      this.onError(error, this);
    };
  }

  receive(m) {
    // Between a start (or reset) and its 'started', what arrives is the previous session's, sent
    // before the worker took the new start: dropped, so no stale row reaches the new run.
    if (this.status === 'loading' && ['rows', 'preview', 'running', 'paused', 'done', 'stopped'].includes(m.type)) return;
    switch (m.type) {
      case 'ready':
        this.timing.ready = performance.now();
        this.buildId = m.buildId;
        this.loadMs = m.loadMs;
        this.threads = m.threads;
        this.resolveReady();
        return;
      case 'started':
        this.timing.started = performance.now();
        this.config = m.config;
        this.rows = [];
        this.preview = null;
        this.setStatus('ready', m.state);
        if (this.startWaiter) { this.startWaiter.resolve(m.config); this.startWaiter = null; }
        return;
      case 'rows':
        if (m.rows.length && this.timing.firstRows === undefined) this.timing.firstRows = performance.now();
        for (const r of m.rows) this.rows.push(r);
        this.state = m.state;
        if (m.rows.length) this.onRows(m.rows, this);
        if (this.status !== 'running' && this.status !== 'stepping') this.status = 'running';
        this.onState(this);
        return;
      case 'preview':
        if (this.timing.preview === undefined) this.timing.preview = performance.now();
        this.preview = m.row;
        this.onPreview(m.row, this);
        return;
      case 'running': this.setStatus('running', m.state); return;
      case 'paused': this.setStatus('paused', m.state); return;
      case 'done': this.setStatus('done', m.state); return;
      case 'stopped': this.setStatus('stopped', null); return;
      case 'expanded':
      case 'summarized':
      case 'fitted':
      case 'params': {
        const w = this.waiters.get(m.id);
        const value = { params: m.bytes, summarized: m.summary, fitted: m.fit, expanded: m.points }[m.type];
        if (w) { this.waiters.delete(m.id); w.resolve(value); }
        return;
      }
      case 'error': {
        const w = m.id !== undefined ? this.waiters.get(m.id) : null;
        const error = Object.assign(new Error(m.message), { name: m.name, phase: m.phase });
        if (m.phase === 'load') this.rejectReady(error);
        if (w) { this.waiters.delete(m.id); w.reject(error); return; }
        if (this.startWaiter) { this.startWaiter.reject(error); this.startWaiter = null; }
        this.status = 'error';
        this.onError(error, this);
        this.onState(this);
        return;
      }
      default:
    }
  }

  setStatus(status, state) {
    this.status = status;
    if (state) this.state = state;
    this.onState(this);
  }

  request(type, extra) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
      this.worker.postMessage(Object.assign({ type, id }, extra));
    });
  }

  // Resolves with the resolved config once the Session exists (rejects on a config error).
  start(config, { paused = false, profile = '', sliceMs = 20, stepsPerSecond = 0 } = {}) {
    this.rows = [];
    this.status = 'loading';
    this.timing.start = performance.now();
    this.timing.started = this.timing.preview = this.timing.firstRows = undefined;
    return new Promise((resolve, reject) => {
      this.startWaiter = { resolve, reject };
      this.worker.postMessage({ type: 'start', config, paused, profile, sliceMs, stepsPerSecond });
    });
  }

  // Starts downloading the config's data in the worker now (see worker.js 'prefetch').
  prefetch(config) { this.worker.postMessage({ type: 'prefetch', config }); }
  pause() { this.worker.postMessage({ type: 'pause' }); }
  resume() { this.worker.postMessage({ type: 'resume' }); }
  step(n = 1) { this.status = 'stepping'; this.worker.postMessage({ type: 'step', n }); }
  pace(stepsPerSecond) { this.worker.postMessage({ type: 'pace', stepsPerSecond }); }
  reset() {
    this.rows = [];
    this.status = 'loading';
    return new Promise((resolve, reject) => {
      this.startWaiter = { resolve, reject };
      this.worker.postMessage({ type: 'reset' });
    });
  }
  stop() { this.worker.postMessage({ type: 'stop' }); }
  exportParams() { return this.request('exportParams', {}); }
  expand(config, profile = '') { return this.request('expand', { config, profile }); }
  sweepSummary(config, rows) { return this.request('sweepSummary', { config, rows }); }
  // `gradlab fit` (src/fit/, the WASM build) on a sweep.jsonl or CSV text; options as
  // Module.fit's ({form, x, y, where, bootstrap, ...}); resolves with the fit's JSON.
  fit(text, name, options) { return this.request('fit', { text, name, options }); }
  terminate() {
    this.worker.terminate();
    this.status = 'stopped';
  }
}

// Sweep points of a config: [{id, overrides, config}], asked of an idle worker, which the
// page then takes for its first run (takeIdleRun), so starting costs one WASM load, not two.
let idle = null;
export async function expandConfig(config, profile = '') {
  if (!idle) idle = new Run({ label: 'idle' });
  const run = idle;
  await run.ready;
  return run.expand(config, profile);
}

// The kind's sweep-level figures over sweep rows (WASM sweepSummary, what `gradlab sweep` writes
// to sweep_summary.json), or null when the kind has none.
export async function sweepSummary(config, rows) {
  if (!idle) idle = new Run({ label: 'idle' });
  const run = idle;
  await run.ready;
  return run.sweepSummary(config, rows);
}

// Starts loading a worker (and its WASM) now, before the page knows what it will run; with a
// config, the worker also starts downloading its data.
export function prewarm(config) {
  if (!idle) idle = new Run({ label: 'idle' });
  if (config) idle.prefetch(config);
}

// A spare run back as the idle one (its session stopped), so the next validation or start does
// not load the WASM module again; with an idle run already there it is terminated.
export function giveIdleRun(run) {
  if (idle || run.status === 'loading' || run.status === 'error') { run.terminate(); return; }
  run.stop();
  run.onRows = run.onState = run.onPreview = run.onError = () => {};
  run.label = 'idle';
  idle = run;
}

export function takeIdleRun() {
  const run = idle;
  idle = null;
  return run;
}
