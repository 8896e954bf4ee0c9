// generalisation.mjs — the random-labels and double-descent pages (random-labels.html,
// double-descent.html) in headless Chromium under the lab's strict CSP, as browser.mjs does
// for the other pages: no console errors, rows stream, the science comes out right on the
// small browser instances, bad links give readable errors. With the native CLI present
// (GRADLAB_NATIVE_CLI or build/native/gradlab), the page's random-features sweep is compared
// with `gradlab sweep` on the same config.
//
//   node web/tests/generalisation.mjs build/web [SCREENSHOT_DIR]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { runPageSuite } from './chromium.mjs';
import { assert, openPage } from './harness.mjs';

const webDir = path.resolve(process.argv[2] || 'build/web');
const shotDir = path.resolve(process.argv[3] || path.join(webDir, '..', 'web-tests'));
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const nativeCli = [process.env.GRADLAB_NATIVE_CLI, path.join(root, 'build/native/gradlab')].find((p) => p && fs.existsSync(p));
fs.mkdirSync(shotDir, { recursive: true });

const b64url = (text) => Buffer.from(text, 'utf8').toString('base64url');

let browser, lab;

// A fresh page that records console errors, page errors and failed requests.
const open = (url) => openPage(browser, url, { acceptDownloads: true });

async function downloadText(page, selector) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.$eval(selector, (b) => b.click())]);
  return { name: download.suggestedFilename(), text: fs.readFileSync(await download.path(), 'utf8') };
}

// A small random-labels config: 1×256 MLP on 200 Fashion-MNIST images, true vs random labels
// (natively: 100% train accuracy at epoch 9 for true labels, 11 for random ones).
const SMALL_RL = {
  kind: 'random_labels', seed: 0, dtype: 'float32',
  data: { source: 'fashion_mnist', n_train: 200, n_test: 100, preprocess: ['standardize'], randomize: 'labels' },
  model: { type: 'mlp', widths: [256], activation: 'relu' },
  loss: 'cross_entropy', optim: { type: 'momentum', lr: 0.05, momentum: 0.9 },
  train: { epochs: 20, batch_size: 50, log_every: 4 },
  sweep: { 'data.randomize': ['none', 'labels'] },
};

const rlRuns = (page) => page.evaluate(() => window.gradlabRandomLabels.runs.map((r) => ({ id: r.id, label: r.label, status: r.run.status, rows: r.run.rows, summary: r.run.state && r.run.state.summary })));

