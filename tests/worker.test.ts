// worker.test.ts: the worker-score example (examples/worker-score) served by workerd, as a client
// sees it. It builds the Worker into a temp dir (examples/worker-score/build.mjs), serves it with
// the pinned workerd on 127.0.0.1 (a port the kernel picks), and checks that the scores, flags and
// embeddings that come back over HTTP are, bit for bit, what this process computes with the same
// model file; and that every bad request gets a 4xx with a useful message, never a 500.

import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Autoencoder, SeriesDetector } from 'autoencoder';

const ROOT = new URL('..', import.meta.url).pathname;
const W = 24;

interface Server { url: string; stop: () => Promise<void>; log: () => string }
interface Body { id?: string; count?: number; stateBytes?: number; scores?: number[]; shares?: number[][]; flags?: number[] | null; threshold?: number | null; embeddings?: number[][]; error?: string; rows?: number[]; inputDim?: number; latentDim?: number }

let dir = '';
let server: Server | null = null;
/** The same Worker with CORS_ORIGIN set and a model whose weights are scaled by 100 (its encode() overflows on huge rows). */
let dir2 = '';
let server2: Server | null = null;
let ae2: Autoencoder;
let workerdBin = '';
const ORIGIN = 'https://app.example.com';
let ae: Autoencoder;
/** Windows of art_daily_jumpsup.csv as float32 (normal ones, and ones across the jump at row 2988). */
let rows: number[][] = [];

/** The value column of a NAB csv. */
function series(file: string): Float32Array {
  const lines = readFileSync(join(ROOT, 'examples/data', file), 'utf8').trim().split('\n').slice(1);
  return Float32Array.from(lines, (l) => Number(l.split(',')[1]));
}

beforeAll(async () => {
  // the Worker bundles dist/ (bindings + kernels); this process runs the sources: they must agree
  // (dist/'s module is build/'s with its exports renamed: tools/wasm-names.mjs; the rest byte for byte)
  const wasm = (p: string) => readFileSync(join(ROOT, p));
  const { withoutExports } = (await import(pathToFileURL(join(ROOT, 'tools/wasm-names.mjs')).href)) as { withoutExports: (b: Uint8Array) => Uint8Array };
  if (!Buffer.from(withoutExports(wasm('dist/build/kernels.wasm'))).equals(withoutExports(wasm('build/kernels.wasm')))) {
    throw new Error('dist/build/kernels.wasm differs from build/kernels.wasm: run `npm run build` first');
  }
  dir = mkdtempSync(join(tmpdir(), 'autoencoder-worker-'));
  execFileSync(process.execPath, [join(ROOT, 'examples/worker-score/build.mjs'), '--outdir', dir], { cwd: ROOT, stdio: 'pipe' });
  const load = (p: string) => import(pathToFileURL(join(ROOT, p)).href);
  const { runtimes } = (await load('tools/runtimes.mjs')) as { runtimes: () => { workerd: string } };
  const { startWorkerd } = (await load('tests/conformance/workerd.mjs')) as { startWorkerd: (o: { workerd: string; config: string }) => Promise<Server> };
  workerdBin = runtimes().workerd;
  server = await startWorkerd({ workerd: workerdBin, config: join(dir, 'config.capnp') });
  ae = await Autoencoder.load(readFileSync(join(dir, 'model.ae')));
  dir2 = mkdtempSync(join(tmpdir(), 'autoencoder-worker2-'));
  cpSync(dir, dir2, { recursive: true });
  const config = readFileSync(join(dir, 'config.capnp'), 'utf8');
  if (!config.includes('(name = "CORS_ORIGIN", text = "*")')) throw new Error('config.capnp does not bind CORS_ORIGIN = "*"');
  writeFileSync(join(dir2, 'config.capnp'), config.replace('(name = "CORS_ORIGIN", text = "*")', `(name = "CORS_ORIGIN", text = "${ORIGIN}")`));
  const big = await Autoencoder.load(readFileSync(join(dir, 'model.ae')));
  // (weights x1e15 would overflow on ordinary rows, which setWeights() refuses; x100 passes and amplifies)
  big.setWeights(big.getWeights().map((w) => w.map((v) => v * 100)));
  writeFileSync(join(dir2, 'model.ae'), big.save());
  big.dispose();
  ae2 = await Autoencoder.load(readFileSync(join(dir2, 'model.ae')));
  server2 = await startWorkerd({ workerd: workerdBin, config: join(dir2, 'config.capnp') });
  const v = series('art_daily_jumpsup.csv');
  for (const start of [...Array.from({ length: 40 }, (_, i) => i * 50), ...Array.from({ length: 40 }, (_, i) => 2955 + i)]) {
    rows.push(Array.from(v.subarray(start, start + W)));
  }
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await server2?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (dir2) rmSync(dir2, { recursive: true, force: true });
});

