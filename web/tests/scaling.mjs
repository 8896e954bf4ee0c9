// scaling.mjs — the scaling-laws page (scaling.html) in headless Chromium under the lab's strict
// CSP, as browser.mjs does for the other pages: its tiny grid (3 widths × 3 step counts of a
// character-level transformer on the shipped KJV slice) trains live in workers, the points
// land on the L–N and L–C charts, the fits update as they arrive, and the exponent shown is
// the one the native `gradlab fit` finds on the page's own rows (the fit is the same C++ code,
// compiled to WASM). A native sweep.jsonl (fixtures/scaling-sweep.jsonl: `gradlab sweep
// experiments/scaling/browser_kjv_tiny.json` on the whole corpus) dropped in is fitted the same
// way; a file the fit cannot read shows its error. Screenshots at 1280 and 390 px.
//
//   node web/tests/scaling.mjs build/web [SCREENSHOT_DIR]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { runPageSuite } from './chromium.mjs';
import { assert, openPage } from './harness.mjs';

const webDir = path.resolve(process.argv[2] || 'build/web');
const shotDir = path.resolve(process.argv[3] || path.join(webDir, '..', 'web-tests'));
fs.mkdirSync(shotDir, { recursive: true });
const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '..', '..');
const nativeCli = [process.env.GRADLAB_NATIVE_CLI, path.join(root, 'build/native/gradlab')].find((p) => p && fs.existsSync(p));
const FIXTURE = path.join(here, 'fixtures', 'scaling-sweep.jsonl');

let browser, lab, page;

// Every refit as it lands: how many points it had and whether L(N) was fitted.
function logFits() {
  window.fitLog = [];
  document.addEventListener('gradlab:scaling-fitted', (e) => window.fitLog.push({ points: e.detail.points, kaplan: !!window.gradlabScaling.state.fits.kaplan, note: window.gradlabScaling.state.fitNotes.kaplan }));
  // Sent after the last run's refit has landed.
  document.addEventListener('gradlab:scaling-grid-done', () => { window.gridDone = true; });
}
const open = (url, width) => openPage(browser, url, { viewport: { width, height: 1000 }, init: logFits });

