// wasm-api.mjs — the Embind API of build/web/js/gradlab_web.js under node, and native vs
// browser parity (the acceptance: same config and seed → bit-identical initial
// parameters, and float64 losses over the first 100 GD steps equal to 1e-12 relative).
//
//   node web/tests/wasm-api.mjs build/web      (the native CLI from $GRADLAB_NATIVE_CLI or
//                                               build/native/gradlab, for the parity tests)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { assert, runTests } from './harness.mjs';

const require = createRequire(import.meta.url);
const webDir = path.resolve(process.argv[2] || 'build/web');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const nativeCli = [process.env.GRADLAB_NATIVE_CLI, path.join(root, 'build/native/gradlab')].find((p) => p && fs.existsSync(p));

const FASHION = '/usr/share/datasets/fashion-mnist';
let M;
async function gradlab() {
  if (M) return M;
  const js = path.join(webDir, 'js', 'gradlab_web.js');
  M = await require(js)({ wasmBinary: fs.readFileSync(path.join(webDir, 'js', 'gradlab_web.wasm')) });
  // The same subset files the browser worker stages, at the default data.path.
  const subset = path.join(webDir, 'data', 'fashion-mnist');
  if (fs.existsSync(subset)) {
    for (const f of fs.readdirSync(subset).filter((f) => f.endsWith('.gz'))) {
      M.writeFile(`${FASHION}/${f.replace(/\.gz$/, '')}`, zlib.gunzipSync(fs.readFileSync(path.join(subset, f))));
    }
  }
  return M;
}

const SPIRAL = {
  kind: 'edge_of_stability', seed: 3, dtype: 'float64',
  data: { source: 'synthetic', generator: 'spiral', n_train: 120, n_test: 40, targets: 'onehot' },
  model: { type: 'mlp', widths: [16, 16], activation: 'tanh' },
  loss: 'mse', optim: { type: 'gd', lr: 0.2 },
  train: { steps: 100, log_every: 1, log_time: false },
};
const FASHION_CFG = {
  kind: 'edge_of_stability', seed: 1, dtype: 'float64',
  data: { source: 'fashion_mnist', n_train: 100, n_test: 50, classes: [0, 1, 2], preprocess: ['standardize'], targets: 'onehot' },
  model: { type: 'mlp', widths: [32], activation: 'tanh' },
  loss: 'mse', optim: { type: 'gd', lr: 0.05 },
  train: { steps: 100, log_every: 1, log_time: false },
  probe: { sharpness_every: 50, top_k: 2, lanczos_iters: 10 },
};

function runNative(config) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-parity-'));
  fs.writeFileSync(path.join(dir, 'config.in.json'), JSON.stringify(config));
  execFileSync(nativeCli, ['run', path.join(dir, 'config.in.json'), '--out', path.join(dir, 'out'), '--save-params', '0', '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const rows = fs.readFileSync(path.join(dir, 'out', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const params = fs.readFileSync(path.join(dir, 'out', 'params-step0.safetensors'));
  const resolved = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'config.json'), 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });
  return { rows, params, resolved };
}

async function runWasm(config) {
  const g = await gradlab();
  const s = new g.Session(JSON.stringify(config), '');
  const params = Buffer.from(s.exportParams());
  const rows = [];
  while (!s.done()) rows.push(...JSON.parse(s.step(25)));
  const resolved = JSON.parse(s.config());
  s.delete();
  return { rows, params, resolved };
}

function relDiff(a, b) { return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300); }

function parityTest(name, config) {
  return {
    name: `parity: ${name}: native and WASM give the same resolved config, initial parameters and losses (float64, 100 steps)`,
    fn: async () => {
      if (!nativeCli) { console.log('     (skipped: no native CLI; set GRADLAB_NATIVE_CLI or build build/native/gradlab)'); return; }
      const native = runNative(config), wasm = await runWasm(config);
      assert.deepEqual(wasm.resolved, native.resolved);
      assert.ok(wasm.params.equals(native.params), 'params-step0.safetensors differ between native and WASM');
      assert.equal(wasm.rows.length, native.rows.length);
      let worst = 0;
      for (let i = 0; i < native.rows.length; i++) {
        const n = native.rows[i], w = wasm.rows[i];
        assert.equal(w.step, n.step);
        assert.deepEqual(Object.keys(w).sort(), Object.keys(n).sort(), `row ${i}: the keys differ`);
        for (const k of ['loss', 'test_loss', 'grad_norm']) worst = Math.max(worst, relDiff(w[k], n[k]));
      }
      console.log(`     largest relative difference of loss / test_loss / grad_norm over ${native.rows.length} rows: ${worst.toExponential(2)}`);
      assert.ok(worst <= 1e-12, `relative difference ${worst} > 1e-12`);
    },
  };
}

