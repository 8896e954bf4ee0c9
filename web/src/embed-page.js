// embed-page.js — embed.html: the edge-of-stability lab without chrome, for an <iframe> in a
// course page, with a postMessage API (docs/embedding.md, "The postMessage API", lists every
// message and field; keep the two in step).
//
// URL: embed.html#<config>&controls=optim.lr,seed&charts=loss,sharpness&autorun=0&lazy=0
//   controls: config paths to show as knobs (the descriptor's fields, or any key of the
//   kind's blocks in the schema; "none": no knobs, the Run buttons stay); charts: chart ids.
//   Unknown ones are reported (banner, console, the `ready` message), never silently dropped.
// A config the validator rejects is shown with its message and not run; no default replaces it.
// Requests {gradlab: 1, type, id, ...} each get one answer, {type: 'ack' | 'error', id, ok, ...}:
// from an origin that is neither this page's nor in embed-config.json's allowedOrigins, an
// `error` saying so, posted to that origin only and carrying nothing of the lab's state.
import { schemaKeys, setPath } from './config-fields.js';
import { buildHash } from './config-url.js';
import { LabPage } from './lab-page.js';
import { showError } from './common.js';
import { framed } from './embed-frame.js';

const params = new URLSearchParams(location.hash.replace(/^#[^&]*&?/, ''));
const controls = params.get('controls');
const charts = params.get('charts');
const visible = controls === 'none' ? [] : controls ? controls.split(',').map((s) => s.trim()).filter(Boolean) : ['optim.lr', 'seed'];
if (controls === 'none') document.body.classList.add('no-controls');
const hashOptions = {};
for (const [k, v] of params) hashOptions[k] = v;
const problems = [];  // [{about: 'config' | 'allowList' | 'controls' | 'charts', message}]

function problem(about, message) {
  problems.push({ about, message });
  console.error(`gradlab embed: ${message}`);
}

// A control is known when the kind's descriptor has a field for it, or the schema has the key
// in one of the kind's blocks (those get a plain box, typed by the schema).
function controlFields(fields, schema) {
  const kind = (schema.kinds || []).find((k) => k.name === 'edge_of_stability') || { blocks: [] };
  const own = new Set(fields.map((f) => f.path));
  const extra = [], unknown = [];
  for (const path of visible) {
    if (own.has(path)) continue;
    const entries = schemaKeys(schema, path);
    const block = path.includes('.') ? path.split('.')[0] : entries[0] && entries[0].block;
    if (entries.length && !['kind', 'profiles', 'sweep'].includes(path) && (!block || kind.blocks.includes(block))) extra.push({ path, label: path });
    else unknown.push(path);
  }
  if (unknown.length) {
    const known = [...own, ...schema.keys.filter((k) => kind.blocks.includes(k.path.split('.')[0])).map((k) => k.path)];
    problem('controls', `controls: unknown config path${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (a key of the edge_of_stability config, e.g. ${[...new Set(known)].slice(0, 6).join(', ')}, ...)`);
  }
  return fields.concat(extra);
}

const lab = new LabPage({
  kind: 'edge_of_stability', root: document, embed: true, controls: visible, hashOptions, fields: controlFields,
  charts: charts ? charts.split(',').map((s) => s.trim()).filter(Boolean) : null, chartTools: false,
  fallback: false, badConfigTitle: 'The config given to this embed is invalid',
  // "Open in the full lab" follows the config as it is edited.
  onConfig: (config) => { const a = document.getElementById('open-full'); if (a) a.href = 'eos.html' + buildHash(config); },
});
window.gradlabLab = lab;

// The allow-list: {"allowedOrigins": [origin, ...]}; each entry an origin exactly as a browser
// writes it (scheme://host[:port], no path, no trailing slash) or "*". A malformed file or entry
// is reported, not read as "nobody listed".
let allowed = [location.origin];
const allowList = fetch(new URL('../embed-config.json', import.meta.url)).then(async (response) => {
  if (response.status === 404) return;  // no file: only this origin
  if (!response.ok) throw new Error(`cannot load embed-config.json: HTTP ${response.status}`);
  const text = await response.text();
  let c;
  try { c = JSON.parse(text); } catch (e) { throw new Error(`embed-config.json is not valid JSON (${e.message})`); }
  if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new Error('embed-config.json must be a JSON object {"allowedOrigins": [...]}');
  if (!Array.isArray(c.allowedOrigins)) throw new Error(`embed-config.json: "allowedOrigins" must be a list of origins, got ${JSON.stringify(c.allowedOrigins)}`);
  for (const o of c.allowedOrigins) {
    let origin = null;
    try { origin = typeof o === 'string' && o !== '*' ? new URL(o).origin : null; } catch (e) { /* reported below */ }
    if (o === '*' || origin === o) allowed.push(o);
    else problem('allowList', `embed-config.json: ${JSON.stringify(o)} is not an origin; write scheme://host[:port] with no path or trailing slash${origin && origin !== 'null' ? ` ("${origin}")` : ''}`);
  }
}).catch((e) => problem('allowList', e.message));

const isAllowed = (origin) => allowed.includes('*') || allowed.includes(origin);
const send = (target, origin, message) => target.postMessage(Object.assign({ gradlab: 1 }, message), origin);

// One status for the whole embed, from its runs: the first of these any run is in.
const ORDER = ['error', 'loading', 'running', 'paused', 'ready', 'stopped', 'done'];
const runStatus = (r) => (r.run.status === 'stepping' ? 'running' : r.run.status);
function overall() {
  const runs = lab.active();
  if (!runs.length) return 'idle';
  const all = runs.map(runStatus);
  if (all.every((s) => s === 'done')) return 'done';
  return ORDER.find((s) => all.includes(s)) || all[0];
}
function stateMessage() {
  return {
    type: 'state', runId: lab.serial, status: overall(),
    runs: lab.active().map((r) => {
      const s = r.run.state || {};
      const out = { id: r.id, label: r.label, status: runStatus(r), steps_done: s.steps_done ?? 0, total_steps: s.total_steps ?? null, diverged: !!s.diverged };
      if (s.diverged) out.reason = s.reason;
      if (r.run.status === 'done' && s.summary) out.summary = s.summary;
      return out;
    }),
  };
}

const subscribers = new Set();  // {source, origin}
const broadcast = (message) => { for (const s of subscribers) send(s.source, s.origin, message); };

lab.onStartHooks.push(() => broadcast({ type: 'restart', runId: lab.serial, config: lab.config, runs: lab.active().map((r) => ({ id: r.id, label: r.label })) }));
lab.onRowsHooks.push((entry, rows) => broadcast({ type: 'rows', runId: lab.serial, run: entry.id, rows }));
// `state`: at once when a status changes, else at most 4 a second (the step count moving).
let lastKey = '', lastSent = 0, timer = null;
function sendState() {
  timer = null;
  lastSent = performance.now();
  const m = stateMessage();
  lastKey = m.runId + m.status + m.runs.map((r) => r.status).join();
  broadcast(m);
}
lab.onStateHooks.push(() => {
  if (!subscribers.size) return;
  const m = stateMessage();
  if (m.runId + m.status + m.runs.map((r) => r.status).join() !== lastKey) { clearTimeout(timer); sendState(); } else if (!timer) timer = setTimeout(sendState, Math.max(0, 250 - (performance.now() - lastSent)));
});

// A new config from a message: the validator's verdict first; a rejected one changes nothing.
async function takeConfig(config) {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new Error('start: "config" must be a config object');
  await lab.validate(config);
  lab.setConfig(config);
}

const ready = lab.init({ autorun: true });
window.addEventListener('message', async (event) => {
  const m = event.data;
  if (!m || typeof m !== 'object' || m.gradlab !== 1 || event.source === window || !event.source) return;
  if (['ready', 'resize', 'ack', 'error', 'rows', 'state', 'restart'].includes(m.type)) return;  // replies, not requests
  await allowList;
  const reply = (extra) => send(event.source, event.origin, Object.assign({ id: m.id }, extra));
  if (!isAllowed(event.origin)) {
    console.warn(`gradlab embed: refused a "${m.type}" message from ${event.origin} (not in embed-config.json allowedOrigins)`);
    reply({ type: 'error', ok: false, message: `this lab does not take messages from ${event.origin}: its embed-config.json "allowedOrigins" does not list that origin (docs/embedding.md)` });
    return;
  }
  try {
    await ready;
    switch (m.type) {
      case 'ping': case 'hello': reply({ type: 'ack', ok: true, status: overall(), problems }); return;
      case 'start':
        if (m.config !== undefined) await takeConfig(m.config);
        else await lab.validate(lab.config);  // e.g. the mount's config was rejected: say why again
        await lab.start();
        break;
      case 'pause': lab.pause(); break;
      case 'resume': lab.resume(); break;
      case 'step': lab.step(Math.max(1, m.n | 0)); break;
      case 'reset': await lab.reset(); break;
      case 'stop': lab.stop(); break;
      case 'set': {
        if (typeof m.path !== 'string') throw new Error('set: needs a "path" (e.g. "optim.lr") and a "value"');
        // Through the page's edit queue, as a knob: edits apply in order, the latest wins.
        lab.editError = null;
        const taken = await lab.edit(m.path, (c) => setPath(c, m.path, m.value), { restart: m.restart !== false });
        if (!taken) throw lab.editError || new Error(`set ${m.path}: a newer config (a start or a preset) replaced the one it edited`);
        break;
      }
      case 'getConfig': reply({ type: 'ack', ok: true, config: lab.config }); return;
      case 'subscribe': subscribers.add({ source: event.source, origin: event.origin }); break;
      case 'unsubscribe':
        for (const s of [...subscribers]) if (s.source === event.source) subscribers.delete(s);
        break;
      default: throw new Error(`unknown message type "${m.type}" (start, pause, resume, step, reset, stop, set, getConfig, subscribe, unsubscribe, ping)`);
    }
    reply({ type: 'ack', ok: true });
  } catch (e) {
    reply({ type: 'error', ok: false, message: e.message });
  }
});

ready.then(async () => {
  await allowList;
  if (lab.configError) problem('config', lab.configError);
  const wanted = lab.options.charts, ids = (lab.page.charts || []).map((c) => c.id);
  const unknown = (wanted || []).filter((c) => !ids.includes(c));
  if (unknown.length) problem('charts', `charts: unknown chart${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (this lab's charts: ${ids.join(', ')})`);
  const others = problems.filter((p) => p.about !== 'config');
  if (others.length) showError(others.map((p) => p.message).join(' · '), { title: 'Embed settings' });
  // Tells the parent the lab listens; `problems` (what is wrong with the config, the controls,
  // the charts or the allow-list) is no secret: embed-config.json and the URL are public.
  if (framed) window.parent.postMessage({ gradlab: 1, type: 'ready', problems }, '*');
}).catch((e) => showError(e.message));