async function post(path: string, type: string | null, body: string | Uint8Array<ArrayBuffer>, on: Server | null = server): Promise<{ status: number; body: Body; headers: Headers }> {
  const res = await fetch(`${on!.url}${path}`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body });
  const text = await res.text();
  let parsed: Body;
  try {
    parsed = JSON.parse(text) as Body;
  } catch {
    throw new Error(`${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}\n${server!.log()}`);
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

const csv = (r: number[][], header = true, eol = '\n') =>
  (header ? [Array.from({ length: W }, (_, i) => `t${i}`).join(','), ...r.map((x) => x.join(','))] : r.map((x) => x.join(','))).join(eol) + eol;

/** Bytes of a float32 vector, to compare bit for bit (NaN payloads and -0 included). */
const bits = (x: ArrayLike<number>) => Buffer.from(Float32Array.from(x).buffer);

/** The raw HTTP/1.1 answer to `method path` with no body, as bytes off the socket (fetch hides a HEAD body). */
function raw(url: string, method: string, path: string): Promise<{ head: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = connect(Number(port), hostname, () => sock.write(`${method} ${path} HTTP/1.1\r\nhost: ${hostname}\r\nconnection: close\r\n\r\n`));
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', reject);
    sock.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const at = text.indexOf('\r\n\r\n');
      resolve({ head: text.slice(0, at), body: text.slice(at + 4) });
    });
  });
}

/** Indices of the rows of `x` (`per` values each) holding a value that is not finite. */
function nonFiniteRows(x: Float32Array, per: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length / per; r++) if (!x.subarray(r * per, (r + 1) * per).every(Number.isFinite)) out.push(r);
  return out;
}

