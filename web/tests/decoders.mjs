// decoders.mjs — property tests of the browser's decoders of outside bytes (issue 15): the
// config in the URL hash (web/src/config-url.js, read by every lab page) and the files dropped
// on the viewer (web/src/viewer-page.js). Thousands of random, truncated and extreme inputs
// (random bytes, every prefix of a valid link, 1e999 and 400-digit numbers, JSON nested
// 100,000 deep): each must decode or fail with a readable Error — the page shows it in its
// error banner — and never raise an uncaught exception (a `pageerror`). Seeded, so a failure
// reproduces. About 10 s.
//
//   node web/tests/decoders.mjs build/web
import path from 'node:path';
import { launchChromium } from './chromium.mjs';
import { assert, runSuite } from './harness.mjs';
import { serve } from './server.mjs';

const webDir = path.resolve(process.argv[2] || 'build/web');
const SEED = 20261207;
let browser, lab;

async function open(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(`console: ${m.text()}`); });
  await page.goto(url);
  // The input generator, defined in the page (an evaluated string, not eval under the CSP).
  await page.evaluate(`window.makeInputs = ${makeInputs.toString()}`);
  page.closeAll = () => context.close();
  return page;
}

// The generator of test inputs, run inside the page (so the inputs are the browser's own
// strings and bytes): a seeded LCG, and the extreme cases every decoder must survive.
function makeInputs(seed) {
  let s = seed >>> 0;
  const rand = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296; };
  const pick = (alphabet) => alphabet[Math.floor(rand() * alphabet.length)];
  const randomText = (n, alphabet) => Array.from({ length: n }, () => pick(alphabet)).join('');
  const bytes = (n) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
  const b64 = (text) => { const u = new TextEncoder().encode(text); let bin = ''; for (const b of u) bin += String.fromCharCode(b); return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''); };
  const valid = JSON.stringify({ kind: 'edge_of_stability', seed: 1, optim: { type: 'gd', lr: 0.05 }, train: { steps: 20 } });
  const extremes = [
    '{"kind": "edge_of_stability", "optim": {"lr": 1e999}}', '{"seed": -1e999}',
    '{"train": {"steps": ' + '9'.repeat(400) + '}}', '{"a": ' + '['.repeat(100000) + ']'.repeat(100000) + '}',
    '{"a": "' + '\\u0000'.repeat(50) + '"}', '{"a": "\\ud800"}', '[1, 2]', 'null', '"text"', '{"a": 1,}', '',
  ];
  return { rand, pick, randomText, bytes, b64, valid, extremes };
}

