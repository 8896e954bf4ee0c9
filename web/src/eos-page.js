// eos-page.js — entry point of eos.html: the full edge-of-stability lab.
import { EosLab } from './eos-lab.js';
import { showError } from './common.js';
import { prewarm } from './runner.js';

// The worker (and its WASM compile) first, before the charts are built: page load → first
// chart is mostly that compile plus the data download (docs/benchmarks.md).
prewarm();
const lab = new EosLab({ root: document });
// For the browser tests and the console: the lab, its runs and their rows.
window.gradlabLab = lab;
lab.init().catch((e) => showError(e.message));
window.addEventListener('hashchange', async () => {
  // A pasted link: load its config (a bad one shows an error and keeps the current run).
  const { parseHash } = await import('./config-url.js');
  const { expandConfig } = await import('./runner.js');
  try {
    const { config } = parseHash(location.hash);
    if (!config || JSON.stringify(config) === JSON.stringify(lab.config)) return;
    await expandConfig(config);
    lab.setConfig(config, { writeHash: false });
    await lab.start();
  } catch (e) {
    showError(e.message, { title: 'The config in the URL is invalid' });
  }
});
