// embed.mjs — the lab embedded in a course page on another origin (docs/embedding.md), in
// headless Chromium: the lab is served on one port, the course pages on others (second
// origins: one in embed-config.json's allowedOrigins, one not). Covers the script API
// (gradlab.mount), the postMessage protocol, the layout at phone to wide widths, lazy starts,
// web/examples/course-page.html, and every example page of docs/embedding.md as printed there.
//
//   node web/tests/embed.mjs build/web [SCREENSHOT_DIR]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchChromium } from './chromium.mjs';
import { assert, openPage, runSuite } from './harness.mjs';
import { serve } from './server.mjs';

const webDir = path.resolve(process.argv[2] || 'build/web');
const shotDir = path.resolve(process.argv[3] || path.join(webDir, '..', 'web-tests'));
const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '..', '..');
fs.mkdirSync(shotDir, { recursive: true });

const b64url = (text) => Buffer.from(text, 'utf8').toString('base64url');
const SPIRAL = JSON.parse(fs.readFileSync(path.join(webDir, 'presets/experiments/edge_of_stability/browser_spiral_fast.json'), 'utf8'));
delete SPIRAL.profiles;
const spiral = (over = {}) => Object.assign(JSON.parse(JSON.stringify(SPIRAL)), { train: { steps: 300, batch_size: 'full', log_every: 5 } }, over);

let browser, lab, allowedHost, foreignHost, hostDir;
let embedConfig = '';  // the lab's embed-config.json, per test

// The docs' example pages: each fenced block after an "<!-- example file: DIR/NAME -->" line.
function docExamples() {
  const text = fs.readFileSync(path.join(root, 'docs', 'embedding.md'), 'utf8');
  const files = {};
  const re = /<!-- example file: ([\w./-]+) -->\n```\w*\n([\s\S]*?)\n```/g;
  for (let m; (m = re.exec(text));) files[m[1]] = m[2] + '\n';
  return files;
}

async function setup() {
  browser = await launchChromium();
  lab = await serve(webDir, { routes: { '/embed-config.json': () => embedConfig } });
  hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-course-'));
  // Where a course site would write https://LAB-HOST/gradlab, the test lab's address.
  const sub = (text) => text.replaceAll('https://LAB-HOST/gradlab', lab.url).replaceAll('https://LAB-HOST', lab.url);
  const write = (rel, text) => { fs.mkdirSync(path.dirname(path.join(hostDir, rel)), { recursive: true }); fs.writeFileSync(path.join(hostDir, rel), sub(text)); };
  for (const [rel, text] of Object.entries(docExamples())) write('docs/' + rel, text);
  for (const f of ['course-page.html', 'course-page.js', 'course-page.css']) write('course/' + f, fs.readFileSync(path.join(root, 'web', 'examples', f), 'utf8'));
  write('host.html', `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>course page</title><style>body { margin: 0; } #demo { margin: 0; }</style><div id="demo"></div>
<script src="https://LAB-HOST/gradlab/js/gradlab-embed.js"></script><script src="host.js"></script>`);
  // The test's host page: mounts {config, options} from its hash and records every event.
  write('host.js', `
var spec = JSON.parse(decodeURIComponent(location.hash.slice(1)));
window.log = { rows: [], restarts: [], states: [], errors: [], ready: null, raw: [] };
window.embed = gradlab.mount(document.getElementById('demo'), spec.config, spec.options || {});
embed.on('ready', function () { log.ready = performance.now(); });
embed.on('error', function (message, detail) { log.errors.push({ message: message, about: detail.about, at: performance.now() }); });
if (spec.subscribe) {
  embed.on('restart', function (runId, runs, config) { log.restarts.push({ runId: runId, runs: runs, config: config, at: log.rows.length }); });
  embed.on('rows', function (rows, run, runId) { log.rows.push({ runId: runId, run: run, rows: rows }); });
  embed.on('state', function (runs, m) { log.states.push({ at: performance.now(), status: m.status, runId: m.runId, runs: runs }); });
}
window.addEventListener('message', function (e) { if (e.data && e.data.gradlab === 1 && e.data.type === 'error') log.raw.push(e.data); });
window.withTimeout = function (p, ms) { return Promise.race([p, new Promise(function (r) { setTimeout(function () { r('timeout'); }, ms); })]); };
`);
  const routes = { '/favicon.ico': () => '' };
  allowedHost = await serve(hostDir, { csp: null, routes });
  foreignHost = await serve(hostDir, { csp: null, routes });
}

