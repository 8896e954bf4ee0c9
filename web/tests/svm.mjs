// svm.mjs — the SVM margin lab (svm.html) in headless Chromium under the strict CSP, driven
// by playwright-core with Debian's /usr/bin/chromium, as browser.mjs does for the other pages.
//
// What is checked: a click adds a point and the boundary, ρ and the support vectors change to
// exactly what the C++ solver gives for the new point set (the WASM module under node, and the
// native CLI on the page's exported config.json when build/native exists); drag moves and
// right-click deletes; the GD panel's angle to the SVM direction falls; degenerate sets (one
// class, the same point with both labels under a hard margin, no points) show the C++ message
// and the page recovers; no console errors anywhere.
//
//   node web/tests/svm.mjs build/web [SCREENSHOT_DIR]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { runPageSuite } from './chromium.mjs';
import { assert, openPage } from './harness.mjs';

const require = createRequire(import.meta.url);
const webDir = path.resolve(process.argv[2] || 'build/web');
const shotDir = path.resolve(process.argv[3] || path.join(webDir, '..', 'web-tests'));
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const nativeCli = [process.env.GRADLAB_NATIVE_CLI, path.join(root, 'build/native/gradlab')].find((p) => p && fs.existsSync(p));
fs.mkdirSync(shotDir, { recursive: true });

const PRESET = JSON.parse(fs.readFileSync(path.join(webDir, 'presets', 'experiments', 'svm', 'points.json'), 'utf8'));
delete PRESET.profiles;  // the page applies the (absent) web profile and drops the block
const b64url = (text) => Buffer.from(text, 'utf8').toString('base64url');
const clone = (x) => JSON.parse(JSON.stringify(x));

let browser, lab, M;

// The svm_margin summary the WASM module gives for a config, under node (no browser).
async function wasmSummary(config) {
  if (!M) M = await require(path.join(webDir, 'js', 'gradlab_web.js'))({ wasmBinary: fs.readFileSync(path.join(webDir, 'js', 'gradlab_web.wasm')) });
  const s = new M.Session(JSON.stringify(config), '');
  try {
    while (!s.done()) s.step(1);
    return JSON.parse(s.state()).summary;
  } finally {
    s.delete();
  }
}