// `gradlab fit` natively on a file, with the page's options (fitOptions in scaling-page.js).
function nativeFit(file, options) {
  const args = ['fit', file, '--form', options.form, '--x', options.x.join(','), '--y', options.y];
  for (const [k, v] of Object.entries(options.where || {})) args.push('--where', `${k}=${v}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-scaling-grid-'));
  try {
    if (options.grid) {
      fs.writeFileSync(path.join(dir, 'grid.json'), JSON.stringify(options.grid));
      args.push('--grid', path.join(dir, 'grid.json'));
    }
    return JSON.parse(execFileSync(nativeCli, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const close = (a, b, tol, what) => assert.ok(Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b)), `${what}: WASM ${a} vs native ${b}`);
const shown = (p, cls) => p.$eval(`.${cls}`, (s) => Number(s.dataset.value));
const measured = (p, chart) => p.evaluate((c) => window.gradlabScaling.charts[c].series.filter((s) => s.points !== false).reduce((n, s) => n + s.xs.length, 0), chart);

const tests = [
  {
    name: 'scaling page: the 9-run grid trains live, points land on L–N and L–C as they arrive, and the fits update before the grid is done',
    fn: async () => {
      const t0 = Date.now();
      page = await open(lab.url + '/scaling.html', 1280);
      await page.waitForFunction(() => window.gridDone === true, null, { timeout: 90000 });
      const seconds = (Date.now() - t0) / 1000;
      console.log(`     grid trained and fitted in ${seconds.toFixed(1)} s`);
      const s = await page.evaluate(() => ({ rows: window.gradlabScaling.state.rows.size, points: window.gradlabScaling.state.points.length }));
      assert.equal(s.points, 9);
      assert.equal(s.rows, 9);
      assert.equal(await measured(page, 'ln'), 9);
      assert.equal(await measured(page, 'lc'), 9);
      // L(N) was fitted as soon as one D had runs of 3 sizes, long before the last run finished.
      const log = await page.evaluate(() => window.fitLog);
      assert.ok(log.some((f) => f.kaplan && f.points <= 6), JSON.stringify(log));
      // Loss falls with N at the largest D (a positive exponent), and every run at that D beats the
      // unigram entropy (the shortest runs of the smallest model need not).
      const alpha = await shown(page, 'fit-alpha');
      assert.ok(alpha > 0 && alpha < 1, `α_N = ${alpha}`);
      const rows = await page.evaluate(() => [...window.gradlabScaling.state.rows.values()]);
      const dMax = Math.max(...rows.map((r) => r.tokens));
      for (const r of rows.filter((x) => x.tokens === dMax)) assert.ok(r.final_validation_loss < r.unigram_entropy, `${r.id}: ${r.final_validation_loss} vs ${r.unigram_entropy}`);
      // The fitted curves are drawn: (N_c/N)^α on L–N, the frontier on L–C.
      // The final fits are on all 9 runs, L(N) at the largest D.
      assert.equal(await page.evaluate(() => window.gradlabScaling.state.fits.chinchilla.n_points), 9);
      assert.equal(await page.evaluate(() => window.gradlabScaling.state.kaplanD), dMax);
      const lines = await page.evaluate(() => window.gradlabScaling.charts.lc.series.filter((x) => x.points === false).map((x) => x.label));
      assert.deepEqual(lines, ['frontier L(N_opt, D_opt)']);
      assert.ok(await page.$eval('#frontier', (t) => !t.hidden && t.querySelectorAll('tr').length >= 3));
      console.log(`     α_N = ${alpha}`);
      await page.screenshot({ path: path.join(shotDir, 'scaling-1280.png'), fullPage: true });
      assert.deepEqual(page.problems, []);
    },
  },
  {
    name: 'scaling page: the exponents shown equal native `gradlab fit` on the page\'s exported rows (to 1e-6)',
    fn: async () => {
      assert.ok(nativeCli, 'no native gradlab (build/native/gradlab or GRADLAB_NATIVE_CLI)');
      const { text, dN, options } = await page.evaluate(() => ({ text: window.gradlabScaling.rowsJsonl(), dN: window.gradlabScaling.state.kaplanD, options: window.gradlabScaling.fitOptions(window.gradlabScaling.state.kaplanD) }));
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-scaling-'));
      const file = path.join(dir, 'sweep.jsonl');
      fs.writeFileSync(file, text);
      try {
        assert.equal(options.kaplan.where.tokens, dN);
        assert.equal(options.chinchilla.grid.a.length, 3);
        const kaplan = nativeFit(file, options.kaplan);
        assert.equal(kaplan.n_points, 3);
        close(await shown(page, 'fit-alpha'), kaplan.parameters.alpha, 1e-6, 'kaplan α_N');
        const chinchilla = nativeFit(file, options.chinchilla);
        close(await shown(page, 'fit-chinchilla-alpha'), chinchilla.parameters.alpha, 1e-6, 'chinchilla α');
        close(await shown(page, 'fit-frontier-a'), chinchilla.parameters.frontier_a, 1e-6, 'frontier a');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'scaling page: a dropped native sweep.jsonl replaces the points and is fitted as `gradlab fit` fits it',
    fn: async () => {
      await page.setInputFiles('#file-input', FIXTURE);
      await page.waitForFunction(() => window.gradlabScaling.state.source === 'file' && window.gradlabScaling.state.fits.kaplan, null, { timeout: 30000 });
      await page.waitForFunction(() => window.gradlabScaling.state.fits.chinchilla, null, { timeout: 30000 });
      assert.match(await page.textContent('#status'), /scaling-sweep\.jsonl: 9 completed runs/);
      assert.equal(await measured(page, 'ln'), 9);
      if (nativeCli) {
        // A dropped file gets `gradlab fit`'s default grid of starts (no --grid).
        const options = await page.evaluate(() => window.gradlabScaling.fitOptions(window.gradlabScaling.state.kaplanD, { live: false }));
        assert.equal(options.chinchilla.grid, undefined);
        close(await shown(page, 'fit-alpha'), nativeFit(FIXTURE, options.kaplan).parameters.alpha, 1e-6, 'dropped file: kaplan α_N');
        await page.waitForFunction(() => window.gradlabScaling.state.fits.chinchilla, null, { timeout: 30000 });
        const chinchilla = nativeFit(FIXTURE, options.chinchilla);
        assert.equal(chinchilla.n_starts, 4500);
        close(await shown(page, 'fit-chinchilla-alpha'), chinchilla.parameters.alpha, 1e-6, 'dropped file: chinchilla α');
      }
      assert.deepEqual(page.problems, []);
    },
  },
  {
    name: 'scaling page: a file the fit cannot read shows a readable error and keeps the last fit',
    fn: async () => {
      const before = await shown(page, 'fit-alpha');
      await page.setInputFiles('#file-input', { name: 'notes.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from('this is not a sweep\n') });
      await page.waitForSelector('#error-banner:not([hidden])', { timeout: 30000 });
      const message = await page.textContent('#error-banner');
      assert.match(message, /Cannot fit notes\.jsonl/);
      // Not JSON, so read as a CSV whose header lacks the keys.
      assert.match(message, /notes\.jsonl: no column "n_params_non_embedding" in the header/);
      // A JSON row without the counts: the missing key is named.
      await page.setInputFiles('#file-input', { name: 'other.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from('{"id": "a", "final_validation_loss": 2.5}\n') });
      await page.waitForFunction(() => /other\.jsonl/.test(document.querySelector('#error-banner').textContent), null, { timeout: 30000 });
      assert.match(await page.textContent('#error-banner'), /no key "n_params_non_embedding"/);
      assert.equal(await shown(page, 'fit-alpha'), before);
      assert.equal(await page.evaluate(() => window.gradlabScaling.state.fileName), 'scaling-sweep.jsonl');
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'scaling page at 390 px: no horizontal overflow, the charts fit the viewport',
    fn: async () => {
      const p = await open(lab.url + '/scaling.html', 390);
      await p.waitForFunction(() => window.gradlabScaling && window.gradlabScaling.state.config, null, { timeout: 30000 });
      await p.setInputFiles('#file-input', FIXTURE);
      await p.waitForFunction(() => window.gradlabScaling.state.source === 'file' && window.gradlabScaling.state.fits.chinchilla, null, { timeout: 30000 });
      await p.screenshot({ path: path.join(shotDir, 'scaling-390.png'), fullPage: true });
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `page is ${overflow} px wider than the viewport`);
      const widest = await p.$$eval('.chart canvas', (cs) => Math.max(...cs.map((c) => c.getBoundingClientRect().right)));
      assert.ok(widest <= 390, `a chart reaches x = ${widest}`);
      assert.deepEqual(p.problems, []);
      await p.closeAll();
    },
  },
];

await runPageSuite(tests, webDir, (b, l) => { browser = b; lab = l; }, { timeoutMs: 120000 });
