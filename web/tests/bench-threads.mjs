// bench-threads.mjs — the threaded browser module against the default one, under node (one JSON
// line per measurement, like bench.mjs; not a test):
//   wasm_threads_step_ms   ms per full-batch GD step of a GEMM-heavy MLP (4,000 synthetic examples,
//                          widths 512-512, float32), the default module and the pthreads module at
//                          1 and at every available thread (capped by its pool); the losses must be
//                          bit-identical, and the line says so.
//   node web/tests/bench-threads.mjs build/web [--steps 20]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const js = path.resolve(process.argv[2] || 'build/web', 'js');
const stepsIndex = process.argv.indexOf('--steps');
const steps = stepsIndex > 0 ? Math.max(1, +process.argv[stepsIndex + 1] || 20) : 20;
const config = JSON.stringify({
  kind: 'edge_of_stability', seed: 0, dtype: 'float32',
  data: { source: 'synthetic', generator: 'gaussian_mixture', n_train: 4000, n_test: 10 },
  model: { type: 'mlp', widths: [512, 512], activation: 'tanh' }, loss: 'mse',
  optim: { type: 'gd', lr: 0.01 }, train: { steps: 100000, batch_size: 'full', log_every: 1 },
  probe: { sharpness_every: 0 },
});

async function time(file, threads) {
  const M = await require(path.join(js, file + '.js'))({ wasmBinary: fs.readFileSync(path.join(js, file + '.wasm')) });
  const used = threads ? M.setThreads(threads) : 1;
  const session = new M.Session(config, '');
  session.step(2);  // warm-up: V8's optimising tier, the block allocations
  const t0 = performance.now();
  const rows = JSON.parse(session.step(steps));
  const ms = (performance.now() - t0) / steps;
  session.delete();
  return { threads: used, ms, losses: rows.map((r) => r.loss) };
}

// The pthreads module keeps its Web Workers (worker_threads) alive: run each in its own process.
if (process.argv.includes('--child')) {
  const [file, threads] = process.argv.slice(process.argv.indexOf('--child') + 1);
  console.log(JSON.stringify(await time(file, +threads)));
  process.exit(0);
}
const { execFileSync } = await import('node:child_process');
const child = (file, threads) => JSON.parse(execFileSync(process.execPath, ['--no-experimental-fetch', new URL(import.meta.url).pathname, process.argv[2] || 'build/web', '--steps', String(steps), '--child', file, String(threads)], { encoding: 'utf8' }).trim().split('\n').pop());
const base = child('gradlab_web', 0);
const one = child('gradlab_web_mt', 1);
const many = child('gradlab_web_mt', os.availableParallelism ? os.availableParallelism() : os.cpus().length);
const same = (a, b) => a.losses.length === b.losses.length && a.losses.every((v, i) => v === b.losses[i]);
console.log(JSON.stringify({
  target: 'node', bench: 'wasm_threads_step_ms', steps, default_ms: +base.ms.toFixed(1), threaded_1_ms: +one.ms.toFixed(1),
  threaded_n_ms: +many.ms.toFixed(1), threads: many.threads, speedup: +(base.ms / many.ms).toFixed(2),
  bit_identical: same(base, one) && same(base, many), load1: +os.loadavg()[0].toFixed(2),
}));