describe('worker-score in workerd', () => {
  it('GET / describes the model', async () => {
    const res = await fetch(`${server!.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const b = (await res.json()) as Body;
    expect(b).toMatchObject({ inputDim: W, latentDim: ae.latentDim, threshold: ae.threshold });
  });

  it("the README's curl answers (samples.json to /score and /encode) are the Worker's", async () => {
    const readme = readFileSync(join(ROOT, 'examples/worker-score/README.md'), 'utf8');
    const shown = (route: string) => JSON.parse(new RegExp(`@samples\\.json http://127\\.0\\.0\\.1:8787/${route}\\n# (\\{.*\\})\\n`).exec(readme)![1]!) as Body;
    const samples = readFileSync(join(ROOT, 'examples/worker-score/samples.json'), 'utf8');
    expect((await post('/score', 'application/json', samples)).body).toEqual(shown('score'));
    const csv = readFileSync(join(ROOT, 'examples/worker-score/samples.csv'), 'utf8');
    const row0 = /text\/csv' --data-binary @samples\.csv http:\/\/127\.0\.0\.1:8787\/encode\n# \{"embeddings":\[(\[[^\]]*\])/.exec(readme)![1]!;
    expect((await post('/encode', 'text/csv', csv)).body.embeddings![0]).toEqual(JSON.parse(row0));
  });

  it('POST /score (JSON) equals Autoencoder.score/detect in Node, bit for bit', async () => {
    const { status, body, headers } = await post('/score', 'application/json', JSON.stringify({ rows }));
    expect(status, body.error).toBe(200);
    expect(headers.get('access-control-allow-origin')).toBe('*');
    const scores = ae.score(rows);
    expect(body.scores).toHaveLength(rows.length);
    expect(body.scores!.every((s) => Object.is(s, Math.fround(s))), 'scores are float32 values').toBe(true);
    expect(bits(body.scores!).equals(Buffer.from(scores.buffer))).toBe(true);
    expect(body.flags).toEqual(Array.from(ae.detect(rows)));
    expect(body.threshold).toBe(ae.threshold);
    // the rows across the jump are flagged, the early ones are not
    expect(body.flags!.slice(0, 40).some(Boolean)).toBe(false);
    expect(body.flags!.slice(40).some(Boolean)).toBe(true);
  });

  it('POST /score?explain=1 adds each row\'s score split over its features: explain() in Node, bit for bit', async () => {
    const { status, body } = await post('/score?explain=1', 'application/json', JSON.stringify({ rows }));
    expect(status, body.error).toBe(200);
    expect(bits(body.scores!).equals(Buffer.from(ae.score(rows).buffer))).toBe(true);
    expect(body.shares).toHaveLength(rows.length);
    expect(bits(body.shares!.flat()).equals(Buffer.from(ae.explain(rows).buffer))).toBe(true);
    const bad = await post('/score?explain=yes', 'application/json', JSON.stringify({ rows }));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^explain=yes is not understood: use POST \/score\?explain=1/);
    expect((await post('/score', 'application/json', JSON.stringify({ rows }))).body.shares).toBeUndefined();
  });

  it('POST /score (CSV, with or without a header, LF or CRLF) gives the same bits', async () => {
    const expected = Buffer.from(ae.score(rows).buffer);
    for (const [header, eol] of [[true, '\n'], [false, '\r\n']] as const) {
      const { status, body } = await post('/score', 'text/csv; charset=utf-8', csv(rows, header, eol));
      expect(status, body.error).toBe(200);
      expect(bits(body.scores!).equals(expected)).toBe(true);
      expect(body.flags).toEqual(Array.from(ae.detect(rows)));
    }
  });

  it('POST /encode (JSON and CSV) equals Autoencoder.encode in Node, bit for bit', async () => {
    const z = ae.encode(rows);
    for (const [type, text] of [['application/json', JSON.stringify({ rows })], ['text/csv', csv(rows)]] as const) {
      const { status, body } = await post('/encode', type, text);
      expect(status, body.error).toBe(200);
      expect(body.embeddings).toHaveLength(rows.length);
      expect(body.embeddings!.every((e) => e.length === ae.latentDim)).toBe(true);
      expect(bits(body.embeddings!.flat()).equals(Buffer.from(z.buffer))).toBe(true);
    }
  });

  it('POST /compress gives compress()\'s bytes; POST /decompress gives decompress()\'s rows, bit for bit', async () => {
    for (const q of ['', '?bits=6']) {
      const res = await fetch(`${server!.url}/compress${q}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows }) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(Buffer.from(bytes).equals(Buffer.from(ae.compress(rows, q ? { bits: 6 } : {})))).toBe(true);
      const { status, body } = await post('/decompress', 'application/octet-stream', bytes);
      expect(status, body.error).toBe(200);
      const back = (body as unknown as { rows: number[][] }).rows;
      expect(back).toHaveLength(rows.length);
      expect(bits(back.flat()).equals(Buffer.from(ae.decompress(bytes).buffer))).toBe(true);
    }
    expect((await post('/compress?bits=1', 'application/json', JSON.stringify({ rows }))).body.error).toMatch(/bits must be an integer from 2 to 16, got 1/);
    expect((await post('/decompress', 'application/octet-stream', new Uint8Array([1, 2, 3]))).body.error).toMatch(/not an autoencoder container/);
    expect((await post('/decompress', 'text/csv', 'x')).status).toBe(415);
  });

  it('answers concurrent requests with the same bits (one model per isolate)', async () => {
    const one = JSON.stringify({ rows: rows.slice(35, 45) });
    const all = await Promise.all(Array.from({ length: 8 }, () => post('/score', 'application/json', one)));
    const expected = Buffer.from(ae.score(rows.slice(35, 45)).buffer);
    for (const r of all) expect(bits(r.body.scores!).equals(expected)).toBe(true);
  });

  const row = (n = W, v = 1) => Array.from({ length: n }, () => v);
  const json = 'application/json';
  const cases: [name: string, path: string, type: string | null, body: string | Uint8Array<ArrayBuffer>, status: number, message: RegExp][] = [
    ['invalid JSON', '/score', json, '{"rows": [[1,2', 400, /not valid JSON/],
    ['JSON that is not an object', '/score', json, JSON.stringify([row()]), 400, /must be an object, got an array/],
    ['no "rows"', '/score', json, '{}', 400, /no "rows"/],
    ['an unknown key', '/score', json, JSON.stringify({ rows: [row()], row: 1 }), 400, /unknown key "row"/],
    ['"rows" not an array', '/score', json, '{"rows": "1,2,3"}', 400, /"rows" must be an array of rows, got the string/],
    ['a flat row', '/score', json, JSON.stringify({ rows: row() }), 400, /rows\[0\] must be an array of 24 numbers, got number 1 \(for a single row, wrap it/],
    ['a row of the wrong length', '/score', json, JSON.stringify({ rows: [row(), row(23)] }), 400, /row 1 has 23 values but the model expects 24/],
    ['null in a row', '/score', json, JSON.stringify({ rows: [[...row(23), null]] }), 400, /rows\[0\]\[23\] is null, not a number/],
    ['a string in a row', '/encode', json, JSON.stringify({ rows: [['1.5', ...row(23)]] }), 400, /rows\[0\]\[0\] is the string "1.5", not a number/],
    ['NaN in JSON (no JSON form)', '/score', json, `{"rows": [[NaN${',1'.repeat(23)}]]}`, 400, /not valid JSON/],
    ['a value beyond float32', '/score', json, JSON.stringify({ rows: [[1e39, ...row(23)]] }), 400, /1e\+39 at row 0, column 0: values must be finite float32/],
    ['no rows', '/score', json, '{"rows": []}', 400, /x is empty: pass at least one row of 24 values/],
    ['an empty body', '/score', json, '', 400, /body is empty/],
    ['an empty CSV body', '/encode', 'text/csv', '\n\n', 400, /body is empty/],
    ['NaN in CSV', '/score', 'text/csv', csv([row(), [...row(23), NaN]]), 400, /NaN at row 1, column 23: values must be finite.*CSV line 3/],
    ['a word in CSV', '/encode', 'text/csv', `${row().join(',')}\n1,abc${',1'.repeat(22)}\n`, 400, /CSV line 2, column 2: "abc" is not a number/],
    ['an empty CSV cell', '/score', 'text/csv', `1,,${row(22).join(',')}\n`, 400, /CSV line 1, column 2: the cell is empty/],
    ['a short CSV row', '/score', 'text/csv', csv([row(), row(), row(20)]), 400, /row 2 has 20 values but the model expects 24 \(row 2 is CSV line 4\)/],
    ['a CSV header only', '/score', 'text/csv', 'a,b,c\n', 400, /header but no rows/],
    ['bytes that are not UTF-8', '/score', 'text/csv', new Uint8Array([0xff, 0xfe, 0x31]), 400, /not valid UTF-8/],
    ['text/plain', '/score', 'text/plain', '1,2,3', 415, /unsupported content-type "text\/plain": send application\/json.*or text\/csv/],
    ['no content-type', '/encode', null, new TextEncoder().encode('1,2,3'), 415, /unsupported content-type \(none\)/],
    ['a body over 4 MiB', '/score', 'text/csv', `${row().join(',')}\n`.repeat(100_000), 413, /at most 4194304 bytes/],
    ['too many rows', '/score', 'text/csv', '1\n'.repeat(20_001), 413, /20001 rows is too many for one request: send at most 20000/],
    ['an unknown path', '/scores', json, '{}', 404, /no route \/scores: use GET \/, POST \/score, POST \/encode, POST \/compress, POST \/decompress or POST \/series\?id=<id>/],
    ['POST /', '/', json, '{}', 405, /POST \/ is not allowed: use GET \//],
  ];
  it.each(cases.map(([name, path, type, body, status, message]) => ({ name, path, type, body, status, message })))('$name -> $status', async ({ path, type, body, status, message }) => {
    const r = await post(path, type, body);
    expect(r.status, r.body.error).toBe(status);
    expect(r.body.error).toMatch(message);
    expect(r.headers.get('access-control-allow-origin'), 'CORS on errors too').toBe('*');
    if (status === 405) expect(r.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });

  it('GET /score and GET /encode -> 405 with Allow: POST', async () => {
    for (const path of ['/score', '/encode']) {
      const res = await fetch(`${server!.url}${path}`);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST, OPTIONS');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(((await res.json()) as Body).error).toMatch(new RegExp(`GET ${path} is not allowed: use POST ${path}`));
    }
  });

  it('POST /score refuses rows whose score overflows float32 (score() gives Infinity) with a 400 naming them', async () => {
    const huge = row(W, 3e38);
    const spike = [1e25, ...row(W - 1)];
    const batch = [rows[0]!, huge, rows[1]!, spike];
    const node = ae.score(batch);
    expect(nonFiniteRows(node, 1), 'the oracle: score() in Node').toEqual([1, 3]);
    expect(node[1]).toBe(Infinity);
    const r = await post('/score', json, JSON.stringify({ rows: batch }));
    expect(r.status, r.body.error).toBe(400);
    expect(r.body.rows).toEqual([1, 3]);
    expect(r.body.error).toMatch(/^the scores of rows 1, 3 \(2 of 4 rows\) overflow float32 \(score\(\) gives Infinity\): their values are too large for float32 scoring\. Scale those rows down or drop them/);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    const c = await post('/score', 'text/csv', csv([rows[0]!, huge]));
    expect(c.status, c.body.error).toBe(400);
    expect(c.body.rows).toEqual([1]);
    expect(c.body.error).toMatch(/^the score of row 1 \(CSV line 3\) overflows float32 \(score\(\) gives Infinity\): its values are too large/);
    // large values whose score is still a finite float32 are scored as before
    const large = [row(W, 1e18), rows[2]!];
    expect(nonFiniteRows(ae.score(large), 1)).toEqual([]);
    const ok = await post('/score', json, JSON.stringify({ rows: large }));
    expect(ok.status, ok.body.error).toBe(200);
    expect(bits(ok.body.scores!).equals(Buffer.from(ae.score(large).buffer))).toBe(true);
  });

  it('POST /encode refuses rows whose embedding is not finite (a model with weights x100), and /score the rows whose scores overflow', async () => {
    // the bundled model keeps the embeddings of even the largest rows finite: they come back as numbers
    const huge = [row(W, 3e38), row(W, -3e38)];
    expect(nonFiniteRows(ae.encode(huge), ae.latentDim)).toEqual([]);
    const ok = await post('/encode', json, JSON.stringify({ rows: huge }));
    expect(ok.status, ok.body.error).toBe(200);
    expect(bits(ok.body.embeddings!.flat()).equals(Buffer.from(ae.encode(huge).buffer))).toBe(true);
    // the amplified model: row 1 overflows in encode() in Node; row 0 and 2 do not
    const batch = [row(W, 20), row(W, 3e38), row(W, 30)];
    expect(nonFiniteRows(ae2.encode(batch), ae2.latentDim), 'the oracle: encode() in Node').toEqual([1]);
    const r = await post('/encode', json, JSON.stringify({ rows: batch }), server2);
    expect(r.status, r.body.error).toBe(400);
    expect(r.body.rows).toEqual([1]);
    expect(r.body.error).toMatch(/^the embedding of row 1 overflows float32 \(encode\(\) gives a value that is not finite\): its values are too large for float32 scoring/);
    const fine = await post('/encode', json, JSON.stringify({ rows: [batch[0], batch[2]] }), server2);
    expect(fine.status, fine.body.error).toBe(200);
    expect(bits(fine.body.embeddings!.flat()).equals(Buffer.from(ae2.encode([batch[0]!, batch[2]!]).buffer))).toBe(true);
    const scores = ae2.score(batch);
    expect(nonFiniteRows(scores, 1)).toEqual([1]);
    expect(scores[1]).toBe(Infinity); // an overflowing error is +Infinity, never NaN
    const s = await post('/score', 'text/csv', csv(batch), server2);
    expect(s.status, s.body.error).toBe(400);
    expect(s.body.rows).toEqual([1]);
    expect(s.body.error).toMatch(/^the score of row 1 \(CSV line 3\) overflows float32 \(score\(\) gives Infinity\)/);
  });

  it('OPTIONS answers a CORS preflight: 204, the methods of the path, content-type, Max-Age; 404 elsewhere', async () => {
    for (const [path, methods] of [['/', 'GET, HEAD, OPTIONS'], ['/score', 'POST, OPTIONS'], ['/encode', 'POST, OPTIONS']] as const) {
      const res = await fetch(`${server!.url}${path}`, { method: 'OPTIONS', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-methods')).toBe(methods);
      expect(res.headers.get('allow')).toBe(methods);
      expect(res.headers.get('access-control-allow-headers')).toBe('content-type');
      expect(res.headers.get('access-control-max-age')).toBe('86400');
    }
    const res = await fetch(`${server!.url}/nope`, { method: 'OPTIONS' });
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(((await res.json()) as Body).error).toMatch(/no route \/nope/);
  });

  it('HEAD sends the status and headers of GET and no body', async () => {
    for (const path of ['/', '/score']) {
      const get = await raw(server!.url, 'GET', path);
      const head = await raw(server!.url, 'HEAD', path);
      expect(head.body, `HEAD ${path} has no body`).toBe('');
      expect(get.body.length).toBeGreaterThan(0);
      expect(head.head.toLowerCase()).toBe(get.head.toLowerCase());
      expect(head.head).toMatch(path === '/' ? /^HTTP\/1\.1 200 / : /^HTTP\/1\.1 405 /);
      expect(head.head).toMatch(/\r\nAccess-Control-Allow-Origin: \*(\r\n|$)/i);
      expect(head.head).toMatch(new RegExp(`\r\ncontent-length: ${Buffer.byteLength(get.body)}(\r\n|$)`, 'i'));
    }
  });

  it('CORS_ORIGIN (a config.capnp binding) sets Access-Control-Allow-Origin on every answer, with Vary: Origin', async () => {
    const answers = [
      await fetch(`${server2!.url}/`),
      await fetch(`${server2!.url}/score`, { method: 'OPTIONS' }),
      await fetch(`${server2!.url}/score`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }),
      await fetch(`${server2!.url}/nope`),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 204, 415, 404]);
    for (const r of answers) {
      expect(r.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(r.headers.get('vary')).toMatch(/\bOrigin\b/);
    }
  });

  it('serve.mjs (npm run demo:worker) prints the URL once the Worker answers, and stops with workerd', async () => {
    const start = (port: string) => spawn(process.execPath, [join(ROOT, 'examples/worker-score/serve.mjs'), '--port', port, '--dir', dir, '--workerd', workerdBin], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run = start('0');
    let out = '';
    let err = '';
    run.stdout!.on('data', (d) => { out += d; });
    run.stderr!.on('data', (d) => { err += d; });
    const exited = new Promise<number | null>((resolve) => run.once('exit', (code) => resolve(code)));
    const line = /worker-score listening on (http:\/\/127\.0\.0\.1:(\d+)) \(GET \/, POST \/score, POST \/encode\)\n/;
    for (const t0 = Date.now(); !line.test(out); await new Promise((r) => setTimeout(r, 25))) {
      if (Date.now() - t0 > 15_000 || run.exitCode !== null) throw new Error(`serve.mjs printed no URL: ${out}${err}`);
    }
    const url = line.exec(out)![1]!;
    expect(url).not.toBe(server!.url);
    const res = await fetch(`${url}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows }) });
    expect(res.status).toBe(200);
    expect(bits(((await res.json()) as Body).scores!).equals(Buffer.from(ae.score(rows).buffer))).toBe(true);
    run.kill('SIGTERM');
    expect(await exited, err).toBe(0);   // workerd stops cleanly on SIGTERM; its code is the script's
    await expect(fetch(`${url}/`)).rejects.toThrow();   // workerd is gone with it
    // a port in use: workerd fails to bind and exits 1, and so does the script, saying so
    const busy = start(new URL(server!.url).port);
    let busyErr = '';
    busy.stderr!.on('data', (d) => { busyErr += d; });
    const code = await new Promise<number | null>((resolve) => busy.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(busyErr).toMatch(/workerd exited with code 1 before it answered on 127\.0\.0\.1:\d+/);
  }, 30_000);
});

