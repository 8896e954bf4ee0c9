// embed-page.js — embed.html: the edge-of-stability lab without chrome, for an <iframe> in a
// course page, with a postMessage API.
//
// URL: embed.html#<config>&controls=optim.lr,seed&charts=loss,sharpness&autorun=0
//   controls: the knobs shown (config paths; "none" hides the panel); charts: the charts shown.
// postMessage API (docs/embedding.md). Messages are objects {gradlab: 1, type, id?, ...}:
//   start {config?} · pause · resume · step {n} · reset · stop · set {path, value}
//   getConfig · subscribe · unsubscribe · ping
// Each request gets {gradlab: 1, type: 'ack' | 'error', id, ...}; subscribers get
// {type: 'rows', run, rows} and {type: 'state', runs}. Only windows whose origin is this
// page's own or listed in embed-config.json ("allowedOrigins") are answered; others are
// ignored, so a course site decides who may drive its embedded lab.
import { setPath } from './config-fields.js';
import { buildHash } from './config-url.js';
import { LabPage, fetchJson } from './lab-page.js';
import { showError } from './common.js';
import { expandConfig } from './runner.js';

const params = new URLSearchParams(location.hash.replace(/^#[^&]*&?/, ''));
const controls = params.get('controls');
const charts = params.get('charts');
const visible = controls === 'none' ? [] : controls ? controls.split(',').map((s) => s.trim()).filter(Boolean) : ['optim.lr', 'seed'];
if (controls === 'none') document.body.classList.add('no-controls');
const hashOptions = {};
for (const [k, v] of params) hashOptions[k] = v;

const lab = new LabPage({
  kind: 'edge_of_stability', root: document, embed: true, controls: visible, hashOptions,
  charts: charts ? charts.split(',').map((s) => s.trim()) : null, chartTools: false,
});
window.gradlabLab = lab;

let allowed = [location.origin];
const subscribers = new Set();  // origins, with the window to post to
const allowList = fetchJson(new URL('../embed-config.json', import.meta.url))
  .then((c) => { allowed = allowed.concat(Array.isArray(c.allowedOrigins) ? c.allowedOrigins : []); })
  .catch(() => {});

function isAllowed(origin) {
  return allowed.includes('*') || allowed.includes(origin);
}

function send(target, origin, message) {
  target.postMessage(Object.assign({ gradlab: 1 }, message), origin);
}

lab.onRowsHooks.push((entry, rows) => {
  for (const s of subscribers) send(s.source, s.origin, { type: 'rows', run: entry.id, label: entry.label, start: lab.serial, rows });
});
lab.onStateHooks.push(() => {
  const runs = lab.runs.map((r) => ({ id: r.id, label: r.label, status: r.run.status, state: r.run.state }));
  for (const s of subscribers) send(s.source, s.origin, { type: 'state', runs });
});

window.addEventListener('message', async (event) => {
  const m = event.data;
  if (!m || typeof m !== 'object' || m.gradlab !== 1 || event.source === window) return;
  await allowList;
  if (!isAllowed(event.origin)) {
    console.warn(`gradlab embed: ignored a message from ${event.origin} (not in embed-config.json allowedOrigins)`);
    return;
  }
  const reply = (extra) => send(event.source, event.origin, Object.assign({ id: m.id }, extra));
  try {
    switch (m.type) {
      case 'ping': reply({ type: 'ack', ok: true, buildId: lab.runs[0] && lab.runs[0].run.buildId }); return;
      case 'start':
        if (m.config) {
          await expandConfig(m.config);
          lab.setConfig(m.config);
        }
        await lab.start();
        break;
      case 'pause': lab.pause(); break;
      case 'resume': lab.resume(); break;
      case 'step': lab.step(Math.max(1, m.n | 0)); break;
      case 'reset': await lab.reset(); break;
      case 'stop': lab.stop(); break;
      case 'set': {
        if (typeof m.path !== 'string') throw new Error('set: needs a "path" (e.g. "optim.lr") and a "value"');
        const config = JSON.parse(JSON.stringify(lab.config));
        setPath(config, m.path, m.value);
        await expandConfig(config);  // a ConfigError goes back to the sender, the run goes on
        lab.setConfig(config);
        // As a knob in the page: a run in progress restarts with the new value.
        if (m.restart !== false && lab.active().some((r) => r.run.status !== 'stopped')) await lab.start();
        break;
      }
      case 'getConfig': reply({ type: 'ack', ok: true, config: lab.config }); return;
      case 'subscribe': subscribers.add({ source: event.source, origin: event.origin }); break;
      case 'unsubscribe':
        for (const s of [...subscribers]) if (s.source === event.source) subscribers.delete(s);
        break;
      default: throw new Error(`unknown message type "${m.type}"`);
    }
    reply({ type: 'ack', ok: true });
  } catch (e) {
    reply({ type: 'error', ok: false, message: e.message });
  }
});

lab.init({ autorun: true }).then(() => {
  const full = document.getElementById('open-full');
  if (full) full.href = 'eos.html' + buildHash(lab.config);
  if (window.parent !== window) window.parent.postMessage({ gradlab: 1, type: 'ready' }, '*');
}).catch((e) => showError(e.message));
