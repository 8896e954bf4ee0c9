// home-page.js — the home page: one card per experiment kind that has a page, made from the kind
// table's page descriptors (schema.json `kinds[].page.card`, written by the WASM module at build
// time), so a new kind's card appears with its descriptor; then the build info. No WASM here.
import { el } from './common.js';

function kindCard(page) {
  const c = page.card;
  const join = (lines) => (Array.isArray(lines) ? lines.join(' ') : String(lines));
  const link = el('a', { class: 'go', href: page.file }, c.link || `Open ${page.title} →`);
  return el('article', { class: 'card', id: c.id || `card-${page.file.replace(/\.html$/, '')}` }, [
    el('h2', {}, c.heading || page.title),
    el('p', {}, join(c.text)),
    el('p', { class: 'claim' }, join(c.claim)),
    link,
  ]);
}

async function showKinds() {
  const cards = document.getElementById('cards');
  const before = document.getElementById('card-viewer');
  const response = await fetch('schema.json');
  if (!response.ok) throw new Error(`schema.json: HTTP ${response.status}`);
  const schema = await response.json();
  for (const kind of schema.kinds || []) {
    if (kind.page && kind.page.card) cards.insertBefore(kindCard(kind.page), before);
  }
}

showKinds().catch((e) => {
  const note = el('p', { class: 'hint' }, `The experiment list could not be loaded (${e.message}).`);
  document.getElementById('cards').before(note);
});

fetch('version.json')
  .then((r) => (r.ok ? r.json() : null))
  .then((v) => {
    if (v) document.getElementById('build-info').textContent = `build ${v.build_id} · WASM ${Math.round(v.wasm_gzip_bytes / 1024)} KB gzipped`;
  })
  .catch(() => {});