describe('worker-score POST /series (a SeriesDetector per id, save() bytes kept between requests)', () => {
  const lines = () => readFileSync(join(ROOT, 'examples/data/art_daily_jumpsup.csv'), 'utf8').trim().split('\n').slice(1);
  /** art_daily_jumpsup: NAB timestamps read as UTC (as the CLI does), and the values. */
  const nab = () => {
    const l = lines();
    return { t: l.map((x) => Date.parse(`${x.split(',')[0]!.replace(' ', 'T')}Z`)), v: l.map((x) => Number(x.split(',')[1])) };
  };
  /** The oracle: one uninterrupted pushMany() in this process. */
  const oracle = async (v: number[], t?: number[]) => {
    const d = await SeriesDetector.create();
    const out = d.pushMany(v, t);
    d.dispose();
    return out;
  };
  const cuts = (n: number, sizes: number[]) => {
    const out: [number, number][] = [];
    for (let at = 0, k = 0; at < n; k++) { const b = Math.min(n, at + sizes[k % sizes.length]!); out.push([at, b]); at = b; }
    return out;
  };

  it('chunks sent to two ids (one timed, one not), interleaved, score bit for bit as one pushMany() per series', async () => {
    const { t, v } = nab();
    const u = v.map((x, i) => x * 0.5 + (i % 7));   // a second series, untimed
    const a: number[] = [], b: number[] = [];
    const ca = cuts(v.length, [1, 700, 129, 1500, 31]), cb = cuts(u.length, [2000, 3, 900]);
    for (let k = 0; k < Math.max(ca.length, cb.length); k++) {
      if (k < ca.length) {
        const [lo, hi] = ca[k]!;
        const r = await post('/series?id=cpu.a-1', 'application/json', JSON.stringify({ values: v.slice(lo, hi), times: t.slice(lo, hi) }));
        expect(r.status, r.body.error).toBe(200);
        expect(r.body).toMatchObject({ id: 'cpu.a-1', count: hi });
        expect(r.body.stateBytes).toBeGreaterThan(40_000);
        a.push(...r.body.scores!);
      }
      if (k < cb.length) {
        const [lo, hi] = cb[k]!;
        const r = await post('/series?id=b', 'application/json', JSON.stringify({ values: u.slice(lo, hi) }));
        expect(r.status, r.body.error).toBe(200);
        expect(r.body.count).toBe(hi);
        b.push(...r.body.scores!);
      }
    }
    const wantA = await oracle(v, t), wantB = await oracle(u);
    expect(bits(a).equals(Buffer.from(wantA.buffer))).toBe(true);
    expect(bits(b).equals(Buffer.from(wantB.buffer))).toBe(true);
    // the jump at row 2988 of art_daily_jumpsup is found: its highest score is inside NAB's window (rows 2787-3189)
    const top = a.indexOf(Math.max(...a.slice(600)), 600);
    expect(top).toBeGreaterThanOrEqual(2787);
    expect(top).toBeLessThanOrEqual(3189);
  }, 60_000);

  it('CSV "timestamp,value" lines (NAB dates read as UTC, header optional) give the JSON route\'s bits', async () => {
    const l = lines();
    const { t, v } = nab();
    const first = await post('/series?id=csv', 'text/csv', `timestamp,value\n${l.slice(0, 1000).join('\n')}\n`);
    expect(first.status, first.body.error).toBe(200);
    const rest = await post('/series?id=csv', 'text/csv; charset=utf-8', `${l.slice(1000, 1600).join('\r\n')}\r\n`);
    expect(rest.status, rest.body.error).toBe(200);
    expect(bits([...first.body.scores!, ...rest.body.scores!]).equals(Buffer.from((await oracle(v.slice(0, 1600), t.slice(0, 1600))).buffer))).toBe(true);
  }, 30_000);

  it('a refused request keeps nothing: the series continues as if it had not been sent', async () => {
    const { t, v } = nab();
    const ok1 = await post('/series?id=r', 'application/json', JSON.stringify({ values: v.slice(0, 300), times: t.slice(0, 300) }));
    expect(ok1.status, ok1.body.error).toBe(200);
    const nan = await post('/series?id=r', 'text/csv', `${l2(t, v, 300, 310)}\n${t[310]},nan\n`);
    expect(nan.status).toBe(400);
    expect(nan.body.error).toMatch(/^series r: point 310 \(values\[10\]\) is NaN: every value must be a finite number.*\(CSV line 11\); nothing of this request was kept$/);
    const back = await post('/series?id=r', 'application/json', JSON.stringify({ values: v.slice(300, 302), times: [t[300]!, t[0]!] }));
    expect(back.status).toBe(400);
    expect(back.body.error).toMatch(/^series r: point 301 \(times\[1\] = \d+, 2014-04-01T00:00:00\.000Z\) is earlier than the point before it/);
    const untimed = await post('/series?id=r', 'application/json', JSON.stringify({ values: [1, 2] }));
    expect(untimed.status).toBe(400);
    expect(untimed.body.error).toMatch(/this detector was given timestamps so far: give a time with every point \(point 300 has none\)/);
    const ok2 = await post('/series?id=r', 'application/json', JSON.stringify({ values: v.slice(300, 700), times: t.slice(300, 700) }));
    expect(ok2.status, ok2.body.error).toBe(200);
    expect(ok2.body.count).toBe(700);
    expect(bits([...ok1.body.scores!, ...ok2.body.scores!]).equals(Buffer.from((await oracle(v.slice(0, 700), t.slice(0, 700))).buffer))).toBe(true);
  }, 30_000);
  const l2 = (t: number[], v: number[], lo: number, hi: number) => Array.from({ length: hi - lo }, (_, i) => `${t[lo + i]},${v[lo + i]}`).join('\n');

  it('concurrent requests for one id run one after another (every update kept)', async () => {
    const v = nab().v.slice(0, 800);
    const all = await Promise.all(Array.from({ length: 4 }, (_, k) => post('/series?id=conc', 'application/json', JSON.stringify({ values: v.slice(200 * k, 200 * k + 200) }))));
    expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(all.map((r) => r.body.count).sort((x, y) => x! - y!)).toEqual([200, 400, 600, 800]);
  }, 30_000);

  const bad: [name: string, path: string, type: string | null, body: string, status: number, message: RegExp][] = [
    ['no id', '/series', 'application/json', '{"values": [1]}', 400, /^no series id: POST \/series\?id=<id>/],
    ['a bad id', '/series?id=a%20b', 'application/json', '{"values": [1]}', 400, /the series id "a b" is not 1 to 128 letters/],
    ['no "values"', '/series?id=x', 'application/json', '{"times": [1]}', 400, /the JSON body has no "values"/],
    ['an unknown key', '/series?id=x', 'application/json', '{"values": [1], "value": 2}', 400, /unknown key "value"/],
    ['a string value', '/series?id=x', 'application/json', '{"values": [1, "2"]}', 400, /values\[1\] is the string "2", not a number/],
    ['times of another length', '/series?id=x', 'application/json', '{"values": [1, 2], "times": [1]}', 400, /^series x: times has 1 entries but values has 2/],
    ['a CSV time that is not one', '/series?id=x', 'text/csv', 'yesterday,1\n', 400, /CSV line 1: "yesterday" is not a time/],
    ['CSV lines of 1 and 2 cells', '/series?id=x', 'text/csv', '1\n2,3\n', 400, /CSV line 2 has 2 cells, the lines before it 1/],
    ['text/plain', '/series?id=x', 'text/plain', '1', 415, /unsupported content-type "text\/plain": send application\/json \{ "values": number\[\], "times"\?: number\[\] \} or text\/csv/],
    ['too many points', '/series?id=x', 'text/csv', '1\n'.repeat(20_001), 413, /20001 points is too many for one request: send at most 20000/],
  ];
  it.each(bad.map(([name, path, type, body, status, message]) => ({ name, path, type, body, status, message })))('$name -> $status', async ({ path, type, body, status, message }) => {
    const r = await post(path, type, body);
    expect(r.status, r.body.error).toBe(status);
    expect(r.body.error).toMatch(message);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('MemoryStore keeps at most max series, dropping the least recently used; its default fits the isolate', async () => {
    const { MemoryStore } = (await import(pathToFileURL(join(ROOT, 'examples/worker-score/series.ts')).href)) as typeof import('../examples/worker-score/series.js');
    const s = new MemoryStore(2);
    const b = (x: number) => new Uint8Array([x]);
    await s.put('a', b(1));
    await s.put('b', b(2));
    expect(await s.get('a')).toEqual(b(1));   // a is now the most recently used
    await s.put('c', b(3));
    expect(await s.get('b')).toBeUndefined();
    expect(await s.get('a')).toEqual(b(1));
    expect(await s.get('c')).toEqual(b(3));
    // the default holds 64 default detectors' states within 40 MB of workerd's 128 MB isolate
    const d = await SeriesDetector.create();
    d.pushMany([0.5, 0.7, 0.6]);
    const bytes = d.save().length;
    d.dispose();
    expect(new MemoryStore().max).toBe(64);
    expect(64 * bytes).toBeLessThan(40e6);
  });

  it('GET /series -> 405, and GET / lists the route', async () => {
    const res = await fetch(`${server!.url}/series?id=x`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
    const d = (await (await fetch(`${server!.url}/`)).json()) as { routes: Record<string, string> };
    expect(d.routes['POST /series?id=<id>']).toMatch(/anomaly score/);
  });
});
