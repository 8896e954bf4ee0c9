// bench.mjs — the browser lab's performance figures (the targets), one JSON line each:
//   payload_gzip     WASM + JS gzipped (from version.json; data excluded)     target ≤ 400 KB:
//                    the whole lab, what eos.html loads, and each file
//   first_chart_ms   page load → first chart update (the run's preview, or its first rows),
//                    eos.html with its default preset: median of --loads N fresh pages (5)
//   eos_wall_s       the default web preset (MLP on Fashion-MNIST) reaches sharpness ≥ 0.95·2/η
//   long_tasks       main-thread tasks > 50 ms while the run streams (PerformanceObserver)
//   node web/tests/bench.mjs build/web [--screenshot FILE] [--loads N] [--isolated]
//   (headless Chromium; not a test). --isolated serves the lab cross-origin isolated, so the
//   pages run the threaded module (gradlab_web_mt); every line then says `threads`.
// Every line carries the machine's 1-minute load average (`load1`): the machine is shared.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { launchChromium } from './chromium.mjs';
import { serve } from './server.mjs';

const webDir = path.resolve(process.argv[2] || 'build/web');
const shotIndex = process.argv.indexOf('--screenshot');
const screenshot = shotIndex > 0 ? process.argv[shotIndex + 1] : null;
const loadsIndex = process.argv.indexOf('--loads');
const loads = loadsIndex > 0 ? Math.max(1, +process.argv[loadsIndex + 1] || 1) : 5;
const version = JSON.parse(fs.readFileSync(path.join(webDir, 'version.json'), 'utf8'));
const isolated = process.argv.includes('--isolated');
const line = (o) => console.log(JSON.stringify(Object.assign({ target: isolated ? 'browser-isolated' : 'browser' }, o, { load1: +os.loadavg()[0].toFixed(2) })));
const kb = (bytes) => +(bytes / 1024).toFixed(1);
// What eos.html itself downloads: its modules (as the page imports them), the worker, the
// Emscripten glue and the WASM module.
const gz = (rel) => zlib.gzipSync(fs.readFileSync(path.join(webDir, 'js', rel)), { level: 9 }).length;
const eosFiles = ['eos-page.js', 'lab-page.js', 'lab-data.js', 'runner.js', 'common.js', 'config-fields.js', 'config-url.js', 'lab-charts.js', 'charts.js', 'vendor/uPlot.mjs', 'worker.js', 'gradlab_web.js', 'gradlab_web.wasm'];
const byFile = Object.fromEntries(eosFiles.map((f) => [f, kb(gz(f))]));
line({ bench: 'payload_gzip', wasm_kb: kb(version.wasm_gzip_bytes), js_kb: kb(version.glue_js_gzip_bytes + version.page_js_gzip_bytes), total_kb: kb(version.total_gzip_bytes), eos_page_kb: kb(eosFiles.reduce((s, f) => s + gz(f), 0)), eos_page_files_kb: byFile, threaded_module_kb: version.threaded_gzip_bytes ? kb(version.threaded_gzip_bytes) : null });

const server = await serve(webDir, { isolated });
const browser = await launchChromium();
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
async function openEos() {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration }); }).observe({ type: 'longtask', buffered: true });
    // After the frame that drew it.
    document.addEventListener('gradlab:first-chart', () => requestAnimationFrame(() => { window.__firstChart = performance.now(); }));
  });
  await page.goto(server.url + '/eos.html');
  await page.waitForFunction(() => window.__firstChart !== undefined && window.gradlabLab.runs[0].run.timing.firstRows !== undefined, null, { timeout: 120000 });
  const first = await page.evaluate(() => window.__firstChart);
  const timing = await page.evaluate(() => window.gradlabLab.runs[0].run.timing);
  return { page, first, timing };
}
try {
  // Page-clock milestones: worker created, WASM ready, data staged + Session built, preview
  // drawn (first chart), first rows (after step 0 and its sharpness probe).
  const samples = [];
  for (let i = 0; i < loads - 1; i++) {
    const { page, first, timing } = await openEos();
    samples.push({ first, timing });
    await page.close();
  }
  const t0 = Date.now();
  const { page, first, timing } = await openEos();
  samples.push({ first, timing });
  const ms = (k) => +median(samples.map((s) => s.timing[k] ?? NaN)).toFixed(0);
  line({ bench: 'first_chart_ms', preset: 'eos-fashion-mlp', loads, median_ms: +median(samples.map((s) => s.first)).toFixed(0), runs_ms: samples.map((s) => +s.first.toFixed(0)), worker_ms: ms('created'), wasm_ready_ms: ms('ready'), session_ms: ms('started'), preview_ms: ms('preview'), first_rows_ms: ms('firstRows') });
  await page.waitForFunction(() => {
    const rows = window.gradlabLab.runs[0].run.rows;
    return rows.some((r) => r.sharpness >= 0.95 * r.threshold);
  }, null, { timeout: 600000, polling: 200 });
  const wall = (Date.now() - t0) / 1000;
  const info = await page.evaluate(() => {
    const run = window.gradlabLab.runs[0].run;
    const hit = run.rows.find((r) => r.sharpness >= 0.95 * r.threshold);
    return { step: hit.step, sharpness: hit.sharpness, threshold: hit.threshold, compute_s: hit.time_s };
  });
  const threads = await page.evaluate(() => window.gradlabLab.runs[0].run.threads);
  line(Object.assign({ bench: 'eos_wall_s', preset: 'eos-fashion-mlp', wall_s: +wall.toFixed(1), threads }, info));
  await page.waitForTimeout(8000);  // hovering at the edge, for the screenshot
  const tasks = await page.evaluate(() => window.__longTasks);
  // While the run streams (after its first rows) vs while the page loads.
  const streaming = tasks.filter((t) => t.start >= first).map((t) => t.duration);
  const loading = tasks.filter((t) => t.start < first).map((t) => t.duration);
  const max = (xs) => (xs.length ? +Math.max(...xs).toFixed(0) : 0);
  line({ bench: 'long_tasks', while_streaming: streaming.length, max_streaming_ms: max(streaming), during_load: loading.length, max_load_ms: max(loading) });
  if (screenshot) await page.screenshot({ path: screenshot });
} finally {
  await browser.close();
  await server.close();
}