const tests = [
  {
    name: 'URL hash: random, truncated and extreme hashes decode or fail with a readable Error',
    fn: async () => {
      const page = await open(lab.url + '/viewer.html');
      const failures = await page.evaluate(async (seed) => {
        const { parseHash, buildHash } = await import(new URL('js/config-url.js', location.href).href);
        const g = window.makeInputs(seed);
        const link = buildHash(g.valid, { autorun: 1, controls: 'optim.lr' });
        const hashes = [];
        for (let n = 0; n <= link.length; ++n) hashes.push(link.slice(0, n));  // every truncation
        for (const text of g.extremes) hashes.push('#' + g.b64(text), '#' + encodeURIComponent(text), '#' + text);
        const urlish = 'AZaz09-_%&={}[]":,.#+/ \u00e9\u0000';
        for (let i = 0; i < 3000; ++i) {
          const kind = i % 3;
          if (kind === 0) hashes.push('#' + g.randomText(Math.floor(g.rand() * 80), urlish));
          else if (kind === 1) hashes.push('#' + g.b64(String.fromCharCode(...g.bytes(Math.floor(g.rand() * 60)))));
          else { const cut = link.slice(0, Math.floor(g.rand() * link.length)); hashes.push(cut + g.randomText(5, urlish) + link.slice(cut.length + 5)); }
        }
        const out = [];
        for (const hash of hashes) {
          try {
            const r = parseHash(hash);
            if (r.configText !== null && (typeof r.config !== 'object' || r.config === null || Array.isArray(r.config))) out.push(`${hash.slice(0, 60)}: decoded to a non-object`);
          } catch (e) {
            // Only the decoder's own messages: a TypeError, URIError or RangeError is a bug.
            if (!(e instanceof Error) || e.constructor !== Error || !/^the (config|URL)/.test(e.message)) out.push(`${hash.slice(0, 60)}: ${e && e.constructor && e.constructor.name}: ${e && e.message}`);
          }
        }
        return { count: hashes.length, out };
      }, SEED);
      assert.ok(failures.count > 3000, `only ${failures.count} hashes`);
      assert.deepEqual(failures.out.slice(0, 5), []);
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
  {
    name: 'URL hash: a lab page given bad links shows the error in its banner, no uncaught exception',
    fn: async () => {
      const g = makeInputs(SEED);
      // Two page loads (each starts the lab's WASM module): nesting 10^5 deep, and base64url
      // of bytes that are not UTF-8 (found by the test above: a TypeError from TextDecoder).
      const bad = ['#' + g.b64('{"a": ' + '['.repeat(100000) + ']'.repeat(100000) + '}'), '#null'];
      for (const hash of bad) {
        const page = await open(lab.url + '/quadratic.html' + hash);
        await page.waitForSelector('#error-banner:not([hidden])', { timeout: 20000 });
        const message = await page.textContent('#error-banner');
        assert.ok(message.length > 20, `a bare banner for ${hash.slice(0, 40)}: ${message}`);
        assert.deepEqual(page.problems, [], `for ${hash.slice(0, 40)}`);
        await page.closeAll();
      }
    },
  },
  {
    name: 'viewer: 400 random, truncated and extreme dropped files show an error or load, never an uncaught exception',
    fn: async () => {
      const page = await open(lab.url + '/viewer.html');
      await page.waitForFunction(() => window.gradlabViewer);
      const result = await page.evaluate(async (seed) => {
        const g = window.makeInputs(seed);
        const rows = Array.from({ length: 6 }, (_, s) => JSON.stringify({ step: s, loss: 1 / (s + 1), sharpness: 2 + s, threshold: 40 })).join('\n') + '\n';
        const metrics = JSON.stringify({ config: JSON.parse(g.valid), runs: [{ id: 'a', label: 'a', rows: rows.trim().split('\n').map((l) => JSON.parse(l)), summary: { status: 'finished' } }] });
        const files = [];
        for (let n = 0; n < rows.length; n += 7) files.push(['cut.jsonl', rows.slice(0, n)]);
        for (let n = 0; n < metrics.length; n += 23) files.push(['cut-metrics.json', metrics.slice(0, n)]);
        for (const text of g.extremes) files.push(['x.json', text], ['x.jsonl', text]);
        files.push(['huge.jsonl', '{"step": 1e308, "loss": 1e999}\n{"step": -1e308, "loss": -1e-320}\n'],
          ['types.json', '{"runs": [{"rows": [{"step": 0, "loss": "a"}], "summary": 3}], "config": 7}'],
          ['empty-run.json', '{"runs": [{"rows": []}, null]}'], ['nulls.jsonl', '{"step": 0, "loss": null, "sharpness": [1, {}]}\n']);
        while (files.length < 400) files.push([g.pick(['r.jsonl', 'r.json', 'summary.json']), new TextDecoder().decode(g.bytes(Math.floor(g.rand() * 200)))]);
        let errors = 0;
        for (const [name, text] of files) {
          document.querySelector('#error-banner').hidden = true;
          await window.gradlabViewer.load([new File([text], name)]);
          if (!document.querySelector('#error-banner').hidden) ++errors;
        }
        return { files: files.length, errors };
      }, SEED);
      assert.ok(result.files >= 400 && result.errors > 300, JSON.stringify(result));
      assert.deepEqual(page.problems, []);
      await page.closeAll();
    },
  },
];

runSuite(tests, {
  setup: async () => { browser = await launchChromium(); lab = await serve(webDir); },
  teardown: async () => { if (browser) await browser.close(); if (lab) await lab.close(); },
  timeoutMs: 60000,
});
