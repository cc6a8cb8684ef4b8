// worker.test.ts: the worker-score example (examples/worker-score) served by workerd, as a client
// sees it. It builds the Worker into a temp dir (examples/worker-score/build.mjs), serves it with
// the pinned workerd on 127.0.0.1 (a port the kernel picks), and checks that the scores, flags and
// embeddings that come back over HTTP are, bit for bit, what this process computes with the same
// model file; and that every bad request gets a 4xx with a useful message, never a 500.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Autoencoder } from 'autoencoder';

const ROOT = new URL('..', import.meta.url).pathname;
const W = 24;

interface Server { url: string; stop: () => Promise<void>; log: () => string }
interface Body { scores?: number[]; flags?: number[] | null; threshold?: number | null; embeddings?: number[][]; error?: string; inputDim?: number; latentDim?: number }

let dir = '';
let server: Server | null = null;
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
  const wasm = (p: string) => readFileSync(join(ROOT, p));
  if (!wasm('dist/build/kernels.wasm').equals(wasm('build/kernels.wasm'))) {
    throw new Error('dist/build/kernels.wasm differs from build/kernels.wasm: run `npm run build` first');
  }
  dir = mkdtempSync(join(tmpdir(), 'autoencoder-worker-'));
  execFileSync(process.execPath, [join(ROOT, 'examples/worker-score/build.mjs'), '--outdir', dir], { cwd: ROOT, stdio: 'pipe' });
  const load = (p: string) => import(pathToFileURL(join(ROOT, p)).href);
  const { runtimes } = (await load('tools/runtimes.mjs')) as { runtimes: () => { workerd: string } };
  const { startWorkerd } = (await load('tests/conformance/workerd.mjs')) as { startWorkerd: (o: { workerd: string; config: string }) => Promise<Server> };
  server = await startWorkerd({ workerd: runtimes().workerd, config: join(dir, 'config.capnp') });
  ae = await Autoencoder.load(readFileSync(join(dir, 'model.ae')));
  const v = series('art_daily_jumpsup.csv');
  for (const start of [...Array.from({ length: 40 }, (_, i) => i * 50), ...Array.from({ length: 40 }, (_, i) => 2955 + i)]) {
    rows.push(Array.from(v.subarray(start, start + W)));
  }
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function post(path: string, type: string | null, body: string | Uint8Array<ArrayBuffer>): Promise<{ status: number; body: Body; headers: Headers }> {
  const res = await fetch(`${server!.url}${path}`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body });
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

describe('worker-score in workerd', () => {
  it('GET / describes the model', async () => {
    const res = await fetch(`${server!.url}/`);
    expect(res.status).toBe(200);
    const b = (await res.json()) as Body;
    expect(b).toMatchObject({ inputDim: W, latentDim: ae.latentDim, threshold: ae.threshold });
  });

  it('POST /score (JSON) equals Autoencoder.score/detect in Node, bit for bit', async () => {
    const { status, body } = await post('/score', 'application/json', JSON.stringify({ rows }));
    expect(status, body.error).toBe(200);
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
    ['an unknown path', '/scores', json, '{}', 404, /no route \/scores: use GET \/, POST \/score or POST \/encode/],
    ['POST /', '/', json, '{}', 405, /POST \/ is not allowed: use GET \//],
  ];
  it.each(cases.map(([name, path, type, body, status, message]) => ({ name, path, type, body, status, message })))('$name -> $status', async ({ path, type, body, status, message }) => {
    const r = await post(path, type, body);
    expect(r.status, r.body.error).toBe(status);
    expect(r.body.error).toMatch(message);
    if (status === 405) expect(r.headers.get('allow')).toBe('GET');
  });

  it('GET /score and GET /encode -> 405 with Allow: POST', async () => {
    for (const path of ['/score', '/encode']) {
      const res = await fetch(`${server!.url}${path}`);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(((await res.json()) as Body).error).toMatch(new RegExp(`GET ${path} is not allowed: use POST ${path}`));
    }
  });
});
