// eos-optimisers.mjs — the EoS page's optimiser choice (issue 20) in headless Chromium under the
// lab's strict CSP, as browser.mjs does for the page itself: choosing Adam (no bias correction)
// runs it, the rows carry the preconditioned sharpness λ₁(P⁻¹H), its chart appears with the line
// at the optimiser's own threshold 38/η as the C++ optimiser computed it, and the raw-sharpness
// chart drops GD's 2/η; choosing GD again puts 2/η back and hides the preconditioned chart;
// heavy-ball momentum gets (2+2β)/η. probe.per_layer draws one line per parameter tensor.
// Screenshots at 390 px and 1280 px wide.
//
//   node web/tests/eos-optimisers.mjs build/web [SCREENSHOT_DIR]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPageSuite } from './chromium.mjs';
import { assert, openPage } from './harness.mjs';

const webDir = path.resolve(process.argv[2] || 'build/web');
const shotDir = path.resolve(process.argv[3] || path.join(webDir, '..', 'web-tests'));
fs.mkdirSync(shotDir, { recursive: true });
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const nativeCli = [process.env.GRADLAB_NATIVE_CLI, path.join(root, 'build/native/gradlab')].find((p) => p && fs.existsSync(p));
const b64url = (text) => Buffer.from(text, 'utf8').toString('base64url');

let browser, lab;

const open = (url, viewport = { width: 1280, height: 1000 }) => openPage(browser, url, { viewport });

// The spiral preset, short: probes every 5 steps so a few arrive within seconds.
const SPIRAL = {
  kind: 'edge_of_stability', seed: 0, dtype: 'float32', device: 'cpu',
  data: { source: 'synthetic', generator: 'spiral', n_train: 300, n_test: 100, targets: 'onehot' },
  model: { type: 'mlp', widths: [32, 32], activation: 'tanh' },
  loss: 'mse', optim: { type: 'gd', lr: 0.2 },
  train: { steps: 40, batch_size: 'full', log_every: 5 },
  probe: { sharpness_every: 5, top_k: 1, lanczos_iters: 10 },
};

// The page's descriptor start for an optimiser (schema.json kinds[].page).
const schema = () => JSON.parse(fs.readFileSync(path.join(webDir, 'schema.json'), 'utf8'));
const starts = () => schema().kinds.find((k) => k.name === 'edge_of_stability').page.fields.find((f) => f.path === 'optim.type').starts;

// Chooses optim.type and waits until the run on that optimiser is done.
async function choose(page, type) {
  await page.selectOption('#field-optim-type', type);
  await page.waitForFunction((t) => {
    const r = window.gradlabLab.runs[0];
    return r && r.run.config && r.run.config.optim.type === t && r.run.status === 'done';
  }, type, { timeout: 90000 });
  await page.waitForTimeout(100);  // the charts redraw on the next animation frame
}

const lines = (page, chart) => page.evaluate((c) => window.gradlabLab.dashboard.charts[c].hLines.map((l) => ({ y: l.y, label: l.label })), chart);
const hidden = (page, chart) => page.$eval(`.chart-card[data-chart="${chart}"]`, (f) => f.hidden);
const rows = (page) => page.evaluate(() => window.gradlabLab.runs[0].run.rows);