const tests = [
  {
    name: 'api: schema(), kinds() and buildId() describe this build',
    fn: async () => {
      const g = await gradlab();
      const schema = JSON.parse(g.schema());
      assert.ok(schema.keys.some((k) => k.path === 'optim.lr'));
      const kinds = JSON.parse(g.kinds()).map((k) => k.kind);
      assert.ok(kinds.includes('edge_of_stability') && kinds.includes('quadratic_gd'), kinds.join(','));
      assert.match(g.buildId(), /wasm/);
    },
  },
  {
    name: 'api: a C++ ConfigError reaches JS as an Error carrying the C++ message and type',
    fn: async () => {
      const g = await gradlab();
      assert.throws(() => new g.Session(JSON.stringify({ kind: 'edge_of_stability', optim: { lrr: 1 } }), ''),
        (e) => e instanceof Error && e.name === 'ConfigError' && /unknown key optim\.lrr — did you mean optim\.lr\?/.test(e.message));
      assert.throws(() => g.resolveConfig('{"kind": ', ''), (e) => e.name === 'ConfigError' && /invalid JSON/.test(e.message));
      assert.throws(() => new g.Session(JSON.stringify(SPIRAL), 'nope'), (e) => /profile/.test(e.message));
    },
  },
  {
    name: 'page descriptors: every kind page in schema.json names schema keys, its page file and presets that exist',
    fn: async () => {
      const schema = JSON.parse(fs.readFileSync(path.join(webDir, 'schema.json'), 'utf8'));
      const pages = schema.kinds.filter((k) => k.page);
      assert.ok(pages.length >= 5, pages.map((k) => k.name).join(','));
      for (const { name, page } of pages) {
        assert.ok(fs.existsSync(path.join(webDir, page.file)), `${name}: ${page.file} is not in the site`);
        for (const f of [...(page.fields || []), ...(page.mlp_fields || [])]) {
          const keys = schema.keys.filter((k) => k.path === f.path);
          assert.ok(keys.length, `${name}: field ${f.path} is no schema key`);
          const kindOk = keys.some((k) => !k.when || k.when.key !== 'kind' || k.when.values.includes(name));
          assert.ok(kindOk, `${name}: field ${f.path} does not apply to kind ${name}`);
          for (const c of f.choices || []) assert.ok(keys.some((k) => (k.choices || []).includes(c)), `${name}: ${f.path} has no choice ${c}`);
        }
        for (const p of page.preset_list || []) {
          const file = path.join(webDir, 'presets', page.presets, p.file);
          assert.ok(fs.existsSync(file), `${name}: preset ${p.file} is not in ${page.presets}`);
          assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).kind, name, `${name}: preset ${p.file}`);
        }
        const ids = (page.charts || []).map((c) => c.id);
        assert.equal(new Set(ids).size, ids.length, `${name}: chart ids repeat: ${ids}`);
      }
    },
  },
  {
    name: 'api: fit(text, name, options) is `gradlab fit` in WASM: a Chinchilla surface fitted as the native CLI fits it (to 1e-6), ConfigErrors for bad options and rows',
    fn: async () => {
      const g = await gradlab();
      // Hoffmann et al.'s surface, E = 1.69, A = 406.4, B = 410.7, α = 0.34, β = 0.28, on a 4 × 4
      // grid with a fixed ±1 % wobble (no RNG: the same points natively).
      const rows = [];
      let k = 0;
      for (const n of [1e6, 1e7, 1e8, 1e9]) {
        for (const d of [1e8, 1e9, 1e10, 1e11]) {
          const loss = (1.69 + 406.4 / n ** 0.34 + 410.7 / d ** 0.28) * (1 + 0.01 * Math.sin(7 * k++));
          rows.push({ id: `N=${n},D=${d}`, N: n, D: d, loss });
        }
      }
      const text = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
      const grid = { a: [0, 10], b: [0, 10], e: [0, 1], alpha: [0.5], beta: [0.5] };
      const wasm = JSON.parse(g.fit(text, 'surface.jsonl', { form: 'chinchilla', x: ['N', 'D'], y: 'loss', grid }));
      assert.equal(wasm.n_points, 16);
      assert.ok(Math.abs(wasm.parameters.alpha - 0.34) < 0.05 && Math.abs(wasm.parameters.beta - 0.28) < 0.05, JSON.stringify(wasm.parameters));
      if (nativeCli) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-fit-'));
        fs.writeFileSync(path.join(dir, 'surface.jsonl'), text);
        fs.writeFileSync(path.join(dir, 'grid.json'), JSON.stringify(grid));
        const native = JSON.parse(execFileSync(nativeCli, ['fit', path.join(dir, 'surface.jsonl'), '--form', 'chinchilla', '--x', 'N,D', '--y', 'loss', '--grid', path.join(dir, 'grid.json')], { encoding: 'utf8' }));
        fs.rmSync(dir, { recursive: true, force: true });
        for (const key of ['E', 'A', 'B', 'alpha', 'beta', 'frontier_a']) {
          const a = wasm.parameters[key], b = native.parameters[key];
          assert.ok(Math.abs(a - b) <= 1e-6 * Math.abs(b), `${key}: WASM ${a} vs native ${b}`);
        }
      }
      const bad = (options, re, body = text) => assert.throws(() => g.fit(body, 'surface.jsonl', options), (e) => e.name === 'ConfigError' && re.test(e.message));
      bad({ form: 'cubic', x: ['N'], y: 'loss' }, /cubic/);
      bad({ form: 'kaplan', x: ['N'], y: 'loss', where: { D: 1e8 }, extra: 1 }, /unknown option "extra"/);
      bad({ form: 'kaplan', y: 'loss' }, /options\.x/);
      bad({ form: 'kaplan', x: ['N'], y: 'loss' }, /line 1: not a JSON object/, '{"N": 1,\n');
      bad({ form: 'kaplan', x: ['P'], y: 'loss' }, /no key "P"/);
    },
  },
  {
    name: 'api: sweepSummary(config, rows) gives the kind\'s sweep figures (the sweep_summary.json of `gradlab sweep`), null for kinds without one, a ConfigError for bad rows',
    fn: async () => {
      const g = await gradlab();
      // A random-features sweep over N with n = 10 on the grid: test error and ‖W‖ peak at N = n.
      const row = (N, err, norm) => ({ id: `N=${N}`, 'model.n_features': N, n_features: N, n_train: 10, test_error: err, param_norm: norm, ridge: 0 });
      const rows = [row(2, 0.5, 1), row(5, 0.6, 3), row(10, 0.9, 40), row(20, 0.55, 5), row(40, 0.4, 2)];
      const config = { kind: 'double_descent' };
      const summary = JSON.parse(g.sweepSummary(JSON.stringify(config), JSON.stringify(rows)));
      assert.equal(summary.kind, 'double_descent');
      const [c] = summary.curves;
      assert.equal(c.interpolation_threshold, 10);
      assert.equal(c.test_error_peak_n_features, 10);
      assert.equal(c.test_error_peak_grid_steps_from_threshold, 0);
      assert.equal(c.param_norm_peak_n_features, 10);
      assert.equal(c.best_test_error_below_threshold, 0.5);
      assert.equal(c.test_error_at_max_n_features, 0.4);
      assert.equal(g.sweepSummary(JSON.stringify({ kind: 'edge_of_stability' }), JSON.stringify(rows)), 'null');
      assert.throws(() => g.sweepSummary(JSON.stringify(config), '{"not": "an array"}'), (e) => e.name === 'ConfigError' && /rows must be a JSON array/.test(e.message));
      assert.throws(() => g.sweepSummary('[', '[]'), (e) => e.name === 'ConfigError');
    },
  },
  {
    name: 'api: 20000 errors in a row leave the module working (no leak across the boundary)',
    fn: async () => {
      const g = await gradlab();
      for (let i = 0; i < 20000; i++) assert.throws(() => g.resolveConfig('{"kind": "nope"}', ''));
      const s = new g.Session(JSON.stringify(SPIRAL), '');
      assert.equal(JSON.parse(s.step(3)).length, 3);
      s.delete();
    },
  },
  {
    name: 'api: step(n) returns the logged rows, state() tracks progress, exportParams() is a safetensors file',
    fn: async () => {
      const g = await gradlab();
      const s = new g.Session(JSON.stringify(Object.assign({}, SPIRAL, { train: { steps: 10, log_every: 3 } })), '');
      const rows = JSON.parse(s.step(7));
      assert.deepEqual(rows.map((r) => r.step), [0, 3, 6]);
      assert.ok(rows.every((r) => Number.isFinite(r.loss) && Number.isFinite(r.time_s)));
      let state = JSON.parse(s.state());
      assert.equal(state.steps_done, 7);
      assert.equal(state.total_steps, 10);
      assert.equal(state.status, 'running');
      assert.deepEqual(JSON.parse(s.step(100)).map((r) => r.step), [9]);
      state = JSON.parse(s.state());
      assert.equal(state.status, 'completed');
      assert.ok(s.done());
      assert.ok(Number.isFinite(state.summary.final_loss));
      const bytes = s.exportParams();
      assert.ok(bytes instanceof Uint8Array);
      const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
      const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString('utf8'));
      assert.deepEqual(header['layers.0.weight'].shape, [16, 2]);
      s.delete();
    },
  },
  {
    name: 'api: preview() gives the losses before the next step without taking it, equal to that step\'s row',
    fn: async () => {
      const g = await gradlab();
      const s = new g.Session(JSON.stringify(Object.assign({}, SPIRAL, { probe: { sharpness_every: 5, top_k: 1, lanczos_iters: 5 } })), '');
      const preview = JSON.parse(s.preview());
      assert.equal(preview.step, 0);
      assert.equal(JSON.parse(s.state()).steps_done, 0);
      assert.ok(!('sharpness' in preview), 'a preview has no probe');
      const [row] = JSON.parse(s.step(1));
      assert.equal(row.step, 0);
      assert.ok(Number.isFinite(row.sharpness));
      // Full batch, no dropout: the very numbers step 0 logs.
      for (const key of ['loss', 'train_acc', 'test_loss', 'test_acc', 'lr']) assert.equal(preview[key], row[key], key);
      assert.equal(JSON.parse(s.preview()).step, 1);
      while (!s.done()) s.step(100);
      assert.equal(JSON.parse(s.preview()), null);
      s.delete();
    },
  },
  {
    name: 'api: a diverging run stops with status diverged and says why',
    fn: async () => {
      const g = await gradlab();
      const s = new g.Session(JSON.stringify(Object.assign({}, SPIRAL, { optim: { type: 'gd', lr: 50 } })), '');
      while (!s.done()) s.step(10);
      const state = JSON.parse(s.state());
      assert.equal(state.status, 'diverged');
      assert.match(state.reason, /NaN|infinite/);
      s.delete();
    },
  },
  {
    name: 'api: sweepPoints() expands a sweep block as `gradlab sweep` does',
    fn: async () => {
      const g = await gradlab();
      const points = JSON.parse(g.sweepPoints(JSON.stringify(Object.assign({}, SPIRAL, { sweep: { 'optim.lr': [0.1, 0.2, 0.3] } })), ''));
      assert.deepEqual(points.map((p) => p.config.optim.lr), [0.1, 0.2, 0.3]);
      assert.ok(points.every((p) => !('sweep' in p.config)));
    },
  },
  {
    name: 'api: the Fashion-MNIST subset staged in MEMFS feeds a run; asking for more than it holds is a clear error',
    fn: async () => {
      const g = await gradlab();
      if (!fs.existsSync(path.join(webDir, 'data', 'fashion-mnist'))) { console.log('     (skipped: no Fashion-MNIST subset in the build)'); return; }
      const s = new g.Session(JSON.stringify(FASHION_CFG), '');
      assert.equal(JSON.parse(s.step(1))[0].step, 0);
      s.delete();
      const big = Object.assign({}, FASHION_CFG, { data: Object.assign({}, FASHION_CFG.data, { n_train: 59000 }) });
      assert.throws(() => new g.Session(JSON.stringify(big), ''), (e) => e.name === 'ConfigError' && /fashion_mnist has only/.test(e.message));
    },
  },
  parityTest('synthetic spiral (data generated in WASM)', SPIRAL),
  parityTest('Fashion-MNIST subset with sharpness probes', FASHION_CFG),
];

const failed = await runTests(tests, { timeoutMs: 300000 });
process.exit(failed ? 1 : 0);
