#!/usr/bin/env bash
# web/build.sh OUT_DIR [WASM_DIR [WASM_MT_DIR]] — assembles the static browser lab (docs/design.md §5).
#
#   OUT_DIR      where the site goes (./lab passes build/web); emptied first
#   WASM_DIR     the Emscripten build holding gradlab_web.js + gradlab_web.wasm
#                (default: $GRADLAB_WASM_DIR, else build/wasm next to this folder)
#   WASM_MT_DIR  the threaded build (GRADLAB_WASM_THREADS) holding gradlab_web_mt.js/.wasm/
#                .worker.js, which the worker loads on cross-origin-isolated pages (default:
#                $GRADLAB_WASM_MT_DIR, else build/wasm-mt; missing: the site runs single-threaded)
#
# The result is plain files — no server logic, no CDN — that work offline from any static
# host and under `Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval'`:
#   *.html (web/*.html, and web/pages/<page>.html inside web/pages/shell.html for each kind
#   page descriptor naming one), css/, js/ (page modules, worker.js, gradlab_web.js/.wasm, vendor/uPlot.mjs),
#   presets/experiments/<folder>/ (each page's presets: the experiment folder its kind's page
#   descriptor names, copied with an index.json of its files), schema.json (the config schema
#   and the kinds with their page descriptors, for the pages), version.json (build id, payload sizes), data/fashion-mnist/ (a subset of the
#   Debian package's IDX files, gzipped; the worker inflates it with DecompressionStream),
#   data/kjv/kjv.txt.gz (the first characters of the King James Bible text ./lab setup writes
#   to build/data/kjv.txt: the scaling page's corpus, staged where a config's data.path names a
#   kjv.txt).
# Knobs: GRADLAB_WEB_FASHION_TRAIN (10000), GRADLAB_WEB_FASHION_TEST (3000) images kept,
#        GRADLAB_FASHION_DIR (/usr/share/datasets/fashion-mnist), GRADLAB_KJV_TEXT
#        (build/data/kjv.txt), GRADLAB_WEB_KJV_CHARS (300000) characters of it kept.
set -euo pipefail

WEB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(dirname "$WEB")
[ $# -ge 1 ] || { echo "usage: web/build.sh OUT_DIR [WASM_DIR]" >&2; exit 2; }
OUT=$1
WASM_DIR=${2:-${GRADLAB_WASM_DIR:-$ROOT/build/wasm}}
WASM_MT_DIR=${3:-${GRADLAB_WASM_MT_DIR:-$ROOT/build/wasm-mt}}
FASHION_DIR=${GRADLAB_FASHION_DIR:-/usr/share/datasets/fashion-mnist}
FASHION_TRAIN=${GRADLAB_WEB_FASHION_TRAIN:-10000}
FASHION_TEST=${GRADLAB_WEB_FASHION_TEST:-3000}
KJV_TEXT=${GRADLAB_KJV_TEXT:-$ROOT/build/data/kjv.txt}
KJV_CHARS=${GRADLAB_WEB_KJV_CHARS:-300000}
PYTHON=${GRADLAB_PYTHON:-/usr/bin/python3}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

die() { echo "web/build.sh: error: $*" >&2; exit 1; }

for f in gradlab_web.js gradlab_web.wasm; do
  [ -f "$WASM_DIR/$f" ] || die "$WASM_DIR/$f is missing: build the target gradlab_web first (./lab build)"
done
UPLOT="$WEB/node_modules/uplot"
[ -f "$UPLOT/dist/uPlot.iife.min.js" ] || die "uPlot is not installed in web/node_modules: run ./lab setup (npm ci in web/)"
TERSER="$WEB/node_modules/terser"
[ -f "$TERSER/package.json" ] || die "terser is not installed in web/node_modules: run ./lab setup (npm ci in web/)"

case "$OUT" in
  "" | / | "$ROOT" | "$WEB") die "refusing to empty '$OUT'" ;;
esac
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)
find "$OUT" -mindepth 1 -delete
mkdir -p "$OUT/js/vendor" "$OUT/css" "$OUT/data"

