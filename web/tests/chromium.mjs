// chromium.mjs — the headless browser every web suite and bench.mjs drives: Debian's
// /usr/bin/chromium (or $GRADLAB_CHROMIUM) through playwright-core, never a downloaded browser.
import { chromium } from 'playwright-core';
import { runSuite } from './harness.mjs';
import { serve } from './server.mjs';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchChromium() {
  return chromium.launch({ executablePath: process.env.GRADLAB_CHROMIUM || '/usr/bin/chromium', args: ARGS });
}

// runSuite with a headless Chromium and the built site (webDir) served under the lab's CSP for
// the tests' time; started(browser, lab) hands both to the suite before its first test.
export async function runPageSuite(tests, webDir, started, options = {}) {
  let browser, lab;
  await runSuite(tests, {
    ...options,
    setup: async () => {
      browser = await launchChromium();
      lab = await serve(webDir);
      started(browser, lab);
    },
    teardown: async () => {
      if (browser) await browser.close();
      if (lab) await lab.close();
    },
  });
}
