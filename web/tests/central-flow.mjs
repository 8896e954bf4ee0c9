// central-flow.mjs — the central-flow page (central-flow.html) in headless Chromium under the
// lab's strict CSP, as browser.mjs does for the other pages: the kind runs in the WASM worker,
// its rows stream and the three trajectories are drawn on one loss chart (with the prediction)
// and one sharpness chart (with 2/η); the η slider rewrites the config and restarts the run;
// each curve has its sentence. With the native CLI present (GRADLAB_NATIVE_CLI or
// build/native/gradlab) the page's rows are compared with `gradlab run` on the same config.
//
//   node web/tests/central-flow.mjs build/web [SCREENSHOT_DIR]
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

const open = (url) => openPage(browser, url);

// The toy of experiments/central_flow/toy_mlp.json at η = 0.3: progressive sharpening runs on
// flow time η·t, so the sharpness reaches 2/η ≈ 6.7 within ~50 steps (η = 0.1 needs ~460).
const TOY = {
  kind: 'central_flow', seed: 0,
  data: { source: 'synthetic', generator: 'gaussian_regression', n_train: 128, dim: 8, output_dim: 1 },
  model: { type: 'mlp', widths: [16, 16], activation: 'silu', init: 'normal' },
  loss: 'mse_mean',
  optim: { type: 'gd', lr: 0.3 },
  train: { steps: 90, batch_size: 'full', log_every: 1 },
  central_flow: { sharpness_every: 3 },
};

const rowsOf = (page) => page.evaluate(() => window.gradlabLab.runs.map((r) => ({ status: r.run.status, rows: r.run.rows, summary: r.run.state && r.run.state.summary })));
const drawn = (page, chart, series) => page.evaluate(([c, s]) => window.gradlabLab.dashboard.charts[c].plot.data[s].filter((v) => v !== null && v !== undefined).length, [chart, series]);

const tests = [
  {
    name: 'central flow page: GD, gradient flow and the central flow run to the edge; the loss and sharpness charts draw all three, the prediction and 2/η',
    fn: async () => {
      const page = await open(lab.url + '/central-flow.html#' + b64url(JSON.stringify(TOY)));
      await page.waitForFunction(() => window.gradlabLab && window.gradlabLab.runs.length === 1 &&
        window.gradlabLab.runs[0].run.status === 'done', null, { timeout: 240000 });
      const [run] = await rowsOf(page);
      assert.equal(run.rows.length, 90);
      for (const k of ['loss', 'gf_loss', 'cf_loss', 'cf_pred_loss', 'cf_sharpness', 'dist_gd_cf', 'dist_gd_gf'])
        assert.ok(run.rows.every((r) => Number.isFinite(r[k])), k);
      // The central flow reached 2/η and sits on it; gradient flow went past it.
      const threshold = 2 / 0.3;
      const last = run.rows[run.rows.length - 1];
      assert.ok(Math.abs(last.cf_sharpness / threshold - 1) < 1e-3, `cf sharpness ${last.cf_sharpness}`);
      assert.ok(last.cf_n_edge >= 1 && last.cf_sigma[0] > 0, JSON.stringify(last.cf_sigma));
      assert.ok(run.summary.final_gf_sharpness > threshold, JSON.stringify(run.summary));
      // GD crosses 2/η with the central flow (its first catapult follows, so the distances of
      // the end of a long run are not yet the point at step 90).
      assert.ok(Math.abs(run.summary.cf_crossing_step - run.summary.gd_crossing_step) <= 0.05 * run.summary.gd_crossing_step, JSON.stringify(run.summary));
      assert.ok(run.summary.cf_hold_max_rel_dev < 1e-3, JSON.stringify(run.summary));
      // One loss chart with four series (GD, GF, CF, prediction), one sharpness chart with three
      // and the 2/η line.
      for (let s = 1; s <= 4; ++s) assert.ok(await drawn(page, 'cf-loss', s) >= 80, `loss series ${s}`);
      assert.ok(await drawn(page, 'cf-sharpness', 1) >= 25, 'GD sharpness');
      assert.ok(await drawn(page, 'cf-sharpness', 2) >= 25, 'gradient flow sharpness');
      assert.ok(await drawn(page, 'cf-sharpness', 3) >= 80, 'central flow sharpness');
      const lines = await page.evaluate(() => window.gradlabLab.dashboard.charts['cf-sharpness'].hLines.map((l) => l.y));
      assert.ok(lines.some((y) => Math.abs(y - threshold) < 1e-9), `2/η line: ${lines}`);
      // One sentence per curve.
      const legend = await page.$$eval('#curve-legend li', (lis) => lis.map((li) => li.textContent));
      assert.equal(legend.length, 5);
      await page.screenshot({ path: path.join(shotDir, 'central-flow.png') });
      if (nativeCli) {
        // The same config natively: the same rows (float64; Lanczos and the third derivatives
        // go through GEMMs that round differently natively and in WASM, hence 1e-8).
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-cf-'));
        fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(TOY));
        execFileSync(nativeCli, ['run', path.join(dir, 'config.json'), '--out', path.join(dir, 'run'), '--quiet']);
        const native = fs.readFileSync(path.join(dir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
        fs.rmSync(dir, { recursive: true, force: true });
        assert.equal(native.length, run.rows.length);
        let worst = 0;
        native.forEach((row, i) => {
          for (const [k, v] of Object.entries(row)) {
            if (k === 'time_s' || typeof v !== 'number') continue;
            const w = run.rows[i][k];
            worst = Math.max(worst, Math.abs(v - w) / Math.max(Math.abs(v), Math.abs(w), 1e-12));
          }
        });
        assert.ok(worst <= 1e-8, `native vs WASM rows: relative difference ${worst}`);
      }
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'central flow page: the η slider rewrites the config and the 2/η note, and restarts the run',
    fn: async () => {
      const page = await open(lab.url + '/central-flow.html#' + b64url(JSON.stringify(Object.assign({}, TOY, { train: { steps: 20, log_every: 1 } }))));
      await page.waitForFunction(() => window.gradlabLab && window.gradlabLab.runs.length === 1 && window.gradlabLab.runs[0].run.rows.length >= 1, null, { timeout: 120000 });
      await page.fill('#field-optim-lr', '0.2');
      await page.dispatchEvent('#field-optim-lr', 'change');
      await page.waitForFunction(() => window.gradlabLab.config.optim.lr === 0.2);
      assert.ok(await page.$('#field-optim-lr-slider'), 'no η slider');
      await page.waitForFunction(() => window.gradlabLab.runs.length === 1 && window.gradlabLab.runs[0].run.rows.length >= 1 &&
        window.gradlabLab.runs[0].run.rows[0].threshold === 10, null, { timeout: 120000 });
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
];

await runPageSuite(tests, webDir, (b, l) => { browser = b; lab = l; }, { timeoutMs: 300000 });
