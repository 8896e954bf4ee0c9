// catapult-page.js — entry point of catapult.html: the page skeleton (lab-page.js) with the
// catapult kind's descriptor, plus a table of the runs' phases (lazy / catapult / divergent,
// from each WASM run's summary), coloured, so a sweep of η·λ₀ reads as the paper's phase diagram.
import { LabPage } from './lab-page.js';
import { $, el, formatNumber, showError } from './common.js';
import { prewarm } from './runner.js';

prewarm();

const PHASE_COLORS = { lazy: '#2c7bb6', catapult: '#fdae61', divergent: '#d7191c' };

function renderTable(lab) {
  const table = $('#phase-table');
  table.querySelector('thead').replaceChildren(el('tr', {}, ['run', 'η·λ₀', 'phase', 'peak loss / initial', 'final ηλ / 2']
    .map((t) => el('th', { text: t }))));
  const body = table.querySelector('tbody');
  body.textContent = '';
  const entries = lab.runs.map((r, i) => ({ r, i, sum: (r.run.state || {}).summary || {} }));
  entries.sort((a, b) => (a.sum.lr_times_sharpness ?? Infinity) - (b.sum.lr_times_sharpness ?? Infinity));
  for (const { r, i, sum } of entries) {
    const color = lab.dashboard ? lab.dashboard.color(i) : '';
    body.append(el('tr', { class: 'phase-row', 'data-phase': sum.phase || '' }, [
      el('td', {}, [el('span', { class: 'swatch', style: `background:${color}` }), r.label]),
      el('td', { text: Number.isFinite(sum.lr_times_sharpness) ? formatNumber(sum.lr_times_sharpness) : '–' }),
      el('td', { text: sum.phase || '…', style: sum.phase ? `background:${PHASE_COLORS[sum.phase]};color:#fff` : '' }),
      el('td', { text: Number.isFinite(sum.peak_loss_ratio) ? formatNumber(sum.peak_loss_ratio) : '–' }),
      el('td', { text: Number.isFinite(sum.final_sharpness_ratio) ? formatNumber(sum.final_sharpness_ratio) : '–' }),
    ]));
  }
}

const lab = new LabPage({ kind: 'catapult', root: document });
lab.onStateHooks.push(renderTable);
window.gradlabLab = lab;
lab.init().catch((e) => showError(e.message));
