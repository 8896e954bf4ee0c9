// mode-connectivity-page.js — entry point of mode-connectivity.html: the page skeleton
// (lab-page.js) with the mode_connectivity kind's descriptor (its curves over t and the
// loss-landscape heatmap are charts of the descriptor), plus a table of the run's barriers.
import { LabPage } from './lab-page.js';
import { $, el, formatNumber, showError } from './common.js';
import { prewarm } from './runner.js';

prewarm();

function renderTable(lab) {
  const table = $('#phase-table');
  table.querySelector('thead').replaceChildren(el('tr', {}, ['run', 'barrier: line', 'Bézier', 'line after matching', 'train acc A / B']
    .map((t) => el('th', { text: t }))));
  const body = table.querySelector('tbody');
  body.textContent = '';
  const f = (v) => (Number.isFinite(v) ? formatNumber(v) : '–');
  for (const r of lab.runs) {
    const s = (r.run.state || {}).summary || {};
    body.append(el('tr', { class: 'barrier-row' }, [
      el('td', { text: r.label }), el('td', { text: f(s.barrier_linear) }), el('td', { text: f(s.barrier_bezier) }),
      el('td', { text: f(s.barrier_matched) }), el('td', { text: `${f(s.train_acc_a)} / ${f(s.train_acc_b)}` }),
    ]));
  }
}

const lab = new LabPage({ kind: 'mode_connectivity', root: document });
lab.onStateHooks.push(renderTable);
window.gradlabLab = lab;
lab.init().catch((e) => showError(e.message));
