// grokking.mjs — the grokking and sparse-parity pages (grokking.html, sparse-parity.html) in
// headless Chromium under the lab's strict CSP, as browser.mjs does for the other pages: no
// console errors, rows stream, and the science of issue 19 comes out on the browser sizes:
// the quadratic MLP on (a + b) mod 31 memorises and then generalises at ≥ 2× the step within
// 60 s, its spectrum chart follows the latest row; n = 20, k = 3 parity is solved after a plateau.
//
//   node web/tests/grokking.mjs build/web [SCREENSHOT_DIR]
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

const runsOf = (page) => page.evaluate(() => window.gradlabLab.runs.map((r) => ({ status: r.run.status, rows: r.run.rows, summary: r.run.state && r.run.state.summary })));

// experiments/grokking/browser_p31.json at 600 steps (natively: memorised at step 30,
// generalised at 160).
const GROK = {
  kind: 'grokking', seed: 0, dtype: 'float32',
  data: { source: 'modular', p: 31, op: 'add', train_fraction: 0.5 },
  model: { type: 'mlp', widths: [128], activation: 'quadratic', bias: false },
  loss: 'mse', optim: { type: 'adamw', lr: 0.01, weight_decay: 1.0 },
  train: { steps: 600, batch_size: 'full', log_every: 10 },
};

const PARITY = {
  kind: 'sparse_parity', seed: 0, dtype: 'float32',
  data: { source: 'sparse_parity', n_bits: 20, k: 3, n_train: 200, n_test: 1000 },
  model: { type: 'mlp', widths: [256], activation: 'relu' },
  loss: 'hinge', optim: { type: 'sgd', lr: 0.1 },
  train: { steps: 1500, batch_size: 32, online: true, log_every: 10 },
};

const tests = [
  {
    name: 'home page has cards for the grokking and sparse-parity pages',
    fn: async () => {
      const page = await open(lab.url + '/index.html');
      await page.waitForLoadState('networkidle');
      const links = await page.$$eval('.card a.go', (as) => as.map((a) => a.getAttribute('href')));
      assert.ok(links.includes('grokking.html'), links.join(', '));
      assert.ok(links.includes('sparse-parity.html'), links.join(', '));
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'grokking page: p = 31 quadratic MLP memorises, then generalises at >= 2x the step, within 60 s; the spectrum follows the rows',
    fn: async () => {
      const started = Date.now();
      const page = await open(lab.url + '/grokking.html#' + b64url(JSON.stringify(GROK)));
      await page.waitForFunction(() => window.gradlabLab.runs.length === 1 && window.gradlabLab.runs[0].run.status === 'done', null, { timeout: 60000 });
      const seconds = (Date.now() - started) / 1000;
      const [run] = await runsOf(page);
      const s = run.summary;
      assert.ok(Number.isFinite(s.memorize_step) && Number.isFinite(s.generalize_step), JSON.stringify(s));
      assert.ok(s.generalize_step >= 2 * s.memorize_step, `memorised ${s.memorize_step}, generalised ${s.generalize_step}`);
      assert.ok(seconds <= 60, `took ${seconds} s`);
      const last = run.rows[run.rows.length - 1];
      assert.equal(last.fourier.length, 16);  // k = 0..15 for p = 31
      const drawn = await page.evaluate(() => window.gradlabLab.dashboard.charts.fourier.plot.data[1].filter((v) => v !== null).length);
      assert.equal(drawn, 16);
      await page.screenshot({ path: path.join(shotDir, 'grokking.png') });
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'sparse-parity page: n = 20, k = 3 is solved after a plateau at chance, the secret-weight ratio rising',
    fn: async () => {
      const page = await open(lab.url + '/sparse-parity.html#' + b64url(JSON.stringify(PARITY)));
      await page.waitForFunction(() => window.gradlabLab.runs.length === 1 && window.gradlabLab.runs[0].run.status === 'done', null, { timeout: 120000 });
      const [run] = await runsOf(page);
      const s = run.summary;
      assert.ok(Number.isFinite(s.solve_step), JSON.stringify(s));
      assert.ok(run.rows[0].test_acc < 0.6, `initial accuracy ${run.rows[0].test_acc}`);
      const ratio = run.rows.map((r) => r.secret_weight_ratio);
      assert.ok(ratio[ratio.length - 1] > 1.2 * ratio[0], `ratio ${ratio[0]} → ${ratio[ratio.length - 1]}`);
      await page.screenshot({ path: path.join(shotDir, 'sparse-parity.png') });
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
];

await runPageSuite(tests, webDir, (b, l) => { browser = b; lab = l; }, { timeoutMs: 300000 });
