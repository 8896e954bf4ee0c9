// phenomena.mjs — the catapult and mode-connectivity pages (catapult.html,
// mode-connectivity.html) in headless Chromium under the lab's strict CSP, as
// generalisation.mjs does for its pages: no console errors, the runs finish in the page, and
// the science comes out right on small instances.
//
//   node web/tests/phenomena.mjs build/web [SCREENSHOT_DIR]
import fs from 'node:fs';
import path from 'node:path';
import { runPageSuite } from './chromium.mjs';
import { assert, openPage } from './harness.mjs';

const webDir = path.resolve(process.argv[2] || 'build/web');
const shotDir = path.resolve(process.argv[3] || path.join(webDir, '..', 'web-tests'));
fs.mkdirSync(shotDir, { recursive: true });

const b64url = (text) => Buffer.from(text, 'utf8').toString('base64url');

let browser, lab;

const open = (url) => openPage(browser, url);

const runsOf = (page) => page.evaluate(() => window.gradlabLab.runs.map((r) => ({ label: r.label, status: r.run.status, rows: r.run.rows, summary: r.run.state && r.run.state.summary })));

// The uv model of Lewkowycz et al. (width 1000, x = 1, y = 0) at three η·λ₀: one per phase.
const UV_SWEEP = {
  kind: 'catapult', seed: 0,
  catapult: { model: 'uv', width: 1000, lr_times_sharpness: 1 },
  train: { steps: 100, log_every: 1 },
  sweep: { 'catapult.lr_times_sharpness': [1.5, 3, 4.5] },
};

// Two 784-32-10 MLPs on 200 Fashion-MNIST images (the C++ test's setting, fewer points).
const SMALL_MC = {
  kind: 'mode_connectivity', seed: 0, dtype: 'float32',
  data: { source: 'fashion_mnist', n_train: 200, n_test: 100, preprocess: ['standardize'] },
  model: { type: 'mlp', widths: [32], activation: 'relu' },
  loss: 'cross_entropy', optim: { type: 'sgd', lr: 0.05, momentum: 0.9 },
  train: { steps: 100, batch_size: 100, log_every: 10 },
  mode_connectivity: { seed_b: 1, bend_steps: 100, points: 11, slice_points: 5 },
};

const tests = [
  {
    name: 'home page has cards for the catapult and mode-connectivity pages',
    fn: async () => {
      const page = await open(lab.url + '/index.html');
      await page.waitForLoadState('networkidle');
      const links = await page.$$eval('.card a.go', (as) => as.map((a) => a.getAttribute('href')));
      assert.ok(links.includes('catapult.html'), links.join(', '));
      assert.ok(links.includes('mode-connectivity.html'), links.join(', '));
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'catapult page: a sweep of η·λ₀ on the uv model gives the lazy, catapult and divergent phases, coloured in the table',
    fn: async () => {
      const page = await open(lab.url + '/catapult.html#' + b64url(JSON.stringify(UV_SWEEP)));
      await page.waitForFunction(() => window.gradlabLab.runs.length === 3 &&
        window.gradlabLab.runs.every((r) => r.run.state && r.run.state.summary && r.run.state.summary.phase), null, { timeout: 120000 });
      const runs = await runsOf(page);
      const phases = runs.map((r) => [r.summary.lr_times_sharpness, r.summary.phase]).sort((a, b) => a[0] - b[0]);
      assert.deepEqual(phases, [[1.5, 'lazy'], [3, 'catapult'], [4.5, 'divergent']]);
      const cat = runs.find((r) => r.summary.phase === 'catapult');
      assert.ok(cat.summary.peak_loss_ratio >= 10, `peak ${cat.summary.peak_loss_ratio}`);
      assert.ok(cat.summary.final_sharpness_ratio < 1, `final ηλ/2 ${cat.summary.final_sharpness_ratio}`);
      await page.waitForFunction(() => document.querySelectorAll('#phase-table tbody tr').length === 3);
      const table = await page.$$eval('#phase-table tbody tr', (trs) => trs.map((tr) => tr.dataset.phase));
      assert.deepEqual(table, ['lazy', 'catapult', 'divergent']);
      // The log-y loss axis spans ~40 decades (1e-33 … 1e12): it labels several, not one
      // (uPlot's drawn labels, `_values`, null where its filter dropped one).
      const labels = await page.evaluate(() => window.gradlabLab.dashboard.charts.loss.plot.axes[1]._values.filter((v) => v));
      assert.ok(labels.length >= 4, `log-y labels: ${JSON.stringify(labels)}`);
      await page.screenshot({ path: path.join(shotDir, 'catapult.png') });
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'mode connectivity page: the three paths and the landscape slice are computed in the page; the Bézier curve and matching lower the barrier',
    fn: async () => {
      const page = await open(lab.url + '/mode-connectivity.html#' + b64url(JSON.stringify(SMALL_MC)));
      await page.waitForFunction(() => window.gradlabLab.runs.length === 1 &&
        window.gradlabLab.runs[0].run.state && window.gradlabLab.runs[0].run.state.summary &&
        Number.isFinite(window.gradlabLab.runs[0].run.state.summary.barrier_linear) &&
        window.gradlabLab.runs[0].run.status === 'done', null, { timeout: 180000 });
      const [run] = await runsOf(page);
      const s = run.summary;
      assert.ok(s.barrier_linear > 0.1, `linear barrier ${s.barrier_linear}`);
      assert.ok(s.barrier_bezier < s.barrier_linear / 4, `Bézier ${s.barrier_bezier} vs linear ${s.barrier_linear}`);
      assert.ok(s.barrier_matched < s.barrier_linear, `matched ${s.barrier_matched} vs linear ${s.barrier_linear}`);
      assert.equal(run.rows.filter((r) => r.phase === 'curve').length, 11);
      assert.equal(run.rows.filter((r) => r.phase === 'slice').length, 5);
      // The heatmap drew the grid: its canvas is not blank.
      const painted = await page.evaluate(() => {
        const c = document.querySelector('#chart-slice canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) n += d[i] > 0;
        return n / (c.width * c.height);
      });
      assert.ok(painted > 0.5, `heatmap painted ${painted}`);
      await page.screenshot({ path: path.join(shotDir, 'mode-connectivity.png') });
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
];

await runPageSuite(tests, webDir, (b, l) => { browser = b; lab = l; }, { timeoutMs: 300000 });
