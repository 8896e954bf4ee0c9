// central-flow-page.js — entry point of central-flow.html: GD, gradient flow and the central
// flow (Cohen et al. 2024) from one start, the page skeleton (lab-page.js) with the
// central_flow kind's descriptor (its charts put the three runs on one loss chart, with the
// flow's prediction of GD's time-averaged loss, and on one sharpness chart, with 2/η).
import { LabPage } from './lab-page.js';
import { showError } from './common.js';
import { prewarm } from './runner.js';

prewarm();
const lab = new LabPage({ kind: 'central_flow', root: document });
// For the browser tests and the console: the lab, its runs and their rows.
window.gradlabLab = lab;
lab.init().catch((e) => showError(e.message));
