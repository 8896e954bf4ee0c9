// browser.mjs — the browser lab in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; never a downloaded browser). Every page is served with the strict
// Content-Security-Policy `script-src 'self' 'wasm-unsafe-eval'`, so any eval, inline script
// or inline handler would show up as a console error and fail the tests.
//
//   node web/tests/browser.mjs build/web [SCREENSHOT_DIR]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { launchChromium } from './chromium.mjs';
import { assert, openPage, runSuite } from './harness.mjs';
import { serve } from './server.mjs';

const webDir = path.resolve(process.argv[2] || 'build/web');
const shotDir = path.resolve(process.argv[3] || path.join(webDir, '..', 'web-tests'));
const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '..', '..');
const nativeCli = [process.env.GRADLAB_NATIVE_CLI, path.join(root, 'build/native/gradlab')].find((p) => p && fs.existsSync(p));
fs.mkdirSync(shotDir, { recursive: true });


const b64url = (text) => Buffer.from(text, 'utf8').toString('base64url');
const readJson = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
// A page preset: presets/experiments/<folder>/<file> without its profiles block (these have no
// web profile: they are browser-sized already).
const preset = (folder, file) => { const c = readJson(path.join(webDir, 'presets', 'experiments', folder, file)); delete c.profiles; return c; };
const SPIRAL = preset('edge_of_stability', 'browser_spiral_fast.json');
const spiral = (over = {}) => Object.assign(JSON.parse(JSON.stringify(SPIRAL)), over);

// The lab's server (the embedded lab's tests, with other origins, are in embed.mjs).
let browser, lab, isolatedLab;

async function setup() {
  browser = await launchChromium();
  lab = await serve(webDir);
  isolatedLab = await serve(webDir, { isolated: true });  // COOP + COEP: the threaded module
}

async function teardown() {
  if (browser) await browser.close();
  for (const s of [lab, isolatedLab]) if (s) await s.close();
}

// A fresh page that records console errors, page errors and failed requests.
const open = (url, { viewport, route } = {}) => openPage(browser, url, { viewport, route, acceptDownloads: true });

// Rows of every run the EoS lab holds, from the page.
const labRows = (page) => page.evaluate(() => window.gradlabLab.runs.map((r) => r.run.rows));
const runStatus = (page) => page.evaluate(() => window.gradlabLab.runs.map((r) => ({ status: r.run.status, state: r.run.state })));

async function waitRows(page, n, timeout = 60000) {
  await page.waitForFunction((n) => window.gradlabLab && window.gradlabLab.runs.length > 0 && window.gradlabLab.runs.every((r) => r.run.rows.length >= n), n, { timeout });
}

async function downloadText(page, selector) {
  // The export buttons sit in a closed <details>: click them as a script would.
  const [download] = await Promise.all([page.waitForEvent('download'), page.$eval(selector, (b) => b.click())]);
  return { name: download.suggestedFilename(), text: fs.readFileSync(await download.path(), 'utf8') };
}

function parseCsv(text) {
  const lines = [];
  let row = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n') { row.push(cell); lines.push(row); row = []; cell = ''; }
    else cell += c;
  }
  return lines;
}

const withoutTime = (rows) => rows.map((r) => { const c = Object.assign({}, r); delete c.time_s; return c; });