async function teardown() {
  if (browser) await browser.close();
  for (const s of [lab, allowedHost, foreignHost]) if (s) await s.close();
  if (hostDir) fs.rmSync(hostDir, { recursive: true, force: true });
}

const allow = (...origins) => { embedConfig = JSON.stringify({ allowedOrigins: origins }); };

const open = (url, { viewport = { width: 1200, height: 900 } } = {}) => openPage(browser, url, { viewport, requestFailures: false });

const mountPage = (host, spec, opts) => open(host.url + '/host.html#' + encodeURIComponent(JSON.stringify(spec)), opts);
const labFrame = (page, part = '/embed.html') => page.frames().find((f) => f.url().includes(part));
async function frameOf(page, part) {
  await page.waitForFunction((p) => [...document.querySelectorAll('iframe')].some((f) => f.src.includes(p)), part);
  for (let i = 0; i < 100; i++) { const f = labFrame(page, part); if (f) return f; await page.waitForTimeout(50); }
  throw new Error(`no frame ${part}`);
}
const frameConfigFromUrl = (frame) => {
  const payload = new URL(frame.url()).hash.slice(1).split('&')[0];
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
};

const tests = [
  {
    name: 'embed: 3 edits within 500 ms (script API, then the form) end with the last config running, in the URL and the form; `restart` splits the row stream; `state` is throttled',
    fn: async () => {
      allow(allowedHost.url);
      const page = await mountPage(allowedHost, { config: spiral(), options: { controls: ['optim.lr', 'seed'], lazy: false }, subscribe: true });
      await page.waitForFunction(() => log.rows.length >= 3, null, { timeout: 60000 });
      const frame = labFrame(page);
      // Three edits, no waiting between them (~0 ms apart), while the run streams.
      const t0 = Date.now();
      const replies = await page.evaluate(() => Promise.all([embed.set('optim.lr', 0.11), embed.set('seed', 3), embed.set('optim.lr', 0.13)]).then(() => 'ok', (e) => e.message));
      assert.equal(replies, 'ok');
      const want = { lr: 0.13, seed: 3 };
      const running = () => frame.evaluate(() => window.gradlabLab.runs.map((r) => r.run.config && { lr: r.run.config.optim.lr, seed: r.run.config.seed, rows: r.run.rows.length }));
      await frame.waitForFunction((w) => window.gradlabLab.runs.length === 1 && window.gradlabLab.runs[0].run.config && window.gradlabLab.runs[0].run.config.optim.lr === w.lr &&
        window.gradlabLab.runs[0].run.config.seed === w.seed && window.gradlabLab.runs[0].run.rows.length >= 2, want, { timeout: 30000 });
      console.log(`     three API edits → the last config running after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      await page.waitForTimeout(800);  // no late restart on an older config
      let [r] = await running();
      assert.deepEqual([r.lr, r.seed], [0.13, 3]);
      const url = frameConfigFromUrl(frame);
      assert.deepEqual([url.optim.lr, url.seed], [0.13, 3]);
      assert.equal(await frame.inputValue('#field-optim-lr'), '0.13');
      assert.equal(await frame.inputValue('#field-seed'), '3');
      // The stream: every rows message after the last `restart` is of its runId, from step 0.
      const log = await page.evaluate(() => window.log);
      const last = log.restarts[log.restarts.length - 1];
      assert.equal(last.config.optim.lr, 0.13);
      assert.equal(last.config.seed, 3);
      const after = log.rows.slice(last.at);
      assert.ok(after.length >= 1 && after.every((m) => m.runId === last.runId), 'rows after the last restart carry its runId');
      assert.equal(after[0].rows[0].step, 0);
      // The form: three quick changes of η, ~150 ms apart.
      for (const v of ['0.14', '0.15', '0.16']) {
        await frame.fill('#field-optim-lr', v);
        await frame.dispatchEvent('#field-optim-lr', 'change');
        await page.waitForTimeout(150);
      }
      await frame.waitForFunction(() => { const r = window.gradlabLab.runs[0]; return r && r.run.config && r.run.config.optim.lr === 0.16 && r.run.rows.length >= 2; }, null, { timeout: 30000 })
        .catch(async (e) => { console.log(JSON.stringify(await frame.evaluate(() => ({ cfg: window.gradlabLab.config.optim, runs: window.gradlabLab.runs.map((r) => [r.run.status, r.run.config && r.run.config.optim, r.run.rows.length]), banner: document.querySelector('#error-banner').textContent })))); throw e; });
      await page.waitForTimeout(800);
      [r] = await running();
      assert.equal(r.lr, 0.16);
      assert.equal(frameConfigFromUrl(frame).optim.lr, 0.16);
      assert.equal(await frame.inputValue('#field-optim-lr'), '0.16');
      assert.equal(await page.evaluate(() => embed.getConfig().then((c) => c.optim.lr)), 0.16);
      // "Open in the full lab" carries the config as it is now.
      const full = await frame.getAttribute('#open-full', 'href');
      assert.equal(JSON.parse(Buffer.from(full.split('#')[1], 'base64url').toString()).optim.lr, 0.16);
      // `state`: one coherent status; at most ~4 a second plus one per status change.
      const states = await page.evaluate(() => window.log.states);
      const span = (states[states.length - 1].at - states[0].at) / 1000;
      const changes = states.filter((s, i) => i === 0 || s.status !== states[i - 1].status || s.runId !== states[i - 1].runId || s.runs.map((x) => x.status).join() !== states[i - 1].runs.map((x) => x.status).join()).length;
      assert.ok(states.length <= 4 * span + changes + 2, `${states.length} state messages in ${span.toFixed(1)} s (${changes} status changes)`);
      for (const s of states) for (const run of s.runs) assert.ok(['loading', 'ready', 'running', 'paused', 'done', 'stopped', 'error'].includes(run.status));
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'embed: a refused origin, a rejected mount config and a malformed allow-list each give an `error` event with the reason within 2 s',
    fn: async () => {
      const config = spiral();
      // The time from the lab's `ready` (the frame loaded) to the error event.
      const firstError = async (page) => {
        await page.waitForFunction(() => window.log.errors.length > 0, null, { timeout: 30000 });
        return page.evaluate(() => Object.assign({ after: window.log.errors[0].at - (window.log.ready || window.log.errors[0].at) }, window.log.errors[0]));
      };
      // A refused origin: told so, at that origin only, with nothing of the lab's state.
      allow(allowedHost.url);
      let page = await mountPage(foreignHost, { config, options: { autorun: false } });
      let e = await firstError(page);
      assert.match(e.message, new RegExp(`does not take messages from ${foreignHost.url.replace(/[.:/]/g, '\\$&')}.*allowedOrigins`));
      assert.ok(e.after < 2000, `error ${e.after} ms after ready`);
      assert.match(await page.evaluate(() => embed.getConfig().then(() => 'answered', (err) => err.message)), /does not take messages/);
      assert.match(await page.evaluate(() => embed.set('seed', 9).then(() => 'answered', (err) => err.message)), /does not take messages/);
      for (const m of await page.evaluate(() => window.log.raw)) assert.deepEqual(Object.keys(m).sort(), ['gradlab', 'id', 'message', 'ok', 'type']);
      assert.equal(await labFrame(page).evaluate(() => window.gradlabLab.config.seed), config.seed);
      await page.closeAll();
      // A config the validator rejects: its message, no run, never the default preset.
      page = await mountPage(allowedHost, { config: { kind: 'edge_of_stability', optim: { lrr: 0.1 } }, options: { lazy: false } });
      e = await firstError(page);
      assert.match(e.message, /unknown key optim\.lrr — did you mean optim\.lr\?/);
      assert.equal(e.about, 'config');
      assert.ok(e.after < 2000, `error ${e.after} ms after ready`);
      assert.match(await page.evaluate(() => embed.start().then(() => 'started', (err) => err.message)), /unknown key optim\.lrr/);
      assert.match(await page.evaluate(() => embed.start({ kind: 'edge_of_stability', seed: -1 }).then(() => 'started', (err) => err.message)), /seed/);
      const frame = labFrame(page);
      assert.equal(await frame.evaluate(() => window.gradlabLab.runs.length), 0);
      assert.deepEqual(await frame.evaluate(() => window.gradlabLab.config), { kind: 'edge_of_stability', optim: { lrr: 0.1 } });
      assert.match(await frame.textContent('#error-banner'), /unknown key optim\.lrr/);
      await page.closeAll();
      // Malformed allow-lists: each says what is wrong (the lab's console and `ready`).
      for (const [text, reason] of [
        [JSON.stringify({ allowedOrigins: [allowedHost.url + '/'] }), /is not an origin.*no path or trailing slash/],
        [JSON.stringify({ allowedOrigins: allowedHost.url }), /"allowedOrigins" must be a list/],
        ['{"allowedOrigins": ["' + allowedHost.url + '",]}', /not valid JSON/],
      ]) {
        embedConfig = text;
        page = await mountPage(allowedHost, { config, options: { autorun: false } });
        e = await firstError(page);
        assert.match(e.message, reason);
        assert.equal(e.about, 'allowList');
        assert.ok(e.after < 2000, `error ${e.after} ms after ready`);
        await page.closeAll();
      }
    },
  },
  {
    name: 'embed: at 360, 720 and 1200 px wide no horizontal overflow and no inner scrollbar once the parent applies the reported height; controls=none + autorun=0 keeps a Run button',
    fn: async () => {
      allow(allowedHost.url);
      const page = await mountPage(allowedHost, { config: spiral({ train: { steps: 40, batch_size: 'full', log_every: 2 } }), options: { controls: ['optim.lr', 'seed', 'train.steps'], lazy: false } }, { viewport: { width: 360, height: 800 } });
      const frame = await frameOf(page, '/embed.html');
      // The run finished first: this test is about the layout at each width, and a status line
      // that changes while rows stream would move the height between the two measurements.
      await frame.waitForFunction(() => window.gradlabLab && window.gradlabLab.runs[0] && window.gradlabLab.runs[0].run.status === 'done', null, { timeout: 60000 });
      for (const width of [360, 720, 1200]) {
        await page.setViewportSize({ width, height: 800 });
        // Settled: the frame is as tall as its content (the last resize message applied) on two
        // polls in a row (a loaded machine delivers the message late); never settling fails below.
        let same = 0;
        for (let i = 0; i < 100 && same < 2; i++) {
          const content = await frame.evaluate(() => Math.ceil(document.body.getBoundingClientRect().height));
          const box = await page.evaluate(() => document.querySelector('iframe').getBoundingClientRect().height);
          same = Math.abs(content - box) <= 1 ? same + 1 : 0;
          await page.waitForTimeout(100);
        }
        const inner = await frame.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth, sh: document.documentElement.scrollHeight, ch: document.documentElement.clientHeight, charts: [...document.querySelectorAll('.chart-card')].filter((c) => c.getBoundingClientRect().width > 0).length }));
        const outer = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, w: window.innerWidth, h: document.querySelector('iframe').getBoundingClientRect().height }));
        assert.ok(inner.sw <= inner.cw, `${width}px: the embed overflows sideways (${inner.sw} > ${inner.cw})`);
        assert.ok(inner.sh <= inner.ch + 1, `${width}px: the embed scrolls inside (${inner.sh} > ${inner.ch})`);
        assert.ok(outer.sw <= outer.w, `${width}px: the course page overflows sideways (${outer.sw} > ${outer.w})`);
        assert.equal(inner.charts, 4, `${width}px: every chart visible`);
        if (width !== 720) await page.screenshot({ path: path.join(shotDir, `embed-${width}.png`), fullPage: true });
      }
      assert.deepEqual(page.problems, []);
      await page.closeAll();
      const bare = await open(lab.url + '/embed.html#' + b64url(JSON.stringify(spiral())) + '&controls=none&autorun=0', { viewport: { width: 600, height: 700 } });
      await bare.waitForFunction(() => window.gradlabLab && window.gradlabLab.config);
      assert.equal(await bare.isVisible('#btn-run'), true);
      assert.equal(await bare.evaluate(() => window.gradlabLab.runs.length), 0);
      await bare.click('#btn-run');
      await bare.waitForFunction(() => window.gradlabLab.runs.length === 1 && window.gradlabLab.runs[0].run.rows.length > 0, null, { timeout: 60000 });
      await bare.closeAll();
    },
  },
  {
    name: 'course page (web/examples/course-page.html, second origin): EoS at two η, SVM and double descent embeds; an off-screen embed starts only when scrolled to',
    fn: async () => {
      allow(allowedHost.url);
      // Wide: the embeds run, each when scrolled to.
      const page = await open(allowedHost.url + '/course/course-page.html', { viewport: { width: 1200, height: 720 } });
      const slow = await frameOf(page, 'embed.html');
      await slow.waitForFunction(() => window.gradlabLab && window.gradlabLab.runs[0] && window.gradlabLab.runs[0].run.rows.length > 2, null, { timeout: 60000 });
      const frames = page.frames().filter((f) => f.url().includes('/embed.html'));
      assert.equal(frames.length, 2);
      const fast = frames.find((f) => f !== slow);
      await fast.waitForFunction(() => window.gradlabLab && window.gradlabLab.config);
      await page.waitForTimeout(1000);
      // Below the fold: configured, not started.
      assert.equal(await fast.evaluate(() => window.gradlabLab.runs.length), 0, 'the off-screen embed started before it was scrolled to');
      const dd = await frameOf(page, '/double-descent.html');
      await dd.waitForFunction(() => window.gradlabDoubleDescent && window.gradlabDoubleDescent.lab.config);
      assert.equal(await dd.evaluate(() => window.gradlabDoubleDescent.state.rf.results.size), 0, 'the off-screen double-descent sweep started before it was scrolled to');
      await page.evaluate(() => document.getElementById('eos-fast').scrollIntoView());
      await fast.waitForFunction(() => window.gradlabLab.runs.length === 1 && window.gradlabLab.runs[0].run.rows.length > 2, null, { timeout: 60000 });
      assert.equal(await fast.evaluate(() => window.gradlabLab.runs[0].run.config.optim.lr), 0.2);
      const svm = await frameOf(page, '/svm.html');
      await svm.waitForFunction(() => document.body.classList.contains('embed') && document.querySelector('canvas'));
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      await dd.waitForFunction(() => document.body.classList.contains('embed') && window.gradlabDoubleDescent.state.rf.results.size > 0, null, { timeout: 60000 });
      // Wide, then a phone: no frame scrolls inside or overflows sideways.
      for (const width of [1200, 390]) {
        if (width !== 1200) await page.setViewportSize({ width, height: 720 });  // the same page, reflowed
        const all = () => page.frames().filter((f) => /\/(embed|svm|double-descent)\.html/.test(f.url()));
        for (let i = 0; i < 100 && all().length < 4; i++) await page.waitForTimeout(100);
        for (const f of all()) await f.waitForFunction(() => (window.gradlabLab && window.gradlabLab.config) || window.gradlabSvm || (window.gradlabDoubleDescent && window.gradlabDoubleDescent.lab.config));
        // Each embed in view in turn (the shots), then measured.
        for (const [i, selector] of ['#eos-slow', '#eos-fast', '.demo-frame >> nth=0', '.demo-frame >> nth=1'].entries()) {
          const target = page.locator(selector);
          await target.scrollIntoViewIfNeeded();
          await page.waitForTimeout(700);
          if (i < 3) await target.screenshot({ path: path.join(shotDir, `course-page-${width}-${i}.png`) });
        }
        await page.waitForTimeout(500);
        for (const f of all()) {
          const m = await f.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth, sh: document.documentElement.scrollHeight, ch: document.documentElement.clientHeight }));
          assert.ok(m.sw <= m.cw && m.sh <= m.ch + 1, `${width}px ${f.url().split('#')[0]}: ${JSON.stringify(m)}`);
        }
        assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
        assert.equal(await page.textContent('#eos-note'), '');
        await page.screenshot({ path: path.join(shotDir, `course-page-${width}.png`), fullPage: true });
        assert.deepEqual(page.problems, []);
      }
      await page.closeAll();
    },
  },
  {
    name: 'docs/embedding.md: each example page, as printed, runs from a second origin',
    fn: async () => {
      const examples = Object.keys(docExamples());
      assert.deepEqual(examples.sort(), ['iframe/index.html', 'messages/index.html', 'messages/messages.js', 'mount/index.html', 'mount/lecture7.js']);
      allow(allowedHost.url);
      // 1. The iframe.
      let page = await open(allowedHost.url + '/docs/iframe/index.html');
      let frame = await frameOf(page, '/embed.html');
      await frame.waitForFunction(() => window.gradlabLab && window.gradlabLab.runs[0] && window.gradlabLab.runs[0].run.rows.some((r) => Number.isFinite(r.sharpness)), null, { timeout: 60000 });
      assert.deepEqual(page.problems, []);
      await page.closeAll();
      // 3. Messages: sent after `ready`; each answered; the state streams.
      page = await open(allowedHost.url + '/docs/messages/index.html');
      await page.waitForFunction(() => /request 3: ack/.test(document.getElementById('log').textContent) && /running: step [1-9]/.test(document.getElementById('log').textContent), null, { timeout: 60000 });
      const text = await page.textContent('#log');
      assert.match(text, /request 1: ack/);
      assert.match(text, /request 2: ack/);
      frame = labFrame(page);
      assert.equal(await frame.evaluate(() => window.gradlabLab.runs[0].run.config.optim.lr), 0.1);
      assert.ok(await page.evaluate(() => document.getElementById('lab').getBoundingClientRect().height !== 640), 'the resize message was applied');
      assert.deepEqual(page.problems, []);
      await page.closeAll();
      // 2. The script API: the log shows sharpness values, never "undefined"; #faster restarts at
      // η = 0.1, whose first sharpness is below 0.95·2/η (so progressive sharpening shows).
      page = await open(allowedHost.url + '/docs/mount/index.html');
      await page.waitForFunction(() => /run 1 step 0: sharpness \d/.test(document.getElementById('log').textContent), null, { timeout: 90000 });
      await page.click('#faster');
      await page.waitForFunction(() => /run 2: η = 0\.1\n/.test(document.getElementById('log').textContent) && /run 2 step 0: sharpness/.test(document.getElementById('log').textContent), null, { timeout: 90000 });
      const log = await page.textContent('#log');
      assert.doesNotMatch(log, /undefined|NaN|error/);
      const s0 = Number(/run 2 step 0: sharpness ([\d.]+)/.exec(log)[1]);
      assert.ok(s0 < 0.95 * 2 / 0.1, `the faster η starts at sharpness ${s0}, above 0.95·2/η`);
      console.log(`     mount example: η = 0.1 starts at sharpness ${s0} (2/η = 20)`);
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'embed.html: controls take any key of the kind the schema knows and report unknown ones; charts pick the charts and report unknown ids',
    fn: async () => {
      const page = await open(lab.url + '/embed.html#' + b64url(JSON.stringify(spiral())) + '&controls=optim.lr,train.log_every,optim.lrr,svm.C&charts=loss,sharpnes&autorun=0');
      await page.waitForFunction(() => window.gradlabLab && window.gradlabLab.config && document.querySelector('#error-banner:not([hidden])'));
      const fields = await page.$$eval('#fields .field', (fs) => fs.map((f) => f.dataset.path));
      assert.deepEqual(fields.sort(), ['optim.lr', 'sweep', 'train.log_every'].sort());
      assert.equal(await page.inputValue('#field-train-log_every'), '5');
      assert.equal(await page.$$eval('.chart-card', (cs) => cs.length), 1);
      const banner = await page.textContent('#error-banner');
      assert.match(banner, /unknown config paths optim\.lrr, svm\.C/);
      assert.match(banner, /unknown chart sharpnes \(this lab's charts: loss, sharpness, precond, layers, eigs, accuracy\)/);
      assert.equal(await page.evaluate(() => window.gradlabLab.runs.length), 0);
      assert.equal(page.problems.filter((p) => !/gradlab embed: (controls|charts)/.test(p)).length, 0, page.problems.join('\n'));
      await page.closeAll();
    },
  },
];

await runSuite(tests, { setup, teardown, timeoutMs: 150000 });
