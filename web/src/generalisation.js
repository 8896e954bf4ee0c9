// generalisation.js — a run-to-completion helper over runner.js's Run, and a small pool that
// computes sweep points a few workers at a time (each point is an independent run, as in
// `gradlab sweep`): the double-descent page's sweeps.
import { Run, takeIdleRun } from './runner.js';

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