const tests = [
  {
    name: 'home page has cards for the random-labels and double-descent pages',
    fn: async () => {
      const page = await open(lab.url + '/index.html');
      await page.waitForLoadState('networkidle');
      const links = await page.$$eval('.card a.go', (as) => as.map((a) => a.getAttribute('href')));
      assert.ok(links.includes('random-labels.html'), links.join(', '));
      assert.ok(links.includes('double-descent.html'), links.join(', '));
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'random labels page: the default preset (true labels vs p = 0.5, MLP 1x512) streams one row per epoch and train accuracy rises',
    fn: async () => {
      const page = await open(lab.url + '/random-labels.html');
      await page.waitForFunction(() => window.gradlabRandomLabels.runs.length === 2 &&
        window.gradlabRandomLabels.runs.every((r) => r.run.rows.length >= 6), null, { timeout: 120000 });
      const config = await page.evaluate(() => window.gradlabRandomLabels.config);
      assert.deepEqual(config.sweep, { 'data.label_noise': [0, 0.5] });
      assert.equal(config.kind, 'random_labels');
      const runs = await rlRuns(page);
      assert.deepEqual(runs.map((r) => r.label), ['p = 0', 'p = 0.5']);
      // Per epoch: 500 examples in batches of 128 = 4 steps, logged every 4 steps.
      for (const r of runs) r.rows.slice(0, 6).forEach((row, i) => assert.equal(row.step, 4 * i));
      for (const r of runs) {
        const acc = r.rows.map((row) => row.train_acc);
        assert.ok(acc.every(Number.isFinite), JSON.stringify(acc));
        assert.ok(acc[acc.length - 1] > acc[0] + 0.1, `${r.label}: train accuracy did not rise: ${acc}`);
      }
      const drawn = await page.evaluate(() => window.gradlabRandomLabels.charts.accuracy.plot.data[1].filter((v) => v !== null).length);
      assert.ok(drawn >= 6, `accuracy chart has ${drawn} points`);
      await page.screenshot({ path: path.join(shotDir, 'random-labels.png') });
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'random labels page: true labels are fitted, random labels are fitted later, and test accuracy falls to chance; the table and the hash follow',
    fn: async () => {
      const hash = '#' + b64url(JSON.stringify(SMALL_RL));
      const page = await open(lab.url + '/random-labels.html' + hash);
      await page.waitForFunction(() => window.gradlabRandomLabels.runs.length === 2 &&
        window.gradlabRandomLabels.runs.every((r) => r.run.status === 'done'), null, { timeout: 120000 });
      assert.equal(await page.evaluate(() => location.hash), hash);
      const [truth, random] = await rlRuns(page);
      assert.deepEqual([truth.label, random.label], ['true labels', 'random labels']);
      assert.equal(truth.summary.final_train_acc, 1);
      assert.equal(random.summary.final_train_acc, 1);
      assert.ok(random.summary.epochs_to_fit > truth.summary.epochs_to_fit, `epochs to fit: random ${random.summary.epochs_to_fit}, true ${truth.summary.epochs_to_fit}`);
      assert.ok(truth.summary.final_test_acc > 0.6, `true labels test acc ${truth.summary.final_test_acc}`);
      assert.ok(random.summary.final_test_acc < 0.25, `random labels test acc ${random.summary.final_test_acc}`);
      assert.equal(random.summary.n_noisy, 200);
      const table = await page.$$eval('#summary-table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
      assert.equal(table.length, 2);
      assert.equal(table[0][2], '100.0%');
      await page.closeAll();
    },
  },
  {
    name: 'random labels page: the p slider and the test choice rewrite the config (data + sweep block) and the URL, and restart the runs',
    fn: async () => {
      const page = await open(lab.url + '/random-labels.html#' + b64url(JSON.stringify(SMALL_RL)));
      await page.waitForFunction(() => window.gradlabRandomLabels.runs.length === 2);
      await page.selectOption('#test', 'partial');
      await page.$eval('#field-data-label_noise-slider', (s) => { s.value = '0.3'; s.dispatchEvent(new Event('change')); });
      // Edits are checked by the WASM validator (a worker round trip) before they apply.
      await page.waitForFunction(() => window.gradlabRandomLabels.config.data.label_noise === 0.3);
      const config = await page.evaluate(() => window.gradlabRandomLabels.config);
      assert.equal(config.data.label_noise, 0.3);
      assert.equal(config.data.randomize, undefined);
      assert.deepEqual(config.sweep, { 'data.label_noise': [0, 0.3] });
      const hashConfig = await page.evaluate(() => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(location.hash.slice(1).replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)))));
      assert.deepEqual(hashConfig, config);
      await page.waitForFunction(() => window.gradlabRandomLabels.runs.map((r) => r.label).join() === 'p = 0,p = 0.3' &&
        window.gradlabRandomLabels.runs.every((r) => r.run.rows.length >= 1), null, { timeout: 60000 });
      await page.selectOption('#test', 'gaussian');
      await page.waitForFunction(() => window.gradlabRandomLabels.config.data.randomize === 'gaussian');
      assert.deepEqual(await page.evaluate(() => window.gradlabRandomLabels.config.sweep), { 'data.randomize': ['none', 'gaussian'] });
      await page.click('#compare');
      await page.waitForFunction(() => window.gradlabRandomLabels.config.sweep === undefined);
      const alone = await page.evaluate(() => window.gradlabRandomLabels.config);
      assert.equal(alone.sweep, undefined);
      assert.equal(alone.data.randomize, 'gaussian');
      await page.waitForFunction(() => window.gradlabRandomLabels.runs.length === 1 && window.gradlabRandomLabels.runs[0].label === 'Gaussian inputs', null, { timeout: 60000 });
      const exported = await downloadText(page, '#btn-export-config');
      assert.deepEqual(JSON.parse(exported.text), alone);
      if (nativeCli) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-rl-'));
        fs.writeFileSync(path.join(dir, 'config.json'), exported.text);
        assert.match(execFileSync(nativeCli, ['validate', path.join(dir, 'config.json')], { encoding: 'utf8' }), /ok/);
        fs.rmSync(dir, { recursive: true, force: true });
      }
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'random labels page: a bad config in the URL shows a readable error and the default preset runs',
    fn: async () => {
      const bad = await open(lab.url + '/random-labels.html#' + b64url(JSON.stringify(Object.assign({}, SMALL_RL, { data: Object.assign({}, SMALL_RL.data, { label_nois: 0.2 }) }))));
      await bad.waitForSelector('#error-banner:not([hidden])');
      assert.match(await bad.textContent('#error-banner'), /unknown key data\.label_nois — did you mean data\.label_noise\?/);
      await bad.waitForFunction(() => window.gradlabRandomLabels.runs.length === 2 && window.gradlabRandomLabels.runs[0].run.rows.length >= 1, null, { timeout: 90000 });
      await bad.closeAll();
      const wrongKind = await open(lab.url + '/random-labels.html#' + b64url(JSON.stringify({ kind: 'quadratic_gd' })));
      await wrongKind.waitForSelector('#error-banner:not([hidden])');
      assert.match(await wrongKind.textContent('#error-banner'), /this page runs kind "random_labels", got "quadratic_gd"/);
      await wrongKind.closeAll();
    },
  },
  {
    name: 'double descent page: the random-features sweep is computed live; its test-error peak sits within one grid step of N = n, ‖W‖ peaks there, ridge flattens it',
    fn: async () => {
      const page = await open(lab.url + '/double-descent.html');
      // Live: the progress bar moves before the sweep ends.
      await page.waitForFunction(() => { const p = document.getElementById('rf-progress'); return p.value > 0 && p.value < 1; }, null, { timeout: 60000 });
      await page.waitForFunction(() => window.gradlabDoubleDescent.state.rf.ms !== null, null, { timeout: 240000 });
      const { rf, rows, ms } = await page.evaluate(() => ({ rf: window.gradlabDoubleDescent.rf, rows: [...window.gradlabDoubleDescent.state.rf.results.values()], ms: window.gradlabDoubleDescent.state.rf.ms }));
      console.log(`     random-features sweep in the page: ${rows.length} fits in ${(ms / 1000).toFixed(1)} s (n = ${rf.data.n_train})`);
      const n = rf.data.n_train;
      const grid = rf.sweep['model.n_features'];
      assert.equal(grid.length, 21);
      assert.ok(grid.includes(n) && grid[0] === n / 10 && grid[20] === 10 * n, JSON.stringify(grid));
      assert.deepEqual(rf.sweep['model.ridge'], [0, 0.1]);
      assert.equal(rows.length, 42);
      // The figures are the WASM sweepSummary's (sweep_summary.json's), one curve per ridge.
      const summary = await page.evaluate(() => window.gradlabDoubleDescent.state.rf.summary);
      assert.equal(summary.kind, 'double_descent');
      const [minNorm, ridge] = summary.curves;
      assert.equal(minNorm.ridge, 0);
      assert.equal(minNorm.interpolation_threshold, n);
      assert.ok(Math.abs(minNorm.test_error_peak_grid_steps_from_threshold) <= 1, `min-norm test-error peak at N = ${minNorm.test_error_peak_n_features}, ${minNorm.test_error_peak_grid_steps_from_threshold} grid steps from n = ${n}`);
      assert.ok(Math.abs(minNorm.param_norm_peak_grid_steps_from_threshold) <= 1, `‖W‖ peak at N = ${minNorm.param_norm_peak_n_features}`);
      assert.ok(minNorm.test_error_at_max_n_features < minNorm.best_test_error_below_threshold, `error at 10n ${minNorm.test_error_at_max_n_features} vs best below n ${minNorm.best_test_error_below_threshold}`);
      const at = (r, N) => rows.find((p) => p.ridge === r && p.n_features === N);
      assert.ok(at(ridge.ridge, n).test_error < at(0, n).test_error - 0.15, `ridge at N = n: ${at(ridge.ridge, n).test_error} vs ${at(0, n).test_error}`);
      assert.ok(ridge.param_norm_peak < minNorm.param_norm_peak / 10);
      // Charts: log x with the threshold marked; the summary names the peak.
      assert.equal(await page.evaluate(() => window.gradlabDoubleDescent.charts.test.plot.scales.x.distr), 3);
      assert.match(await page.textContent('#summary'), new RegExp(`Minimum norm \\(λ = 0\\): test error peaks at N = ${minNorm.test_error_peak_n_features} `));
      await page.screenshot({ path: path.join(shotDir, 'double-descent.png'), fullPage: true });
      // The exported sweep.jsonl holds one row per fit; the config is what `gradlab sweep` runs.
      const jsonl = await downloadText(page, '#btn-export-jsonl');
      assert.equal(jsonl.text.trim().split('\n').length, 42);
      const exported = await downloadText(page, '#btn-export-config');
      assert.deepEqual(JSON.parse(exported.text), rf);
      if (nativeCli) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-dd-'));
        fs.writeFileSync(path.join(dir, 'config.json'), exported.text);
        execFileSync(nativeCli, ['sweep', path.join(dir, 'config.json'), '--out', path.join(dir, 'out'), '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
        const native = fs.readFileSync(path.join(dir, 'out', 'sweep.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
        assert.equal(native.length, 42);
        const key = (r) => `${r.n_features}/${r.ridge}`;
        const web = new Map(rows.map((r) => [key(r), r]));
        // Same features, same fit: test errors agree but for a few of 500 test examples where
        // the near-singular N = n fit amplifies GEMM rounding differences (OpenBLAS vs WASM SIMD).
        for (const r of native) {
          const w = web.get(key(r));
          assert.ok(w, `no page row for ${key(r)}`);
          assert.ok(Math.abs(w.test_error - r.test_error) <= 0.01, `${key(r)}: page ${w.test_error} vs native ${r.test_error}`);
          assert.equal(w.train_error, r.train_error, key(r));
        }
        // The native sweep_summary.json: the same peak as the page's WASM figures.
        const nativeSummary = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'sweep_summary.json'), 'utf8'));
        assert.equal(nativeSummary.curves[0].test_error_peak_n_features, minNorm.test_error_peak_n_features);
        fs.rmSync(dir, { recursive: true, force: true });
      }
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'double descent page: the MLP width sweep (the double_descent kind\'s MLP mode, one Session per width) fills the progress bar; its figures are the WASM sweep summary',
    fn: async () => {
      const rf = { kind: 'double_descent', seed: 0, data: { source: 'fashion_mnist', n_train: 40, n_test: 50, preprocess: ['standardize'] },
        model: { type: 'random_features', n_features: 40, features: 'relu', ridge: 0 },
        sweep: { 'model.n_features': [4, 40, 400] } };
      const mlp = { kind: 'double_descent', seed: 0, dtype: 'float32',
        data: { source: 'fashion_mnist', n_train: 200, n_test: 200, preprocess: ['downsample2', 'downsample2', 'standardize'], label_noise: 0.2 },
        model: { type: 'mlp', widths: [1], activation: 'relu' }, loss: 'cross_entropy', optim: { type: 'adam', lr: 0.01 },
        train: { steps: 300, batch_size: 'full', log_every: 50, interpolation_tol: 0.3 }, sweep: { 'model.widths': [[1], [64]] } };
      const page = await open(`${lab.url}/double-descent.html#${b64url(JSON.stringify(rf))}&mlp=${b64url(JSON.stringify(mlp))}`);
      await page.waitForFunction(() => window.gradlabDoubleDescent.state.rf.ms !== null, null, { timeout: 60000 });
      assert.equal(await page.inputValue('#mlp-widths'), '1, 64');
      await page.click('#btn-mlp-run');
      await page.waitForFunction(() => window.gradlabDoubleDescent.state.mlp.ms !== null && window.gradlabDoubleDescent.state.mlp.summary, null, { timeout: 120000 });
      const { results, summary } = await page.evaluate(() => ({
        results: [...window.gradlabDoubleDescent.state.mlp.results.values()].sort((a, b) => a.width - b.width), summary: window.gradlabDoubleDescent.state.mlp.summary }));
      assert.deepEqual(results.map((r) => r.width), [1, 64]);
      // A width-1 network cannot memorise the noisy labels; width 64 nearly can.
      assert.ok(results[1].train_error < results[0].train_error - 0.3, JSON.stringify(results.map((r) => r.train_error)));
      assert.equal(await page.$eval('#mlp-progress', (p) => p.value), 1);
      // The figures: the WASM summary of exactly these rows (the threshold is the first width
      // whose train error is within train.interpolation_tol).
      const curve = summary.curves.find((c) => c.axis === 'width');
      assert.equal(curve.interpolation_threshold_width, results.find((r) => r.train_error <= 0.3).width);
      const peak = results.reduce((a, b) => (b.test_error > a.test_error ? b : a));
      assert.equal(curve.test_error_peak_width, peak.width);
      assert.match(await page.textContent('#mlp-summary'), new RegExp(`at h = ${curve.interpolation_threshold_width} .*test error: peak [\\d.]+ at h = ${peak.width}`));
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'double descent page: a bad config in the URL shows a readable error and the default sweep runs',
    fn: async () => {
      const page = await open(lab.url + '/double-descent.html#' + b64url(JSON.stringify({ kind: 'double_descent', data: { source: 'fashion_mnist' }, model: { type: 'random_features', n_features: 10, ridg: 1 } })));
      await page.waitForSelector('#error-banner:not([hidden])');
      assert.match(await page.textContent('#error-banner'), /unknown key model\.ridg — did you mean model\.ridge\?/);
      await page.waitForFunction(() => window.gradlabDoubleDescent.state.rf.results.size >= 1, null, { timeout: 90000 });
      assert.equal(await page.evaluate(() => window.gradlabDoubleDescent.rf.data.n_train), 200);
      await page.closeAll();
      const wrongKind = await open(lab.url + '/double-descent.html#' + b64url(JSON.stringify({ kind: 'random_labels' })));
      await wrongKind.waitForSelector('#error-banner:not([hidden])');
      assert.match(await wrongKind.textContent('#error-banner'), /this page runs kind "double_descent", got "random_labels"/);
      await wrongKind.closeAll();
      const garbage = await open(lab.url + '/double-descent.html#&mlp=!!!');
      await garbage.waitForSelector('#error-banner:not([hidden])');
      assert.match(await garbage.textContent('#error-banner'), /MLP config in the URL \(option mlp\) is not base64url JSON/);
      await garbage.closeAll();
    },
  },
];

await runPageSuite(tests, webDir, (b, l) => { browser = b; lab = l; }, { timeoutMs: 300000 });
