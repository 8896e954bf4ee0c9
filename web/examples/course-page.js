// course-page.js — the scripted embeds of course-page.html: the edge of stability at two step
// sizes (gradlab.mount: each starts when scrolled into view and sizes itself), and the plain
// iframes (svm.html, double-descent.html with &embed=1) sized by gradlab.autosize.
const spiral = (lr) => ({
  kind: 'edge_of_stability', seed: 0,
  data: { source: 'synthetic', generator: 'spiral', n_train: 300, n_test: 100, targets: 'onehot' },
  model: { type: 'mlp', widths: [64, 64], activation: 'tanh' },
  loss: 'mse', optim: { type: 'gd', lr },
  train: { steps: 600, log_every: 10 },
  probe: { sharpness_every: 20, top_k: 3, lanczos_iters: 15 },
});

const note = document.getElementById('eos-note');
window.labs = {
  slow: gradlab.mount(document.getElementById('eos-slow'), spiral(0.1),
    { controls: ['optim.lr'], charts: ['loss', 'sharpness'], title: 'gradlab: edge of stability, η = 0.1' }),
  fast: gradlab.mount(document.getElementById('eos-fast'), spiral(0.2),
    { controls: ['optim.lr'], charts: ['loss', 'sharpness'], title: 'gradlab: edge of stability, η = 0.2' }),
};
for (const [name, lab] of Object.entries(window.labs)) {
  lab.on('error', (message) => { note.textContent = `${name}: ${message}`; });
}
document.querySelectorAll('iframe[data-gradlab]').forEach((frame) => gradlab.autosize(frame));
