// home-page.js — the home page needs no WASM: it only shows which build this is.
fetch('version.json')
  .then((r) => (r.ok ? r.json() : null))
  .then((v) => {
    if (v) document.getElementById('build-info').textContent = `build ${v.build_id} · WASM ${Math.round(v.wasm_gzip_bytes / 1024)} KB gzipped`;
  })
  .catch(() => {});