const tests = [
  {
    name: 'EoS optimisers: Adam shows λ₁(P⁻¹H) against its 38/η line, GD the raw sharpness against 2/η, momentum (2+2β)/η',
    fn: async () => {
      const page = await open(lab.url + '/eos.html#' + b64url(JSON.stringify(SPIRAL)));
      await page.waitForFunction(() => window.gradlabLab && window.gradlabLab.runs[0] && window.gradlabLab.runs[0].run.status === 'done', null, { timeout: 90000 });
      const options = await page.$$eval('#field-optim-type option', (os) => os.map((o) => o.value));
      for (const t of ['gd', 'momentum', 'nesterov', 'adam', 'rmsprop', 'lamb']) assert.ok(options.includes(t), options.join(','));

      await choose(page, 'adam');
      const adam = starts().adam;
      assert.deepEqual(await page.evaluate(() => window.gradlabLab.config.optim), adam);
      assert.equal(adam.bias_correction, false);
      const adamRows = await rows(page);
      const precond = adamRows.filter((r) => Number.isFinite(r.precond_sharpness));
      assert.ok(precond.length >= 3, `${precond.length} rows with precond_sharpness`);
      // The threshold the WASM optimiser wrote into the rows: (2 + 2β₁)/((1 − β₁)η) = 38/η.
      for (const r of precond) assert.ok(Math.abs(r.precond_threshold - 38 / adam.lr) <= 1e-9 * 38 / adam.lr, `precond_threshold ${r.precond_threshold}`);
      assert.equal(await hidden(page, 'precond'), false);
      const adamLines = await lines(page, 'precond');
      assert.equal(adamLines.length, 1);
      assert.ok(Math.abs(adamLines[0].y - 38 / adam.lr) <= 1e-9 * 38 / adam.lr, JSON.stringify(adamLines));
      assert.match(adamLines[0].label, /^\(2\+2β₁\)\/\(\(1−β₁\)η\) = 3\.8e\+4|^\(2\+2β₁\)\/\(\(1−β₁\)η\) = 38000$/);
      // The λ₁(P⁻¹H) series is drawn (uPlot data: [x, series...]).
      const drawn = await page.evaluate(() => window.gradlabLab.dashboard.charts.precond.plot.data[1].filter((v) => v !== null).length);
      assert.equal(drawn, precond.length);
      // No 2/η on the raw sharpness: Adam's edge is on λ₁(P⁻¹H).
      assert.deepEqual(await lines(page, 'sharpness'), []);
      await page.screenshot({ path: path.join(shotDir, 'eos-adam-wide.png'), fullPage: true });

      await choose(page, 'gd');
      const gd = starts().gd;
      const gdLines = await lines(page, 'sharpness');
      assert.equal(gdLines.length, 1);
      assert.equal(gdLines[0].y, 2 / gd.lr);
      assert.match(gdLines[0].label, /^2\/η = /);
      assert.equal((await rows(page)).some((r) => 'precond_sharpness' in r), false);
      assert.equal(await hidden(page, 'precond'), true);

      await choose(page, 'momentum');
      const hb = starts().momentum;
      const hbLines = await lines(page, 'sharpness');
      assert.equal(hbLines.length, 1);
      assert.ok(Math.abs(hbLines[0].y - (2 + 2 * hb.momentum) / hb.lr) < 1e-9 * hbLines[0].y, JSON.stringify(hbLines));
      assert.match(hbLines[0].label, /^\(2\+2β\)\/η = /);
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'EoS optimisers: RMSProp with probe.per_layer draws λ₁(P⁻¹H) against 2/η and one λmax(H_ℓℓ) line per tensor (narrow screen)',
    fn: async () => {
      const config = Object.assign({}, SPIRAL, {
        optim: { type: 'rmsprop', lr: 0.0005, alpha: 0.99 },
        probe: Object.assign({}, SPIRAL.probe, { per_layer: true }),
      });
      const page = await open(lab.url + '/eos.html#' + b64url(JSON.stringify(config)), { width: 390, height: 844 });
      await page.waitForFunction(() => window.gradlabLab && window.gradlabLab.runs[0] && window.gradlabLab.runs[0].run.status === 'done', null, { timeout: 90000 });
      await page.waitForTimeout(100);
      const got = await rows(page);
      const probed = got.filter((r) => r.layer_sharpness);
      assert.ok(probed.length >= 3);
      const names = ['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias', 'layers.4.weight', 'layers.4.bias'];
      for (const r of probed) {
        assert.deepEqual(Object.keys(r.layer_sharpness).sort(), names.slice().sort());
        // Cauchy interlacing: no diagonal block is sharper than the whole Hessian.
        for (const v of Object.values(r.layer_sharpness)) assert.ok(v <= r.sharpness * (1 + 1e-4), `${v} > ${r.sharpness}`);
      }
      const layerSeries = await page.evaluate(() => window.gradlabLab.dashboard.charts.layers.series.map((s) => s.label));
      assert.deepEqual(layerSeries.slice().sort(), names.slice().sort());
      assert.equal(await hidden(page, 'layers'), false);
      const rmsLines = await lines(page, 'precond');
      assert.equal(rmsLines.length, 1);
      assert.ok(Math.abs(rmsLines[0].y - 2 / 0.0005) <= 1e-9 * 4000, JSON.stringify(rmsLines));
      assert.match(rmsLines[0].label, /^\(2\+2μ\)\/η = /);
      // At 390 px the page fits the screen: no sideways scrolling (the chart grid's columns
      // shrink below their 440 px minimum).
      const overflow = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      assert.ok(overflow[0] <= overflow[1], `the page is ${overflow[0]} px wide in a ${overflow[1]} px screen`);
      await page.screenshot({ path: path.join(shotDir, 'eos-rmsprop-layers-narrow.png'), fullPage: true });
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'EoS page: Mamba on the sorting task runs in the page, crosses 2/η, and its rows are the native CLI\'s; the preset menu offers it',
    fn: async () => {
      // float64 and short (the web preset's model: d_model 8, one layer, 64 sequences), η = 1.
      const config = {
        kind: 'edge_of_stability', seed: 0, dtype: 'float64',
        data: { source: 'sorting', length: 8, vocab: 4, n_train: 64, n_test: 64 },
        model: { type: 'mamba', d_model: 8, n_layers: 1, d_state: 8, expand: 2, d_conv: 4 },
        loss: 'cross_entropy', optim: { type: 'gd', lr: 1.0 },
        train: { steps: 120, batch_size: 'full', log_every: 5 },
        probe: { sharpness_every: 10, top_k: 1, lanczos_iters: 10, settle_steps: 40, average_window: 0 },
      };
      const page = await open(lab.url + '/eos.html#' + b64url(JSON.stringify(config)));
      await page.waitForFunction(() => window.gradlabLab && window.gradlabLab.runs[0] && window.gradlabLab.runs[0].run.status === 'done', null, { timeout: 150000 });
      const rows = await page.evaluate(() => window.gradlabLab.runs[0].run.rows);
      const probed = rows.filter((r) => r.sharpness !== undefined);
      assert.ok(probed.length >= 10, `${probed.length} probes`);
      assert.ok(probed[0].sharpness < 0.8 * 2, `starts below the edge: ${probed[0].sharpness}`);
      assert.ok(Math.max(...probed.map((r) => r.sharpness)) >= 2, 'the sharpness never reached 2/η = 2');
      assert.equal(await page.$eval('#field-model-type', (e) => e.value), 'mamba');
      assert.equal(await page.$eval('#field-data-source', (e) => e.value), 'sorting');
      const presets = await page.$$eval('#preset option', (os) => os.map((o) => o.value));
      assert.ok(presets.includes('sorting-mamba.json'), presets.join(', '));
      if (nativeCli) {
        // The same config natively: the same rows (float64; the GEMMs round differently natively
        // and in WASM, hence not bit for bit).
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-mamba-'));
        fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
        execFileSync(nativeCli, ['run', path.join(dir, 'config.json'), '--out', path.join(dir, 'run'), '--quiet']);
        const native = fs.readFileSync(path.join(dir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
        fs.rmSync(dir, { recursive: true, force: true });
        assert.equal(native.length, rows.length);
        let worst = 0;
        native.forEach((row, i) => {
          for (const key of ['loss', 'sharpness', 'train_acc']) {
            if (row[key] === undefined) continue;
            worst = Math.max(worst, Math.abs(row[key] - rows[i][key]) / Math.max(1e-12, Math.abs(row[key])));
          }
        });
        assert.ok(worst <= 1e-6, `native vs WASM rows: relative difference ${worst}`);
      }
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
];

await runPageSuite(tests, webDir, (b, l) => { browser = b; lab = l; }, { timeoutMs: 200000 });