// The same from the native CLI (`gradlab run`), or null without a native build.
function nativeSummary(configText) {
  if (!nativeCli) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-svm-'));
  try {
    fs.writeFileSync(path.join(dir, 'config.json'), configText);
    execFileSync(nativeCli, ['run', path.join(dir, 'config.json'), '--out', path.join(dir, 'out'), '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
    return JSON.parse(fs.readFileSync(path.join(dir, 'out', 'summary.json'), 'utf8'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const close = (a, b, rel = 1e-9) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));

function sameSolution(got, want, rel, what) {
  assert.ok(close(got.margin, want.margin, rel), `${what}: margin ${got.margin} vs ${want.margin}`);
  assert.ok(close(got.bias, want.bias, rel), `${what}: bias ${got.bias} vs ${want.bias}`);
  assert.deepEqual(got.support_indices, want.support_indices, `${what}: support vectors`);
  assert.deepEqual(got.margin_sv_indices, want.margin_sv_indices, `${what}: on-margin support vectors`);
  assert.ok(close(got.bound, want.bound, rel), `${what}: bound ${got.bound} vs ${want.bound}`);
}

const open = (hash = '') => openPage(browser, lab.url + '/svm.html' + hash, { viewport: { width: 1400, height: 1100 }, acceptDownloads: true });

// Waits until the page has finished `count` solves (or more) and has no edit pending.
async function settled(page, count) {
  await page.waitForFunction((n) => window.gradlabSvm && window.gradlabSvm.solves >= n && !window.gradlabSvm.busy, count, { timeout: 60000 });
  return page.evaluate(() => ({ solved: window.gradlabSvm.solved && window.gradlabSvm.solved.summary, error: window.gradlabSvm.error, solves: window.gradlabSvm.solves, config: window.gradlabSvm.config }));
}

// A mouse action at data coordinates p on a panel's canvas.
async function at(page, p, which = 'svm') {
  const box = await page.locator(which === 'svm' ? '#svm-canvas' : '#gd-canvas').boundingBox();
  const [x, y] = await page.evaluate(([p, w]) => window.gradlabSvm.toCanvas(p, w), [p, which]);
  return [box.x + x, box.y + y];
}

async function exportedConfig(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.$eval('#btn-export-config', (b) => b.click())]);
  return fs.readFileSync(await download.path(), 'utf8');
}

const tests = [
  {
    name: 'svm page: the example set is solved by the C++ solver; a click adds a point and ρ and the boundary move to the solver\'s new answer',
    fn: async () => {
      const page = await open();
      const first = await settled(page, 1);
      assert.equal(first.error, null);
      sameSolution(first.solved, await wasmSummary(PRESET), 0, 'preset vs WASM under node');
      const native = nativeSummary(JSON.stringify(PRESET));
      // Natively the Gram matrix comes from another GEMM: the same optimum to within the KKT tolerance.
      if (native) sameSolution(first.solved, native, 1e-5, 'preset vs native');
      assert.match(await page.textContent('#readout-margin'), /^ρ = \d/);
      assert.match(await page.textContent('#svm-readout'), /ρ̃ = ρ\/R/);

      // A +1 point inside the margin, 0.06 from the boundary on its +1 side: ρ must shrink.
      const w = first.solved.w, b = first.solved.bias, norm = Math.hypot(w[0], w[1]);
      const t = -b / (norm * norm);
      const p = [t * w[0] + (0.06 * w[0]) / norm, t * w[1] + (0.06 * w[1]) / norm];
      const [x, y] = await at(page, p);
      await page.mouse.click(x, y);
      const second = await settled(page, first.solves + 1);
      assert.equal(second.config.data.points.length, PRESET.data.points.length + 1);
      assert.equal(second.config.data.labels[second.config.data.labels.length - 1], 1);
      assert.ok(second.solved.margin < first.solved.margin, `ρ ${first.solved.margin} → ${second.solved.margin}`);
      assert.ok(second.solved.support_indices.includes(PRESET.data.points.length), 'the new point is a support vector');
      assert.notDeepEqual(second.solved.w, first.solved.w);
      const text = await exportedConfig(page);
      assert.deepEqual(JSON.parse(text), second.config);
      sameSolution(second.solved, await wasmSummary(JSON.parse(text)), 0, 'after the click vs WASM under node');
      const native2 = nativeSummary(text);
      if (native2) sameSolution(second.solved, native2, 1e-5, 'after the click vs native gradlab run');
      // The page's decision function agrees with the solver: yᵢf(xᵢ) = 1 on the margin SVs.
      const yf = await page.evaluate(() => {
        const s = window.gradlabSvm.solved;
        return s.summary.margin_sv_indices.map((i) => (s.labels[i] === 1 ? 1 : -1) * s.decision(s.points[i]));
      });
      assert.ok(yf.length >= 2 && yf.every((v) => Math.abs(v - 1) < 1e-5), JSON.stringify(yf));
      // Shift-click adds the other class.
      const [x2, y2] = await at(page, [-0.9, -0.9]);
      await page.keyboard.down('Shift');
      await page.mouse.click(x2, y2);
      await page.keyboard.up('Shift');
      const third = await settled(page, second.solves + 1);
      assert.equal(third.config.data.labels[third.config.data.labels.length - 1], 0);
      await page.screenshot({ path: path.join(shotDir, 'svm.png') });
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'svm page: drag moves a point, right-click deletes it, the kernel and C controls re-solve (rbf, poly, soft margin), the URL restores it',
    fn: async () => {
      const page = await open();
      const first = await settled(page, 1);
      const sv = first.solved.margin_sv_indices[0];
      const from = first.config.data.points[sv];
      const [x0, y0] = await at(page, from);
      const to = [from[0] + 0.25 * Math.sign(from[0] || 1), from[1] + 0.25 * Math.sign(from[1] || 1)];
      const [x1, y1] = await at(page, to);
      await page.mouse.move(x0, y0);
      await page.mouse.down();
      await page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, { steps: 3 });
      await page.mouse.move(x1, y1, { steps: 3 });
      await page.mouse.up();
      const moved = await settled(page, first.solves + 1);
      assert.equal(moved.config.data.points.length, first.config.data.points.length);
      assert.ok(Math.hypot(moved.config.data.points[sv][0] - to[0], moved.config.data.points[sv][1] - to[1]) < 0.01, JSON.stringify(moved.config.data.points[sv]));
      sameSolution(moved.solved, await wasmSummary(moved.config), 0, 'after the drag');

      const [xd, yd] = await at(page, moved.config.data.points[0]);
      await page.mouse.click(xd, yd, { button: 'right' });
      const deleted = await settled(page, moved.solves + 1);
      assert.equal(deleted.config.data.points.length, moved.config.data.points.length - 1);
      assert.deepEqual(deleted.config.data.points, moved.config.data.points.slice(1));

      await page.selectOption('#field-svm-kernel', 'rbf');
      const rbf = await settled(page, deleted.solves + 1);
      assert.equal(rbf.config.svm.kernel, 'rbf');
      sameSolution(rbf.solved, await wasmSummary(rbf.config), 0, 'rbf');
      await page.selectOption('#field-svm-kernel', 'poly');
      const poly = await settled(page, rbf.solves + 1);
      sameSolution(poly.solved, await wasmSummary(poly.config), 0, 'poly');
      await page.click('#field-svm-C-toggle');  // off: soft margin with the C box
      await page.fill('#field-svm-C', '0.5');
      await page.dispatchEvent('#field-svm-C', 'change');
      await page.waitForFunction(() => window.gradlabSvm.config.svm.C === 0.5);
      const soft = await settled(page, poly.solves + 2);
      assert.equal(soft.solved.C, 0.5);
      sameSolution(soft.solved, await wasmSummary(soft.config), 0, 'soft margin');
      const hash = await page.evaluate(() => location.hash);
      await page.screenshot({ path: path.join(shotDir, 'svm-poly-soft.png') });
      assert.deepEqual(page.problems, []);
      await page.closeAll();

      const again = await open(hash);
      const restored = await settled(again, 1);
      assert.deepEqual(restored.config, soft.config);
      sameSolution(restored.solved, soft.solved, 0, 'restored from the URL');
      await again.closeAll();
    },
  },
  {
    name: 'svm page: the GD panel streams implicit_bias rows and its angle to the SVM direction falls',
    fn: async () => {
      const page = await open();
      await settled(page, 1);
      await page.waitForFunction(() => window.gradlabSvm.gdRun.status === 'done' && window.gradlabSvm.gdRun.rows.length > 20, null, { timeout: 90000 });
      const { rows, config, history } = await page.evaluate(() => ({ rows: window.gradlabSvm.gdRun.rows, config: window.gradlabSvm.gdRun.config, history: window.gradlabSvm.gdHistory }));
      assert.equal(config.kind, 'implicit_bias');
      assert.equal(config.data.points.length, PRESET.data.points.length);
      assert.ok(config.data.points.every((p) => p.length === 3 && p[2] === 1), 'bias as a constant feature');
      // After a burn-in of 10 steps 1 − cos falls monotonically (slowly: Soudry et al.'s 1/log t).
      const angles = rows.filter((r) => r.step >= 10).map((r) => r.one_minus_cos);
      assert.ok(angles.length > 20);
      for (let i = 1; i < angles.length; i++) assert.ok(angles[i] <= angles[i - 1] * (1 + 1e-9), `1 − cos rose at row ${i}: ${angles[i - 1]} → ${angles[i]}`);
      assert.ok(angles[angles.length - 1] < angles[0] / 5, `1 − cos fell only from ${angles[0]} to ${angles[angles.length - 1]}`);
      assert.ok(rows[rows.length - 1].one_minus_cos < 1e-2);
      assert.ok(history.length >= 1);
      // The chart drew the streamed angles.
      assert.match(await page.textContent('#gd-progress'), /angle/);
      await page.screenshot({ path: path.join(shotDir, 'svm-gd.png') });
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'svm page: one class, duplicates with opposite labels (hard margin) and no points show the C++ message; the page keeps working',
    fn: async () => {
      const one = clone(PRESET);
      one.data.labels = one.data.labels.map(() => 1);
      const page = await open('#' + b64url(JSON.stringify(one)));
      let s = await settled(page, 1);
      assert.equal(s.solved, null);
      assert.match(s.error, /all 12 training labels are \+1/);
      await page.waitForSelector('#error-banner:not([hidden])');
      assert.match(await page.textContent('#error-banner'), /all 12 training labels are \+1/);
      assert.match(await page.textContent('#svm-readout'), /No solution/);
      await page.waitForFunction(() => window.gradlabSvm.gdError !== null);
      assert.match(await page.evaluate(() => window.gradlabSvm.gdError), /training labels/);
      // Shift-click adds the missing class: solved again, the banner goes away.
      const [x, y] = await at(page, [-0.8, -0.8]);
      await page.keyboard.down('Shift');
      await page.mouse.click(x, y);
      await page.keyboard.up('Shift');
      s = await settled(page, s.solves + 1);
      assert.equal(s.error, null);
      assert.ok(s.solved.margin > 0);
      assert.equal(await page.isHidden('#error-banner'), true);
      await page.waitForFunction(() => window.gradlabSvm.gdError === null && window.gradlabSvm.gdRun.rows.length > 0, null, { timeout: 60000 });

      assert.deepEqual(page.problems, []);
      await page.closeAll();

      // The same point twice with opposite labels under a hard margin (from a link), then a
      // soft margin, which accepts it.
      const dup = clone(PRESET);
      dup.data.points.push(dup.data.points[0].slice());
      dup.data.labels.push(0);
      const page2 = await open('#' + b64url(JSON.stringify(dup)));
      s = await settled(page2, 1);
      assert.match(s.error, /examples 0 and 12 are the same point with opposite labels/);
      assert.match(await page2.textContent('#error-banner'), /same point with opposite labels/);
      await page2.click('#field-svm-C-toggle');
      s = await settled(page2, s.solves + 1);
      assert.equal(s.error, null);
      assert.ok(s.solved.n_bound_sv >= 1, JSON.stringify(s.solved.bound_sv_indices));

      // No points at all, then a fresh example set.
      await page2.click('#btn-clear');
      s = await settled(page2, s.solves + 1);
      assert.match(s.error, /data\.points: expected at least 1 item/);
      await page2.click('#btn-preset');
      s = await settled(page2, s.solves + 1);
      assert.equal(s.error, null);
      assert.equal(s.config.data.points.length, PRESET.data.points.length);
      // The GD panel recovers too (its own run, restarted after the edit).
      await page2.waitForFunction(() => window.gradlabSvm.gdError === null && window.gradlabSvm.gdRun.rows.length > 0, null, { timeout: 60000 });
      await page2.screenshot({ path: path.join(shotDir, 'svm-recovered.png') });
      assert.deepEqual(page2.problems, []);
      await page2.closeAll();
    },
  },
  {
    name: 'home page has a card linking the SVM lab',
    fn: async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(lab.url + '/index.html');
      assert.equal(await page.getAttribute('#card-svm a.go', 'href'), 'svm.html');
      await context.close();
    },
  },
];

await runPageSuite(tests, webDir, (b, l) => { browser = b; lab = l; }, { timeoutMs: 150000 });
