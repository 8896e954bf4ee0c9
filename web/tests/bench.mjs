// bench.mjs — the browser lab's performance figures (the targets), one JSON line each:
//   payload_gzip     WASM + JS gzipped (from version.json; data excluded)     target ≤ 400 KB
//   first_chart_ms   page load → first rows drawn, eos.html with its default preset
//   eos_wall_s       the default web preset (MLP on Fashion-MNIST) reaches sharpness ≥ 0.95·2/η
//   long_tasks       main-thread tasks > 50 ms while the run streams (PerformanceObserver)
//   node web/tests/bench.mjs build/web [--screenshot FILE]     (headless Chromium; not a test)
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from './server.mjs';

const webDir = path.resolve(process.argv[2] || 'build/web');
const shotIndex = process.argv.indexOf('--screenshot');
const screenshot = shotIndex > 0 ? process.argv[shotIndex + 1] : null;
const version = JSON.parse(fs.readFileSync(path.join(webDir, 'version.json'), 'utf8'));
const line = (o) => console.log(JSON.stringify(Object.assign({ target: 'browser' }, o)));
line({ bench: 'payload_gzip', wasm_kb: +(version.wasm_gzip_bytes / 1024).toFixed(1), js_kb: +((version.glue_js_gzip_bytes + version.page_js_gzip_bytes) / 1024).toFixed(1), total_kb: +(version.total_gzip_bytes / 1024).toFixed(1) });

const server = await serve(webDir);
const browser = await chromium.launch({ executablePath: process.env.GRADLAB_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration }); }).observe({ type: 'longtask', buffered: true });
    document.addEventListener('gradlab:first-row', () => requestAnimationFrame(() => { window.__firstChart = performance.now(); }));
  });
  const t0 = Date.now();
  await page.goto(server.url + '/eos.html');
  await page.waitForFunction(() => window.__firstChart !== undefined, null, { timeout: 120000 });
  const first = await page.evaluate(() => window.__firstChart);
  const timing = await page.evaluate(() => window.gradlabLab.runs[0].run.timing);
  const ms = (v) => (v === undefined ? null : +v.toFixed(0));
  // Page-clock milestones: worker created, WASM ready, data staged + Session built, first rows.
  line({ bench: 'first_chart_ms', preset: 'eos-fashion-mlp', median_ms: +first.toFixed(0), worker_ms: ms(timing.created), wasm_ready_ms: ms(timing.ready), session_ms: ms(timing.started), first_rows_ms: ms(timing.firstRows) });
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
  line(Object.assign({ bench: 'eos_wall_s', preset: 'eos-fashion-mlp', wall_s: +wall.toFixed(1) }, info));
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