const tests = [
  {
    name: 'a preset chosen while the default one still downloads its data runs alone: no run of the old config under the new label',
    fn: async () => {
      // The Fashion-MNIST subset arrives 2 s late: the spiral preset's start (no data to fetch)
      // overtakes the default preset's, which must then not replace it when its data arrive.
      const late = { url: '**/data/fashion-mnist/**', handler: async (r) => { await new Promise((ok) => setTimeout(ok, 2000)); await r.continue(); } };
      const page = await open(lab.url + '/eos.html', { route: late });
      await page.waitForFunction(() => window.gradlabLab && window.gradlabLab.runs.length === 1 && window.gradlabLab.runs[0].run.status === 'loading');
      await page.selectOption('#preset', 'browser_spiral_fast.json');
      await page.waitForFunction(() => window.gradlabLab.runs.length >= 1 && window.gradlabLab.runs.every((r) => r.run.rows.length >= 3 && r.run.config), null, { timeout: 60000 });
      await page.waitForTimeout(2500);  // past the late data: the old start would have taken over by now
      const runs = await page.evaluate(() => window.gradlabLab.runs.map((r) => ({ label: r.label, source: r.run.config.data.source, lr: r.run.config.optim.lr })));
      for (const r of runs) assert.equal(r.source, 'synthetic', JSON.stringify(runs));
      assert.deepEqual(runs.map((r) => r.lr), [SPIRAL.optim.lr], JSON.stringify(runs));
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'home page loads with one card per experiment and no console errors',
    fn: async () => {
      const page = await open(lab.url + '/index.html');
      await page.waitForLoadState('networkidle');
      const cards = await page.$$eval('.card h2', (hs) => hs.map((h) => h.textContent));
      assert.ok(cards.length >= 3, cards.join(', '));
      assert.ok(cards.some((c) => /Edge of stability/.test(c)));
      // The kind cards are the kind table's page descriptors (schema.json), in table order,
      // then the viewer's: a kind with a page gets its card without an edit to index.html.
      const schema = JSON.parse(fs.readFileSync(path.join(webDir, 'schema.json'), 'utf8'));
      const pages = schema.kinds.filter((k) => k.page && k.page.card).map((k) => k.page.file);
      assert.ok(pages.length >= 5, pages.join(', '));
      const links = await page.$$eval('.card a.go', (as) => as.map((a) => a.getAttribute('href')));
      assert.deepEqual(links, [...pages, 'viewer.html']);
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'EoS page: the default preset (MLP on Fashion-MNIST) streams rows; sharpness is finite and rises',
    fn: async () => {
      const page = await open(lab.url + '/eos.html');
      await page.waitForFunction(() => window.gradlabLab && window.gradlabLab.runs.length === 1 &&
        window.gradlabLab.runs[0].run.rows.filter((r) => 'sharpness' in r).length >= 3, null, { timeout: 90000 });
      const [rows] = await labRows(page);
      const sharp = rows.filter((r) => 'sharpness' in r).map((r) => r.sharpness);
      assert.ok(sharp.every(Number.isFinite), JSON.stringify(sharp));
      assert.ok(sharp[sharp.length - 1] > sharp[0], `sharpness did not rise: ${sharp}`);
      assert.ok(rows.every((r) => Number.isFinite(r.loss)));
      // The charts drew the streamed series.
      const drawn = await page.evaluate(() => window.gradlabLab.dashboard.charts.sharpness.plot.data[1].filter((v) => v !== null).length);
      assert.ok(drawn >= 3, `sharpness chart has ${drawn} points`);
      // The first chart update was the preview (step 0's losses, sent before its probe), and
      // it holds the numbers step 0's row then logged.
      const first = await page.evaluate(() => ({ preview: window.gradlabLab.runs[0].run.preview, chart: window.gradlabLab.firstChartAt, row: window.gradlabLab.firstRowAt }));
      assert.equal(first.preview.step, 0);
      assert.equal(first.preview.loss, rows[0].loss);
      assert.equal(first.preview.train_acc, rows[0].train_acc);
      assert.ok(first.chart !== null && first.chart <= first.row, JSON.stringify(first));
      await page.screenshot({ path: path.join(shotDir, 'eos-mid-run.png') });
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'EoS page: pause stops the run, step advances exactly one step, reset returns to step 0',
    fn: async () => {
      const page = await open(lab.url + '/eos.html#' + b64url(JSON.stringify(spiral({ train: { steps: 100000, log_every: 1 } }))));
      await waitRows(page, 5);
      await page.click('#btn-pause');
      await page.waitForFunction(() => window.gradlabLab.runs[0].run.status === 'paused');
      const before = (await runStatus(page))[0].state.steps_done;
      await page.waitForTimeout(700);
      assert.equal((await runStatus(page))[0].state.steps_done, before, 'the run moved while paused');
      const rowsBefore = (await labRows(page))[0].length;
      await page.click('#btn-step');
      await page.waitForFunction((b) => window.gradlabLab.runs[0].run.state.steps_done === b + 1 && window.gradlabLab.runs[0].run.status === 'paused', before);
      const rowsAfter = (await labRows(page))[0];
      assert.equal(rowsAfter.length, rowsBefore + 1);
      assert.equal(rowsAfter[rowsAfter.length - 1].step, before);
      await page.click('#btn-reset');
      await page.waitForFunction(() => window.gradlabLab.runs[0].run.state && window.gradlabLab.runs[0].run.state.steps_done === 0 && window.gradlabLab.runs[0].run.rows.length === 0);
      await page.click('#btn-step');
      await page.waitForFunction(() => window.gradlabLab.runs[0].run.rows.length === 1);
      assert.equal((await labRows(page))[0][0].step, 0);
      await page.click('#btn-pause');  // now "Resume"
      await waitRows(page, 4);
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'EoS page: the URL hash round-trips the config exactly and restores the exact run; config.json is what `gradlab run` accepts',
    fn: async () => {
      const config = spiral({ seed: 7, optim: { type: 'gd', lr: 0.15 }, train: { steps: 40, log_every: 2, batch_size: 'full' } });
      const hash = '#' + b64url(JSON.stringify(config));
      const first = await open(lab.url + '/eos.html' + hash);
      await first.waitForFunction(() => window.gradlabLab.runs[0] && window.gradlabLab.runs[0].run.status === 'done', null, { timeout: 60000 });
      assert.equal(await first.evaluate(() => location.hash), hash);
      assert.deepEqual(await first.evaluate(() => window.gradlabLab.config), config);
      const exported = await downloadText(first, '#btn-export-config');
      assert.equal(exported.name, 'config.json');
      assert.deepEqual(JSON.parse(exported.text), config);
      const rows1 = (await labRows(first))[0];
      await first.closeAll();
      const second = await open(lab.url + '/eos.html' + hash);
      await second.waitForFunction(() => window.gradlabLab.runs[0] && window.gradlabLab.runs[0].run.status === 'done', null, { timeout: 60000 });
      assert.deepEqual(withoutTime((await labRows(second))[0]), withoutTime(rows1));
      await second.closeAll();
      if (nativeCli) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-export-'));
        fs.writeFileSync(path.join(dir, 'config.json'), exported.text);
        const out = execFileSync(nativeCli, ['validate', path.join(dir, 'config.json')], { encoding: 'utf8' });
        assert.match(out, /ok/);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'EoS page: the CSV export equals the rows received (two overlaid runs)',
    fn: async () => {
      const config = spiral({ train: { steps: 30, log_every: 3 }, sweep: { 'optim.lr': [0.1, 0.2] } });
      const page = await open(lab.url + '/eos.html#' + b64url(JSON.stringify(config)));
      await page.waitForFunction(() => window.gradlabLab.runs.length === 2 && window.gradlabLab.runs.every((r) => r.run.status === 'done'), null, { timeout: 60000 });
      const runs = await page.evaluate(() => window.gradlabLab.runs.map((r) => ({ id: r.id, rows: r.run.rows })));
      const { text } = await downloadText(page, '#btn-export-csv');
      const [header, ...lines] = parseCsv(text);
      assert.equal(header[0], 'run');
      const rebuilt = new Map(runs.map((r) => [r.id, []]));
      for (const cells of lines) {
        const row = {};
        header.forEach((key, i) => {
          if (i === 0 || cells[i] === '') return;
          const m = key.match(/^(.*)\.(\d+)$/);
          if (m) (row[m[1]] = row[m[1]] || [])[Number(m[2])] = Number(cells[i]);
          else row[key] = Number(cells[i]);
        });
        rebuilt.get(cells[0]).push(row);
      }
      for (const r of runs) assert.deepEqual(rebuilt.get(r.id), r.rows, `run ${r.id}`);
      // Logged: every 3rd step, the sharpness probes (every 20) and the last step.
      assert.ok(runs.every((r) => r.rows.length === 12), runs.map((r) => r.rows.length).join(','));
      await page.closeAll();
    },
  },
  {
    name: 'page skeleton: the descriptor\'s fields come from schema.json; an edit rewrites the config and the URL hash; `when` conditions show and hide fields',
    fn: async () => {
      const schema = readJson(path.join(webDir, 'schema.json'));
      const page_ = schema.kinds.find((k) => k.name === 'edge_of_stability').page;
      const page = await open(lab.url + '/eos.html#' + b64url(JSON.stringify(spiral())) + '&autorun=0');
      await page.waitForFunction(() => window.gradlabLab && window.gradlabLab.config && document.querySelector('#field-train-steps'));
      // Every descriptor field has its row, labelled as the descriptor says; the help text is the schema's doc.
      const rows = await page.$$eval('#fields .field', (fs) => fs.map((f) => ({ path: f.dataset.path, label: f.querySelector('label:not(.inline)').textContent, title: f.querySelector('label:not(.inline)').title })));
      assert.equal(rows.length, page_.fields.length);
      const steps = rows.find((r) => r.path === 'train.steps');
      assert.equal(steps.label, page_.fields.find((f) => f.path === 'train.steps').label);
      assert.equal(steps.title, schema.keys.find((k) => k.path === 'train.steps').doc);
      // The select's options are the schema's choices (the descriptor picks which).
      const activations = await page.$$eval('#field-model-activation option', (os) => os.map((o) => o.value));
      const schemaChoices = schema.keys.filter((k) => k.path === 'model.activation').flatMap((k) => k.choices || []);
      assert.ok(activations.length > 1 && activations.every((a) => schemaChoices.includes(a)), activations.join(','));
      // Edit: the config and the hash follow, once the WASM validator has accepted the value.
      await page.fill('#field-train-steps', '77');
      await page.dispatchEvent('#field-train-steps', 'change');
      await page.waitForFunction(() => window.gradlabLab.config.train.steps === 77);
      const hashConfig = await page.evaluate(() => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(location.hash.slice(1).split('&')[0].replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)))));
      assert.deepEqual(hashConfig, spiral({ train: Object.assign({}, SPIRAL.train, { steps: 77 }) }));
      // data.generator applies to synthetic data only, model.widths to MLPs and model.channels to
      // CNNs (schema `when`); choosing a source or a model puts in the descriptor's starting block.
      const visible = (p) => page.$eval(`#fields .field[data-path="${p}"]`, (f) => !f.hidden);
      assert.equal(await visible('data.generator'), true);
      await page.selectOption('#field-data-source', 'fashion_mnist');
      await page.waitForFunction(() => window.gradlabLab.config.data.source === 'fashion_mnist');
      assert.equal(await visible('data.generator'), false);
      assert.equal(await visible('model.widths'), true);
      assert.equal(await visible('model.channels'), false);
      await page.selectOption('#field-model-type', 'cnn');
      await page.waitForFunction(() => window.gradlabLab.config.model.type === 'cnn');
      assert.equal(await visible('model.widths'), false);
      assert.equal(await visible('model.channels'), true);
      assert.deepEqual(await page.evaluate(() => window.gradlabLab.config.model), page_.fields.find((f) => f.path === 'model.type').starts.cnn);
      assert.deepEqual(await page.evaluate(() => window.gradlabLab.config.data), page_.fields.find((f) => f.path === 'data.source').starts.fashion_mnist);
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'page skeleton: an edit made while the previous restart is still starting is not lost: the latest config is what runs',
    fn: async () => {
      const page = await open(lab.url + '/eos.html#' + b64url(JSON.stringify(spiral())));
      await waitRows(page, 1, 90000);
      const setSeed = async (v) => { await page.fill('#field-seed', String(v)); await page.dispatchEvent('#field-seed', 'change'); };
      await setSeed(1);
      await page.waitForFunction(() => window.gradlabLab.config.seed === 1);
      await page.waitForTimeout(350);  // the restart (300 ms after the edit) is under way
      await setSeed(2);
      await page.waitForFunction(() => window.gradlabLab.config.seed === 2);
      await page.waitForFunction(() => window.gradlabLab.runs.length === 1 && window.gradlabLab.runs[0].run.config &&
        window.gradlabLab.runs[0].run.config.seed === 2 && window.gradlabLab.runs[0].run.rows.length >= 1, null, { timeout: 60000 });
      await page.waitForTimeout(1000);  // no late restart on an older config
      assert.equal(await page.evaluate(() => window.gradlabLab.runs[0].run.config.seed), 2);
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'page skeleton: an invalid value shows the WASM validator\'s message and the form keeps the last valid config',
    fn: async () => {
      const page = await open(lab.url + '/eos.html#' + b64url(JSON.stringify(spiral())) + '&autorun=0');
      await page.waitForFunction(() => window.gradlabLab && window.gradlabLab.config && document.querySelector('#field-train-steps'));
      const hash = await page.evaluate(() => location.hash);
      // The message the WASM module itself gives for the same config (under node).
      const { createRequire } = await import('node:module');
      const g = await createRequire(import.meta.url)(path.join(webDir, 'js', 'gradlab_web.js'))({ wasmBinary: fs.readFileSync(path.join(webDir, 'js', 'gradlab_web.wasm')) });
      for (const [text, value] of [['0', 0], ['2.5', 2.5], ['-3', -3]]) {
        let expected = null;
        try { g.sweepPoints(JSON.stringify(spiral({ train: Object.assign({}, SPIRAL.train, { steps: value }) })), ''); } catch (e) { expected = e.message; }
        assert.ok(expected, `the validator accepted train.steps = ${text}`);
        await page.fill('#field-train-steps', text);
        await page.dispatchEvent('#field-train-steps', 'change');
        await page.waitForSelector('#error-banner:not([hidden])');
        assert.equal(await page.textContent('#error-banner .error-message'), expected);
        await page.waitForFunction(() => document.querySelector('#field-train-steps').value === String(window.gradlabLab.config.train.steps));
        assert.equal(await page.evaluate(() => window.gradlabLab.config.train.steps), SPIRAL.train.steps);
        assert.equal(await page.evaluate(() => location.hash), hash);
        await page.click('#error-banner .dismiss');
      }
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'EoS page: a bad config in the URL shows a readable error and the page keeps working',
    fn: async () => {
      const bad = await open(lab.url + '/eos.html#' + b64url(JSON.stringify({ kind: 'edge_of_stability', optim: { lrr: 0.1 } })));
      await bad.waitForSelector('#error-banner:not([hidden])');
      const message = await bad.textContent('#error-banner');
      assert.match(message, /unknown key optim\.lrr — did you mean optim\.lr\?/);
      await waitRows(bad, 1, 90000);  // the default preset runs instead
      await bad.closeAll();
      const garbage = await open(lab.url + '/eos.html#not%base64!');
      await garbage.waitForSelector('#error-banner:not([hidden])');
      assert.match(await garbage.textContent('#error-banner'), /base64url/);
      await garbage.closeAll();
    },
  },
  {
    name: 'viewer: a native metrics.jsonl + config.json + summary.json render in the charts and the status; a malformed file shows an error and the viewer keeps working',
    fn: async () => {
      const page = await open(lab.url + '/viewer.html');
      const fixture = path.join(here, 'fixtures', 'spiral-metrics.jsonl');
      const rows = fs.readFileSync(fixture, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      await page.setInputFiles('#file-input', [fixture, path.join(here, 'fixtures', 'spiral-config.json'), path.join(here, 'fixtures', 'spiral-summary.json')]);
      await page.waitForFunction(() => window.gradlabViewer.runs.length === 1);
      const loaded = await page.evaluate(() => ({ rows: window.gradlabViewer.runs[0].rows, kind: window.gradlabViewer.config.kind }));
      assert.deepEqual(loaded.rows, rows);
      assert.equal(loaded.kind, 'edge_of_stability');
      await page.waitForFunction(() => document.querySelectorAll('#chart-sharpness canvas').length > 0);
      const points = await page.evaluate(() => window.gradlabLab === undefined && document.querySelector('#chart-loss .u-title').textContent);
      assert.equal(points, 'Training loss');
      assert.match(await page.textContent('#status'), /edge of stability reached at step 220/);  // summary.json's eos_step
      assert.doesNotMatch(await page.textContent('#chart-sharpness'), /averaged iterate/);
      // Rows with sharpness_avg (probe.average_window) get a second, dashed sharpness line.
      const averaged = rows.map((r) => (Number.isFinite(r.sharpness) ? Object.assign({ sharpness_avg: 0.9 * r.sharpness }, r) : r));
      await page.setInputFiles('#file-input', { name: 'averaged.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(averaged.map((r) => JSON.stringify(r)).join('\n') + '\n') });
      await page.waitForFunction(() => /averaged iterate/.test(document.querySelector('#chart-sharpness').textContent), null, { timeout: 30000 });
      // A malformed file: readable error naming the file and line; the loaded runs stay.
      await page.setInputFiles('#file-input', { name: 'broken.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from('{"step": 0, "loss": 1}\n{"step": 1, "loss": \n') });
      await page.waitForSelector('#error-banner:not([hidden])');
      assert.match(await page.textContent('#error-banner'), /broken\.jsonl:2: not a JSON object/);
      assert.equal(await page.evaluate(() => window.gradlabViewer.runs.length), 2);  // both loaded runs stay
      await page.screenshot({ path: path.join(shotDir, 'viewer.png') });
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'viewer: a dropped sweep.jsonl draws a summary key against a swept key, one line per value of another; points sharing an x are averaged',
    fn: async () => {
      const page = await open(lab.url + '/viewer.html');
      const fixture = path.join(here, 'fixtures', 'quadratic-sweep.jsonl');  // gradlab sweep output
      const rows = fs.readFileSync(fixture, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(await page.isHidden('#sweep-panel'), true);
      await page.setInputFiles('#file-input', fixture);
      await page.waitForFunction(() => window.gradlabViewer.sweeps.files.length === 1);
      await page.waitForSelector('#sweep-panel:not([hidden])');
      assert.equal(await page.evaluate(() => window.gradlabViewer.runs.length), 0);  // not a metrics file
      const options = async (sel) => page.evaluate((s) => [...document.querySelectorAll(`${s} option`)].map((o) => o.value), sel);
      assert.deepEqual(await options('#sweep-x'), ['optim.lr']);  // the eigenvalue lists are not numbers
      assert.ok((await options('#sweep-y')).includes('final_loss'));
      assert.ok(!(await options('#sweep-y')).includes('lr'));  // a swept key is not a result
      assert.deepEqual(await options('#sweep-group'), ['(none)', 'optim.lr', 'quadratic.eigenvalues']);
      await page.selectOption('#sweep-y', 'final_loss');
      await page.selectOption('#sweep-group', 'quadratic.eigenvalues');
      await page.waitForFunction(() => document.querySelectorAll('#chart-sweep canvas').length > 0);
      const lines = await page.evaluate(() => window.gradlabViewer.sweeps.lines);
      assert.deepEqual(lines.map((l) => l.label), ['quadratic.eigenvalues = 1×3', 'quadratic.eigenvalues = 1×2']);
      for (const line of lines) {
        const eig = line.label.endsWith('1×3') ? 3 : 2;
        const want = rows.filter((r) => r['quadratic.eigenvalues'][1] === eig).sort((a, b) => a.lr - b.lr);
        assert.deepEqual(line.points, want.map((r) => [r.lr, r.final_loss, 1]));
      }
      assert.match(await page.textContent('#chart-sweep .u-title'), /final_loss vs optim\.lr/);
      // No grouping: the two eigenvalue settings at each lr are averaged.
      await page.selectOption('#sweep-group', '(none)');
      const one = await page.evaluate(() => window.gradlabViewer.sweeps.lines);
      assert.equal(one.length, 1);
      const at = (lr) => rows.filter((r) => r.lr === lr).map((r) => r.final_loss);
      assert.deepEqual(one[0].points.map((p) => p[0]), [0.1, 0.2, 0.3, 0.5, 0.6]);
      for (const [x, y, n] of one[0].points) { assert.equal(n, 2); assert.ok(Math.abs(y - (at(x)[0] + at(x)[1]) / 2) <= 1e-15 * Math.abs(y)); }
      assert.match(await page.textContent('#sweep-status'), /mean of up to 2 runs/);
      // A second sweep file: lines may be split by file.
      await page.setInputFiles('#file-input', { name: 'again.jsonl', mimeType: 'application/x-ndjson', buffer: fs.readFileSync(fixture) });
      await page.waitForFunction(() => window.gradlabViewer.sweeps.files.length === 2);
      assert.ok((await options('#sweep-group')).includes('file'));
      await page.selectOption('#sweep-group', 'file');
      assert.deepEqual((await page.evaluate(() => window.gradlabViewer.sweeps.lines)).map((l) => l.label), ['file = quadratic-sweep.jsonl', 'file = again.jsonl']);
      await page.screenshot({ path: path.join(shotDir, 'viewer-sweep.png') });
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'viewer: two run folders are two runs, each labelled and charted from its own config and summary; a summary.json chosen as a config is refused; one status line per run',
    fn: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-runs-'));
      const fixture = (f) => fs.readFileSync(path.join(here, 'fixtures', f), 'utf8');
      const cfgB = JSON.parse(fixture('spiral-config.json'));
      cfgB.optim.lr = 0.05;
      const sumB = Object.assign(JSON.parse(fixture('spiral-summary.json')), { eos_step: 999 });
      for (const [name, cfg, sum] of [['run-a', fixture('spiral-config.json'), fixture('spiral-summary.json')], ['run-b', JSON.stringify(cfgB), JSON.stringify(sumB)]]) {
        fs.mkdirSync(path.join(dir, 'runs', name), { recursive: true });
        fs.writeFileSync(path.join(dir, 'runs', name, 'metrics.jsonl'), fixture('spiral-metrics.jsonl'));
        fs.writeFileSync(path.join(dir, 'runs', name, 'config.json'), cfg);
        fs.writeFileSync(path.join(dir, 'runs', name, 'summary.json'), sum);
      }
      const page = await open(lab.url + '/viewer.html');
      await page.setInputFiles('#folder-input', path.join(dir, 'runs'));
      await page.waitForFunction(() => window.gradlabViewer.runs.length === 2);
      const runs = await page.evaluate(() => window.gradlabViewer.runs.map((r) => ({ label: r.label, lr: r.config.optim.lr, eos: r.summary.eos_step })));
      runs.sort((a, b) => b.lr - a.lr);
      assert.deepEqual(runs, [
        { label: 'edge_of_stability · mlp 64×64 · η = 0.2', lr: 0.2, eos: 220 },
        { label: 'edge_of_stability · mlp 64×64 · η = 0.05', lr: 0.05, eos: 999 },
      ]);
      const lines = await page.$$eval('#status .status-line', (ls) => ls.map((l) => l.textContent));
      assert.equal(lines.length, 2);
      assert.match(lines.find((l) => /η = 0\.2:/.test(l)), /edge of stability reached at step 220/);
      assert.match(lines.find((l) => /η = 0\.05:/.test(l)), /edge of stability reached at step 999/);
      // Each run's own 2/η line on the sharpness chart (10 and 40).
      const legend = await page.textContent('#chart-sharpness');
      assert.match(legend, /η = 0\.2/);
      assert.match(legend, /η = 0\.05/);
      // A summary chosen as the config: a clear error, nothing replaced.
      fs.writeFileSync(path.join(dir, 'config.json'), fixture('spiral-summary.json'));
      await page.setInputFiles('#file-input', [path.join(here, 'fixtures', 'spiral-metrics.jsonl'), path.join(dir, 'config.json')]);
      await page.waitForSelector('#error-banner:not([hidden])');
      assert.match(await page.textContent('#error-banner'), /config\.json is a summary\.json .*not a config/);
      assert.equal(await page.evaluate(() => window.gradlabViewer.runs.filter((r) => r.config).length), 2);
      assert.deepEqual(page.problems, []);
      await page.closeAll();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  },
  {
    name: 'quadratic page: at η = 2/L the iterate flips sign with constant amplitude; below it shrinks',
    fn: async () => {
      const config = { kind: 'quadratic_gd', seed: 0, quadratic: { eigenvalues: [1.0], x0: [1.5] }, optim: { type: 'gd', lr: 2.0 }, train: { steps: 12, log_every: 1 } };
      const page = await open(lab.url + '/quadratic.html#' + b64url(JSON.stringify(config)));
      await page.evaluate(() => document.getElementById('speed').value = 60);
      await page.waitForFunction(() => window.gradlabQuadratic.run && window.gradlabQuadratic.run.status === 'done', null, { timeout: 60000 });
      const coords = await page.evaluate(() => window.gradlabQuadratic.run.rows.map((r) => r.coords[0]));
      assert.deepEqual(coords, Array.from({ length: 12 }, (_, i) => (i % 2 ? -1.5 : 1.5)));
      await page.fill('#field-optim-lr', '1.5');
      await page.dispatchEvent('#field-optim-lr', 'change');
      // The run restarts on the edit (its resolved config has the new η) and completes.
      await page.waitForFunction(() => window.gradlabQuadratic.run.status === 'done' && window.gradlabQuadratic.run.config.optim.lr === 1.5, null, { timeout: 60000 });
      const shrinking = await page.evaluate(() => window.gradlabQuadratic.run.rows.map((r) => Math.abs(r.coords[0])));
      assert.ok(shrinking.every((v, i) => i === 0 || v < shrinking[i - 1]), JSON.stringify(shrinking));
      // The 2-D preset (experiments/quadratic_gd/quadratic_2d.json): two eigen-coordinates.
      await page.selectOption('#preset', 'quadratic_2d.json');
      await page.waitForFunction(() => window.gradlabQuadratic.run.config && window.gradlabQuadratic.run.config.quadratic.eigenvalues.length === 2 &&
        window.gradlabQuadratic.run.rows.length >= 3, null, { timeout: 60000 });
      assert.ok((await page.evaluate(() => window.gradlabQuadratic.run.rows)).every((r) => r.coords.length === 2));
      await page.screenshot({ path: path.join(shotDir, 'quadratic.png') });
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'cross-origin isolated: the EoS page runs the threaded module on several threads and its rows equal the single-threaded module\'s bit for bit',
    fn: async () => {
      assert.ok(fs.existsSync(path.join(webDir, 'js', 'gradlab_web_mt.wasm')), 'the site has no threaded module (gradlab_web_mt.wasm): ./lab build makes it in build/wasm-mt');
      // The default preset, short: GEMMs of 500 x 784 x 200 and 100K-element activations, big
      // enough for the pool to split them (gemm.cpp, cpu_parallel.h).
      const config = Object.assign(preset('edge_of_stability', 'browser_fashion_mlp.json'), { train: { steps: 25, batch_size: 'full', log_every: 1 } });
      const hash = '#' + b64url(JSON.stringify(config));
      const runOn = async (server) => {
        const page = await open(server.url + '/eos.html' + hash);
        await page.waitForFunction(() => window.gradlabLab && window.gradlabLab.runs[0] && window.gradlabLab.runs[0].run.status === 'done', null, { timeout: 120000 });
        const info = await page.evaluate(() => ({ isolated: self.crossOriginIsolated, threads: window.gradlabLab.runs[0].run.threads, buildId: window.gradlabLab.runs[0].run.buildId }));
        const rows = withoutTime((await labRows(page))[0]);
        assert.deepEqual(page.problems, []);
        await page.closeAll();
        return Object.assign(info, { rows });
      };
      const threaded = await runOn(isolatedLab);
      const single = await runOn(lab);
      assert.equal(threaded.isolated, true);
      assert.match(threaded.buildId, /wasm-pthreads/);
      assert.ok(threaded.threads >= 2, `threads = ${threaded.threads} (navigator.hardwareConcurrency must be >= 2)`);
      assert.equal(single.isolated, false);
      assert.doesNotMatch(single.buildId, /pthreads/);
      assert.equal(single.threads, 1);
      assert.equal(threaded.rows.length, 25);
      assert.ok(threaded.rows.filter((r) => 'sharpness' in r).length >= 3);
      assert.deepEqual(threaded.rows, single.rows);
      // The C++ error's type and message reach the page from the threaded module too.
      const bad = await open(isolatedLab.url + '/eos.html#' + b64url(JSON.stringify({ kind: 'edge_of_stability', optim: { lrr: 0.1 } })));
      await bad.waitForSelector('#error-banner:not([hidden])');
      assert.match(await bad.textContent('#error-banner'), /unknown key optim\.lrr — did you mean optim\.lr\?/);
      assert.equal(await bad.evaluate(() => self.crossOriginIsolated), true);
      await bad.closeAll();
    },
  },
];

await runSuite(tests, { setup, teardown, timeoutMs: 150000 });