cp "$WEB"/*.html "$WEB"/favicon.svg "$WEB"/embed-config.json "$OUT/"
cp "$WEB"/css/*.css "$OUT/css/"
cp "$WEB"/src/*.js "$OUT/js/"
cp "$WASM_DIR/gradlab_web.js" "$WASM_DIR/gradlab_web.wasm" "$OUT/js/"
MT_FILES=(gradlab_web_mt.js gradlab_web_mt.wasm gradlab_web_mt.worker.js)
if [ -f "$WASM_MT_DIR/gradlab_web_mt.js" ] && [ -f "$WASM_MT_DIR/gradlab_web_mt.wasm" ] \
   && [ -f "$WASM_MT_DIR/gradlab_web_mt.worker.js" ]; then
  for f in "${MT_FILES[@]}"; do cp "$WASM_MT_DIR/$f" "$OUT/js/"; done
else
  echo "web/build.sh: warning: no threaded module in $WASM_MT_DIR (./lab build makes it); cross-origin-isolated pages will run single-threaded" >&2
fi

# Minify the page modules, the worker and the Emscripten glue (terser: compress + mangle local
# names; top-level names of the classic scripts — createGradlab, window.gradlab — are kept, and
# so are class and function names, which error titles and Embind show). This is a third of the
# download of the JS (docs/design.md §5: WASM + JS <= 400 KB gzipped). Each file gets a source map
# with its original text (fetched by a browser only when its developer tools are open).
NODE_PATH="$WEB/node_modules" node - "$OUT/js" <<'JS'
const fs = require('fs'), path = require('path'), { minify } = require('terser');
const dir = process.argv[2];
const classic = new Set(['worker.js', 'gradlab-embed.js', 'gradlab_web.js', 'gradlab_web_mt.js', 'gradlab_web_mt.worker.js']);  // not ES modules
(async () => {
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort()) {
    const file = path.join(dir, name), code = fs.readFileSync(file, 'utf8');
    const result = await minify({ [name]: code }, {
      module: !classic.has(name), ecma: 2020, compress: { passes: 2 }, mangle: true,
      keep_classnames: true, keep_fnames: true,
      sourceMap: { filename: name, url: name + '.map', includeSources: true },
      format: { comments: /^!|@license|@preserve/ },
    });
    fs.writeFileSync(file, result.code);
    fs.writeFileSync(file + '.map', result.map);
  }
})().catch((e) => { console.error('web/build.sh: terser failed: ' + (e.message || e)); process.exit(1); });
JS

# uPlot: its minified build as an ES module (the IIFE defines `uPlot`; export it).
{
  cat "$UPLOT/dist/uPlot.iife.min.js"
  printf '\nexport default uPlot;\n'
} >"$OUT/js/vendor/uPlot.mjs"
cp "$UPLOT/dist/uPlot.min.css" "$OUT/css/"
cp "$UPLOT/LICENSE" "$OUT/js/vendor/uPlot.LICENSE.txt"

# The Fashion-MNIST subset: the first N images of each split, as IDX files (the format the
# WASM build reads), gzipped with a fixed mtime so rebuilds are byte-identical.
if [ -f "$FASHION_DIR/train-images-idx3-ubyte.gz" ]; then
  mkdir -p "$OUT/data/fashion-mnist"
  "$PYTHON" - "$FASHION_DIR" "$OUT/data/fashion-mnist" "$FASHION_TRAIN" "$FASHION_TEST" <<'PY'
import gzip, struct, sys
src, dst, n_train, n_test = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for split, n in (("train", n_train), ("t10k", n_test)):
    for kind in ("images-idx3", "labels-idx1"):
        name = f"{split}-{kind}-ubyte"
        with gzip.open(f"{src}/{name}.gz", "rb") as f:
            data = f.read()
        ndim = data[3]
        dims = list(struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim]))
        keep = min(n, dims[0])
        per_item = 1
        for d in dims[1:]:
            per_item *= d
        header = data[:4] + struct.pack(">" + "I" * ndim, keep, *dims[1:])
        body = data[4 + 4 * ndim: 4 + 4 * ndim + keep * per_item]
        with open(f"{dst}/{name}.gz", "wb") as out:
            out.write(gzip.compress(header + body, compresslevel=9, mtime=0))
PY
  cat >"$OUT/data/fashion-mnist/README.txt" <<EOF
Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, MIT licence), from the Debian package
dataset-fashion-mnist: the first $FASHION_TRAIN training and first $FASHION_TEST test images, as
gzipped IDX files. The browser lab writes them, inflated, where a config's data.path points
(default /usr/share/datasets/fashion-mnist) in the WASM in-memory file system, so
data.n_train / data.n_test can ask for at most the examples of the chosen classes among
these; run natively (gradlab run) for the full set.
EOF
else
  echo "web/build.sh: warning: $FASHION_DIR has no Fashion-MNIST (apt-get install dataset-fashion-mnist); the Fashion-MNIST presets will report a missing file" >&2
fi

# The KJV slice: the first KJV_CHARS characters (the text is ASCII: bytes = characters), gzipped
# with a fixed mtime. The text source splits by position, so in the browser the validation text
# is the slice's last data.test_fraction, not the native corpus's (docs/kinds/scaling.md).
if [ -s "$KJV_TEXT" ]; then
  mkdir -p "$OUT/data/kjv"
  head -c "$KJV_CHARS" "$KJV_TEXT" | gzip -9 -n >"$OUT/data/kjv/kjv.txt.gz"
  cat >"$OUT/data/kjv/README.txt" <<EOF
The King James Bible (public domain), from the Debian package bible-kjv-text as ./lab setup
writes it (bible Gen1:1-Rev22:21): its first $KJV_CHARS characters, gzipped. The browser lab
writes it, inflated, where a config's data.path names a file kjv.txt (e.g. build/data/kjv.txt)
in the WASM in-memory file system; run natively (gradlab run / sweep) for the whole text.
EOF
else
  echo "web/build.sh: warning: $KJV_TEXT is missing (./lab setup writes it); the scaling page will report a missing file" >&2
fi

# schema.json (forms, kinds and their page descriptors) and version.json (build id, payload
# sizes), from the WASM module itself; then each page's presets: the experiment folder its
# descriptor names (the pages and `gradlab run` read the same files; a config's `web` profile
# gives the browser sizes), with an index.json of the files.
NODE_PATH=${NODE_PATH:-/usr/share/nodejs} node - "$OUT" "$ROOT" <<'JS'
const fs = require('fs'), path = require('path'), zlib = require('zlib');
const [out, root] = process.argv.slice(2);
const js = path.join(out, 'js', 'gradlab_web.js'), wasm = path.join(out, 'js', 'gradlab_web.wasm');
require(js)({ wasmBinary: fs.readFileSync(wasm) }).then((M) => {
  const schema = JSON.parse(M.schema());
  fs.writeFileSync(path.join(out, 'schema.json'), JSON.stringify(schema));
  for (const kind of schema.kinds) {
    const folder = kind.page && kind.page.presets;
    if (!folder) continue;
    if (!/^experiments\/[\w-]+$/.test(folder)) throw new Error(`kind ${kind.name}: page.presets must name a folder experiments/<name>, got "${folder}"`);
    const files = fs.readdirSync(path.join(root, folder)).filter((f) => f.endsWith('.json')).sort();
    const dest = path.join(out, 'presets', folder);
    fs.mkdirSync(dest, { recursive: true });
    for (const f of files) fs.copyFileSync(path.join(root, folder, f), path.join(dest, f));
    fs.writeFileSync(path.join(dest, 'index.json'), JSON.stringify(files) + '\n');
  }
  writeKindPages(schema.kinds);
  const gz = (f) => zlib.gzipSync(fs.readFileSync(f), { level: 9 }).length;
  // The default payload: everything but the threaded module, which only cross-origin-isolated
  // pages load instead of gradlab_web.* (reported apart).
  const mt = ['gradlab_web_mt.js', 'gradlab_web_mt.worker.js', 'gradlab_web_mt.wasm'].map((f) => path.join(out, 'js', f));
  const pageJs = fs.readdirSync(path.join(out, 'js')).filter((f) => f.endsWith('.js')).map((f) => path.join(out, 'js', f)).filter((f) => !mt.includes(f));
  const version = {
    build_id: M.buildId(),
    wasm_bytes: fs.statSync(wasm).size,
    wasm_gzip_bytes: gz(wasm),
    glue_js_gzip_bytes: gz(js),
    page_js_gzip_bytes: pageJs.filter((f) => f !== js).reduce((s, f) => s + gz(f), 0) + gz(path.join(out, 'js', 'vendor', 'uPlot.mjs')),
  };
  version.total_gzip_bytes = version.wasm_gzip_bytes + version.glue_js_gzip_bytes + version.page_js_gzip_bytes;
  if (fs.existsSync(mt[0])) version.threaded_gzip_bytes = mt.reduce((s, f) => s + gz(f), 0);
  fs.writeFileSync(path.join(out, 'version.json'), JSON.stringify(version, null, 2) + '\n');
  console.log(`web/build.sh: ${out}: WASM ${(version.wasm_gzip_bytes / 1024).toFixed(0)} KB + JS ${((version.glue_js_gzip_bytes + version.page_js_gzip_bytes) / 1024).toFixed(0)} KB gzipped (total ${(version.total_gzip_bytes / 1024).toFixed(0)} KB, data excluded)`);
}).catch((e) => { console.error('web/build.sh: ' + (e.message || e)); process.exit(1); });

// The kinds' pages: web/pages/<page>.html (its <nav>, its text, what follows the results) inside
// web/pages/shell.html, titled by the kind's page descriptor, its module's imports preloaded.
// Every descriptor's file must then exist, hand-written (web/<file>) or made here.
function writeKindPages(kinds) {
  const web = path.join(root, 'web'), pages = path.join(web, 'pages');
  const shell = fs.readFileSync(path.join(pages, 'shell.html'), 'utf8').replace(/<!--[^]*?-->\n/, '');
  for (const kind of kinds) {
    const file = kind.page && kind.page.file;
    if (!file) continue;
    const stem = file.replace(/\.html$/, ''), fragment = path.join(pages, file);
    if (fs.existsSync(fragment)) {
      if (fs.existsSync(path.join(web, file))) throw new Error(`kind ${kind.name}: both web/${file} and web/pages/${file} exist; keep one`);
      const text = fs.readFileSync(fragment, 'utf8').replace(/^<!--[^]*?-->\n/, '');
      const nav = text.match(/^<nav>.*<\/nav>$/m);
      if (!nav) throw new Error(`web/pages/${file}: no <nav>…</nav> line`);
      const [lead, after = ''] = text.replace(nav[0] + '\n', '').split('<!-- after the results -->\n');
      const module = `${stem}-page.js`;
      if (!fs.existsSync(path.join(web, 'src', module))) throw new Error(`web/pages/${file}: its module web/src/${module} is missing`);
      const preloads = staticImports(path.join(web, 'src'), module).map((m) => `<link rel="modulepreload" href="js/${m}">`).join('\n');
      const fill = { title: kind.page.title, module, preloads, nav: nav[0], lead: lead.replace(/\n$/, ''), after };
      const html = shell.replace(/\{\{(\w+)\}\}/g, (_, key) => {
        if (!(key in fill)) throw new Error(`web/pages/shell.html: unknown {{${key}}}`);
        return fill[key];
      });
      fs.writeFileSync(path.join(out, file), html);
    }
    if (!fs.existsSync(path.join(out, file))) throw new Error(`kind ${kind.name}: its page ${file} is neither web/${file} nor web/pages/${file}`);
  }
}

// The modules `module` imports, directly or not (./x.js and ./vendor/x.mjs), in the order met.
function staticImports(dir, module) {
  const seen = [], queue = [module];
  while (queue.length) {
    const text = fs.readFileSync(path.join(dir, queue.shift()), 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\b[^'"]*?['"]\.\/([\w./-]+)['"]/gm)) {
      if (seen.includes(m[1])) continue;
      seen.push(m[1]);
      if (!m[1].startsWith('vendor/')) queue.push(m[1]);
    }
  }
  return seen;
}
JS
