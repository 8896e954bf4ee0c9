// worker.js — runs one gradlab Session (src/wasm/session.cpp) off the main thread.
//
// A classic worker: importScripts loads the Emscripten module next to this file, so it
// works from any static host under `Content-Security-Policy: script-src 'self'
// 'wasm-unsafe-eval'`. The run advances in slices of about `sliceMs` of compute; between
// slices the worker yields, so pause / step / reset / stop messages are handled within one
// slice (or one step, when a single step takes longer, e.g. a sharpness probe).
//
// Messages in (from runner.js):
//   {type: 'start', config, profile?, paused?, sliceMs?, stepsPerSecond?}
//   {type: 'pause'} {type: 'resume'} {type: 'step', n} {type: 'reset'} {type: 'stop'}
//   {type: 'pace', stepsPerSecond}     0 = as fast as possible (animations set a pace)
//   {type: 'prefetch', config}         start downloading the config's data files now (while
//                                      the WASM module compiles); no answer
//   {type: 'expand', id, config, profile?}    sweep points of a config (no run started)
//   {type: 'sweepSummary', id, config, rows}  the kind's sweep figures (null: none)
//   {type: 'fit', id, text, name, options}    `gradlab fit` on a sweep.jsonl / CSV text
//   {type: 'exportParams', id}
// Messages out:
//   {type: 'ready', buildId, loadMs, threads}   threads: CPU threads of the module (1 unless the
//                                       page is cross-origin isolated: gradlab_web_mt)
//   {type: 'started', config (resolved), state}
//   {type: 'preview', row}              the losses before the first step (Session.preview()),
//                                       sent before that step, whose row may wait on a probe
//   {type: 'rows', rows, state}         rows logged since the last message; state = Session.state()
//   {type: 'paused' | 'running' | 'done' | 'stopped', state}
//   {type: 'expanded', id, points}  {type: 'summarized', id, summary}  {type: 'params', id, bytes}
//   {type: 'fitted', id, fit}           the fit's JSON (what `gradlab fit` prints), parsed
//   {type: 'error', phase, name, message, id?}
'use strict';

// The threaded module (gradlab_web_mt.*: Emscripten pthreads on SharedArrayBuffer, its thread
// pool on Web Workers) where the page is cross-origin isolated and the site has it; else the
// default single-threaded module. Both give bit-identical numbers (gradlab/threads.h).
const MODULE_SCRIPT = (() => {
  if (self.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function') {
    try {
      importScripts('gradlab_web_mt.js');
      return 'gradlab_web_mt.js';
    } catch (e) {
      // A site built without it: the default module below.
    }
  }
  importScripts('gradlab_web.js');
  return 'gradlab_web.js';
})();

const FASHION_FILES = [
  'train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte',
];
// The subset web/build.sh prepares (first N images of each split), relative to this file.
const FASHION_URL = '../data/fashion-mnist/';
// The slice of the King James Bible web/build.sh ships (the scaling page's corpus).
const KJV_URL = '../data/kjv/kjv.txt.gz';

let gradlab = null;          // the Emscripten module, once loaded
let session = null;          // the current run
let startMessage = null;     // the last 'start' message (reset rebuilds from it)
let running = false;         // stepping continuously
let stepsLeft = 0;           // steps asked for by 'step' (then pause)
let sliceMs = 20;
let stepsPerSecond = 0;
let generation = 0;          // bumps on start/reset/stop, so a stale loop iteration stops
const staged = new Set();    // data files already written into the WASM file system

const moduleReady = (async () => {
  const t0 = performance.now();
  // The pthread workers load the module's script by URL (a worker has no currentScript).
  gradlab = await createGradlab({ mainScriptUrlOrBlob: new URL(MODULE_SCRIPT, self.location.href).href });
  // Every core the browser reports, up to the module's pool (+1); 1 in the default module.
  const threads = gradlab.setThreads(Math.max(1, Math.min(gradlab.maxThreads(), self.navigator.hardwareConcurrency || 1)));
  self.postMessage({ type: 'ready', buildId: gradlab.buildId(), loadMs: performance.now() - t0, threads });
})().catch((e) => {
  self.postMessage({ type: 'error', phase: 'load', name: e.name || 'Error', message: 'cannot load the WASM module: ' + (e.message || e) });
});

