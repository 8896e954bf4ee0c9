// sparse-parity-page.js — entry point of sparse-parity.html: the sparse-parity lab, the page
// skeleton (lab-page.js) with the kind's descriptor and nothing else.
import { LabPage } from './lab-page.js';
import { showError } from './common.js';
import { prewarm } from './runner.js';

// The worker (and its WASM compile) first, before the charts are built: page load → first
// chart is mostly that compile plus the data download (docs/benchmarks.md).
prewarm();
const lab = new LabPage({ kind: 'sparse_parity', root: document });
// For the browser tests and the console: the lab, its runs and their rows.
window.gradlabLab = lab;
lab.init().catch((e) => showError(e.message));
