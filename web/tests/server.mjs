// server.mjs — a tiny static server for the browser tests: serves a folder on 127.0.0.1
// with the lab's strict Content-Security-Policy (no 'unsafe-eval', no inline scripts), so
// every test also checks the pages work under it.
//
//   const server = await serve(root, {port: 0, csp, routes, isolated});  server.url; await server.close();
// routes: {'/path': () => body} answers those paths from the test instead of the folder.
// isolated: also send Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:
// require-corp, which make the pages cross-origin isolated (SharedArrayBuffer): the lab then
// runs the threaded WASM module.
// Also runnable: node web/tests/server.mjs build/web [port] [--isolated]   (./lab serve)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

export const CSP = "script-src 'self' 'wasm-unsafe-eval'";

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8', '.gz': 'application/gzip', '.jsonl': 'application/x-ndjson',
};

export function serve(root, { port = 0, host = '127.0.0.1', csp = CSP, routes = {}, isolated = false } = {}) {
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const headersFor = (file) => {
      const headers = { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-cache' };
      if (csp) headers['Content-Security-Policy'] = csp;
      if (isolated) {
        headers['Cross-Origin-Opener-Policy'] = 'same-origin';
        headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
      }
      return headers;
    };
    if (routes[url.pathname]) { res.writeHead(200, headersFor(url.pathname)).end(routes[url.pathname]()); return; }
    let file = path.join(base, decodeURIComponent(url.pathname));
    if (!file.startsWith(base)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found'); return; }
      res.writeHead(200, headersFor(file)).end(data);
    });
  });
  return new Promise((resolve) => {
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolve({ url: `http://${host}:${actual}`, close: () => new Promise((r) => server.close(r)), server });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2).filter((a) => a !== '--isolated');
  const isolated = process.argv.includes('--isolated');
  const s = await serve(args[0] || 'build/web', { port: Number(args[1] || 8080), isolated });
  console.log(`serving ${args[0] || 'build/web'} at ${s.url}/ with CSP: ${CSP}${isolated ? ', cross-origin isolated' : ''}`);
}