function post(type, extra) {
  self.postMessage(Object.assign({ type }, extra || {}));
}

function stateOf() {
  return session ? JSON.parse(session.state()) : null;
}

function reportError(phase, e, id) {
  post('error', { phase, name: e && e.name ? e.name : 'Error', message: e && e.message ? e.message : String(e), id });
}

// Fetches one gzipped IDX file of the subset and inflates it with the browser's own gzip
// (DecompressionStream), so the download stays small and no JS inflater is shipped.
async function fetchGzip(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
  if (typeof DecompressionStream === 'undefined') throw new Error('this browser has no DecompressionStream (gzip); use a current Chrome, Firefox or Safari');
  const stream = response.body.pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// Fashion-MNIST lives in the in-memory file system, where data.path points (by default
// the Debian package's folder), so the config stays exactly what `gradlab run` reads.
// The subset's files, fetched once per worker (started as soon as a config mentions
// fashion_mnist, so the download overlaps the WASM compile).
const fashionBytes = new Map();
function fetchFashion() {
  for (const name of FASHION_FILES) {
    if (!fashionBytes.has(name)) {
      const p = fetchGzip(new URL(FASHION_URL + name + '.gz', self.location.href).href);
      p.catch(() => fashionBytes.delete(name));  // a failed download is retried next time
      fashionBytes.set(name, p);
    }
  }
}

// A text source whose path names a kjv.txt reads the shipped slice, written there (a relative
// path from the file system's root, the module's working folder).
let kjvBytes = null;
async function stageText(data) {
  if (!/(^|\/)kjv\.txt$/.test(data.path || '')) return;
  const target = data.path.startsWith('/') ? data.path : '/' + data.path;
  if (staged.has(target)) return;
  if (!kjvBytes) {
    kjvBytes = fetchGzip(new URL(KJV_URL, self.location.href).href);
    kjvBytes.catch(() => { kjvBytes = null; });
  }
  gradlab.writeFile(target, await kjvBytes);
  staged.add(target);
}

async function stageData(resolved) {
  const data = resolved.data || {};
  if (data.source === 'text') return stageText(data);
  if (data.source !== 'fashion_mnist') return;
  fetchFashion();
  const folder = data.path;
  for (const name of FASHION_FILES) {
    const target = folder.replace(/\/$/, '') + '/' + name;
    if (staged.has(target)) continue;
    gradlab.writeFile(target, await fashionBytes.get(name));
    staged.add(target);
  }
}

// The browser ships only the first images of each split; say so when a config asks for more.
function explain(e) {
  if (e && /fashion_mnist has only/.test(e.message || '')) {
    e.message += ' (the browser lab ships a subset of Fashion-MNIST: see build/web/data/fashion-mnist/README.txt; run it natively for the full set)';
  }
  return e;
}

// Downloads start as soon as a config names the subset: from 'prefetch' (the page sends it as
// soon as it knows its config, while this worker still compiles the module) or from 'start'.
function prefetch(config) {
  if (/"fashion_mnist"/.test(typeof config === 'string' ? config : JSON.stringify(config))) fetchFashion();
}

async function start(message) {
  prefetch(message.config);
  await moduleReady;
  if (!gradlab) return;
  const gen = ++generation;
  running = false;
  stepsLeft = 0;
  if (session) { session.delete(); session = null; }
  startMessage = message;
  sliceMs = message.sliceMs || sliceMs;
  if (message.stepsPerSecond !== undefined) stepsPerSecond = message.stepsPerSecond;
  const text = typeof message.config === 'string' ? message.config : JSON.stringify(message.config);
  const profile = message.profile || '';
  try {
    const resolved = JSON.parse(gradlab.resolveConfig(text, profile));
    await stageData(resolved);
    // A newer start (or a stop) came while this one's data downloaded: that one runs. Going on
    // would replace its session with this older config under its generation.
    if (gen !== generation) return;
    session = new gradlab.Session(text, profile);
  } catch (e) {
    if (gen !== generation) return;
    reportError('start', explain(e));
    return;
  }
  post('started', { config: JSON.parse(session.config()), state: stateOf() });
  if (message.paused) {
    post('paused', { state: stateOf() });
  } else {
    // The first chart update need not wait for step 0's sharpness probe (most of a second):
    // the losses at the initial parameters go first, as a provisional point.
    try {
      const row = JSON.parse(session.preview());
      if (row) post('preview', { row });
    } catch (e) {
      reportError('preview', e);
    }
    running = true;
    schedule(generation);
  }
}

// Zero-delay yield: a MessageChannel message is a fresh task, without setTimeout's clamping.
const channel = new MessageChannel();
let pendingGeneration = -1;
channel.port1.onmessage = () => loop(pendingGeneration);
function schedule(gen, delayMs) {
  if (delayMs > 0) {
    setTimeout(() => loop(gen), delayMs);
  } else {
    pendingGeneration = gen;
    channel.port2.postMessage(0);
  }
}

function loop(gen) {
  if (gen !== generation || !session) return;
  if (!running && stepsLeft <= 0) return;
  const rows = [];
  const t0 = performance.now();
  let steps = 0;
  try {
    do {
      const n = 1;
      const produced = JSON.parse(session.step(n));
      for (const r of produced) rows.push(r);
      steps += n;
      if (stepsLeft > 0) stepsLeft -= n;
      if (stepsPerSecond > 0) break;  // paced: one step per tick
    } while (!session.done() && performance.now() - t0 < sliceMs && (running || stepsLeft > 0));
  } catch (e) {
    running = false;
    stepsLeft = 0;
    if (rows.length) post('rows', { rows, state: stateOf() });
    reportError('step', e);
    return;
  }
  const state = stateOf();
  post('rows', { rows, state, steps, sliceMs: performance.now() - t0 });
  if (session.done()) {
    running = false;
    stepsLeft = 0;
    post('done', { state });
    return;
  }
  if (!running && stepsLeft <= 0) {
    post('paused', { state });
    return;
  }
  schedule(gen, stepsPerSecond > 0 ? Math.max(0, 1000 / stepsPerSecond - (performance.now() - t0)) : 0);
}

async function handle(message) {
  switch (message.type) {
    case 'start':
      return start(message);
    case 'pause':
      // Messages are handled between slices, never during a step: the run is paused now.
      running = false;
      stepsLeft = 0;
      if (session) post('paused', { state: stateOf() });
      return;
    case 'resume':
      if (!session || session.done()) return;
      if (!running) {
        running = true;
        post('running', { state: stateOf() });
        schedule(generation);
      }
      return;
    case 'step': {
      if (!session || session.done()) return;
      const idle = !running && stepsLeft <= 0;
      running = false;
      stepsLeft = Math.max(1, message.n | 0);
      if (idle) schedule(generation);
      return;
    }
    case 'reset':
      if (startMessage) return start(Object.assign({}, startMessage, { paused: true }));
      return;
    case 'stop':
      generation++;
      running = false;
      stepsLeft = 0;
      if (session) { session.delete(); session = null; }
      post('stopped', {});
      return;
    case 'pace':
      stepsPerSecond = Math.max(0, +message.stepsPerSecond || 0);
      return;
    case 'prefetch':
      prefetch(message.config);
      return;
    case 'expand':
      await moduleReady;
      try {
        const text = typeof message.config === 'string' ? message.config : JSON.stringify(message.config);
        post('expanded', { id: message.id, points: JSON.parse(gradlab.sweepPoints(text, message.profile || '')) });
      } catch (e) {
        reportError('expand', e, message.id);
      }
      return;
    case 'sweepSummary':
      await moduleReady;
      try {
        const text = typeof message.config === 'string' ? message.config : JSON.stringify(message.config);
        post('summarized', { id: message.id, summary: JSON.parse(gradlab.sweepSummary(text, JSON.stringify(message.rows))) });
      } catch (e) {
        reportError('sweepSummary', e, message.id);
      }
      return;
    case 'fit':
      await moduleReady;
      try {
        post('fitted', { id: message.id, fit: JSON.parse(gradlab.fit(message.text, message.name, message.options)) });
      } catch (e) {
        reportError('fit', e, message.id);
      }
      return;
    case 'exportParams':
      try {
        if (!session) throw new Error('no run to export parameters from');
        const bytes = session.exportParams();
        self.postMessage({ type: 'params', id: message.id, bytes }, [bytes.buffer]);
      } catch (e) {
        reportError('exportParams', e, message.id);
      }
      return;
    default:
      reportError('message', new Error('unknown message type ' + message.type));
  }
}

self.onmessage = (event) => { handle(event.data); };
