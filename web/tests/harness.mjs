// harness.mjs — a small test runner for the web suites: named async tests, run in order,
// each with a time limit; prints "ok"/"FAIL" lines and ends with "N passed, M failed".
import assert from 'node:assert/strict';

export { assert };

export async function runTests(tests, { timeoutMs = 120000, only = process.env.GRADLAB_WEB_TEST_FILTER } = {}) {
  let passed = 0, failed = 0;
  for (const { name, fn } of tests) {
    if (only && !name.includes(only)) continue;
    const t0 = Date.now();
    let timer;
    try {
      await Promise.race([
        fn(),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs); }),
      ]);
      passed++;
      console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${e && e.stack ? e.stack.split('\n').slice(0, 6).join('\n     ') : e}`);
    } finally {
      clearTimeout(timer);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed;
}

// A whole suite: setup() (launch the browser, start servers), the tests, teardown() always, then
// the process exit code. A failing setup counts as one failed test.
export async function runSuite(tests, { setup = async () => {}, teardown = async () => {}, timeoutMs } = {}) {
  let failed = 1;
  try {
    await setup();
    failed = await runTests(tests, { timeoutMs });
  } catch (e) {
    console.log(`FAIL setup: ${e.stack || e}`);
    console.log('0 passed, 1 failed');
  } finally {
    await teardown();
  }
  process.exit(failed ? 1 : 0);
}

// A page at `url` in a fresh browser context. page.problems collects what a page must not do
// (console errors, uncaught exceptions and, unless requestFailures is false, failed requests);
// page.closeAll() closes its context. route: {url, handler} for context.route (e.g. a delayed
// download); init: a function run in the page before its scripts (page.addInitScript).
export async function openPage(browser, url, { viewport = { width: 1400, height: 1000 }, acceptDownloads = false, route, init, requestFailures = true } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads });
  if (route) await context.route(route.url, route.handler);
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  if (requestFailures) page.on('requestfailed', (r) => page.problems.push(`request failed: ${r.url()}`));
  if (init) await page.addInitScript(init);
  page.closeAll = () => context.close();
  await page.goto(url);
  return page;
}
