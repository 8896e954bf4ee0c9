// chromium.mjs — the headless browser every web suite and bench.mjs drives: Debian's
// /usr/bin/chromium (or $GRADLAB_CHROMIUM) through playwright-core, never a downloaded browser.
import { chromium } from 'playwright-core';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchChromium() {
  return chromium.launch({ executablePath: process.env.GRADLAB_CHROMIUM || '/usr/bin/chromium', args: ARGS });
}
