// generalisation.js — what the random-labels and double-descent pages share: their starting
// configs (the repo's experiments/<kind>/*.json with the `web` profile applied, copied to
// presets/experiments/ by web/build.sh, so the page and `gradlab run` read the same file), a
// run-to-completion helper over runner.js's Run, and a small pool that computes sweep points
// a few workers at a time (each point is an independent run, as in `gradlab sweep`).
import { setPath } from './config-fields.js';
import { Run, takeIdleRun } from './runner.js';

const EXPERIMENTS_URL = new URL('../presets/experiments/', import.meta.url);

export async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
  return response.json();
}

// experiments/<kind>/<file> with its profiles.<profile> overrides applied ("data.n_train":
// 500 sets config.data.n_train, as `gradlab run --profile` does; "sweep.model.widths" replaces
// the sweep block's "model.widths" list) and the profiles block dropped: the page's config is
// then exactly what runs, here and natively.
export async function loadExperiment(kind, file, profile = 'web') {
  const config = await fetchJson(new URL(`${kind}/${file}`, EXPERIMENTS_URL));
  const overrides = (config.profiles && config.profiles[profile]) || {};
  for (const [path, value] of Object.entries(overrides)) {
    const copy = JSON.parse(JSON.stringify(value));
    if (path.startsWith('sweep.')) (config.sweep = config.sweep || {})[path.slice(6)] = copy;
    else setPath(config, path, copy);
  }
  delete config.profiles;
  return config;
}

export const clone = (x) => JSON.parse(JSON.stringify(x));

// Starts config on run and resolves with its rows and final state once the Session is done;
// rejects with the run's error (a config the validator rejects, a diverged fit, ...) or when
// the run is stopped / terminated first.
export function runToEnd(run, config, options = {}) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn, value) => { if (!settled) { settled = true; fn(value); } };
    const onState = run.onState;
    run.onState = (r) => {
      if (onState) onState(r);
      if (r.status === 'done') finish(resolve, { rows: r.rows, state: r.state, config: r.config });
      else if (r.status === 'stopped') finish(reject, Object.assign(new Error('stopped'), { name: 'Stopped' }));
    };
    run.onError = (e) => finish(reject, e);
    // A terminated worker sends nothing more: whoever terminates it settles the promise.
    run.cancel = () => finish(reject, Object.assign(new Error('stopped'), { name: 'Stopped' }));
    run.start(config, options).catch((e) => finish(reject, e));
  });
}

// Computes points [{id, config, ...}] with up to `workers` runs at a time, in order, and calls
// onPoint(point, {rows, state, config}) as each finishes (onError(point, error) for one that
// fails; the others go on; onRows(point, rows, run) as rows stream). stop() ends the pool;
// its promise then resolves early.
export class PointPool {
  constructor({ workers = 2, onPoint = () => {}, onError = () => {}, onRows = () => {} } = {}) {
    this.size = Math.max(1, workers);
    this.onPoint = onPoint;
    this.onError = onError;
    this.onRows = onRows;
    this.runs = [];
    this.stopped = false;
  }

  async run(points) {
    const queue = points.slice();
    const worker = async (run) => {
      while (queue.length && !this.stopped) {
        const point = queue.shift();
        run.onRows = (rows, r) => this.onRows(point, rows, r);
        try {
          const result = await runToEnd(run, point.config);
          if (!this.stopped) this.onPoint(point, result);
        } catch (e) {
          if (!this.stopped) this.onError(point, e);
        }
      }
    };
    const n = Math.min(this.size, points.length);
    for (let i = 0; i < n; i++) this.runs.push(takeIdleRun() || new Run({ label: `pool ${i}` }));
    await Promise.all(this.runs.map(worker));
    this.terminate();
  }

  stop() {
    this.stopped = true;
    this.terminate();
  }

  terminate() {
    for (const run of this.runs) {
      run.terminate();
      if (run.cancel) run.cancel();
    }
    this.runs = [];
  }
}
