// serve.mjs: serves dist/examples/browser-train/ (built by ./build.mjs) on http://127.0.0.1:8080/
// for a person to try the page. Static files only; Ctrl-C stops it.
// Usage: node examples/browser-train/serve.mjs [--port 8080]
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const root = normalize(new URL('../../dist/examples/browser-train/', import.meta.url).pathname + sep);
const i = process.argv.indexOf('--port');
const port = i > 0 ? Number(process.argv[i + 1]) : 8080;
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm', '.csv': 'text/csv' };

if (!existsSync(join(root, 'app.js'))) {
  console.error('dist/examples/browser-train/app.js is missing: run node tools/build.mjs && node examples/browser-train/build.mjs');
  process.exit(1);
}
createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
  if (!file.startsWith(root)) return void res.writeHead(403).end('forbidden');
  let body;
  try {
    body = await readFile(file); // read before writing the head, so a miss can still be a 404
  } catch {
    return void res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
}).listen(port, '127.0.0.1', () => console.log(`browser-train: http://127.0.0.1:${port}/ (Ctrl-C to stop)`));
