// grokking-page.js — entry point of grokking.html: the grokking lab, the page skeleton
// (lab-page.js) with the kind's descriptor (its charts use the log-x and spectrum options).
import { LabPage } from './lab-page.js';
import { showError } from './common.js';
import { prewarm } from './runner.js';

// The worker (and its WASM compile) first, before the charts are built: page load → first
// chart is mostly that compile plus the data download (docs/benchmarks.md).
prewarm();
const lab = new LabPage({ kind: 'grokking', root: document });
// For the browser tests and the console: the lab, its runs and their rows.
window.gradlabLab = lab;
lab.init().catch((e) => showError(e.message));
