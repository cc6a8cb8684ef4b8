// worker.ts: edge anomaly scoring and embeddings as a Cloudflare Worker (workerd or wrangler).
// The model file ships inside the Worker as a data module (model.ae, from make-model.mjs); the
// kernels come in as a compiled wasm module through the package's "workerd" entry. The model is
// loaded once per isolate, on the first request, and reused by every later one.
//
//   GET  /         what the model expects: { inputDim, latentDim, threshold, ... }
//   POST /score    rows -> { scores, flags, threshold }   (flags/threshold null if uncalibrated)
//   POST /score?explain=1  the same, and shares: each row's score split over its features (ae.explain)
//   POST /encode   rows -> { embeddings }                 (rows x latentDim latent codes)
//   POST /compress?bits=4  rows -> application/octet-stream: a container (ae.compress)
//   POST /decompress       a container (application/octet-stream) -> { rows }
//   POST /series?id=cpu-1  points -> { id, count, scores, stateBytes }: a SeriesDetector per id,
//                          its save() bytes kept between requests (series.ts: the format, the store)
//
// Rows arrive as application/json { "rows": number[][] } or text/csv (one row per line, comma
// separated, optional header line). A bad request gets 400 (bad body), 404 (no such path),
// 405 (wrong method), 413 (too large) or 415 (wrong content-type), each with { "error": "..." };
// the messages on shapes and values are the library's own AutoencoderError messages. Rows whose
// score or embedding overflows float32 get a 400 with { "error": "...", "rows": [indices] }.
// OPTIONS answers CORS preflights (204), HEAD is answered as GET without the body, and every
// answer carries Access-Control-Allow-Origin: env.CORS_ORIGIN (default "*").
import { Autoencoder, AutoencoderError } from 'autoencoder';
import modelBytes from './model.ae';
import { MemoryStore, SeriesRequestError, parsePoints, scoreSeries, seriesId } from './series.js';

/** Largest body accepted, in bytes. */
const MAX_BODY = 4 << 20;
/** Largest body read through (and dropped) to answer 413 cleanly; past it the read is cancelled. */
const DRAIN = 4 * MAX_BODY;
/** Most rows scored in one request. */
const MAX_ROWS = 20_000;

const ROUTES: Record<string, string> = { '/': 'GET', '/score': 'POST', '/encode': 'POST', '/compress': 'POST', '/decompress': 'POST', '/series': 'POST' };
/** The methods each path answers: the `Allow` header, and Access-Control-Allow-Methods on a preflight. */
const ALLOW: Record<string, string> = { '/': 'GET, HEAD, OPTIONS', '/score': 'POST, OPTIONS', '/encode': 'POST, OPTIONS', '/compress': 'POST, OPTIONS', '/decompress': 'POST, OPTIONS', '/series': 'POST, OPTIONS' };
/** How long a browser may cache a preflight answer, in seconds (Chromium caps it at 7200, Firefox at 86400). */
const PREFLIGHT_MAX_AGE = '86400';

/** The Worker's bindings (config.capnp `bindings`, wrangler.toml `[vars]`). */
export interface Env {
  /** The Access-Control-Allow-Origin of every answer: `*` (the default, also when unset or empty) or one origin such as `https://app.example.com`. */
  CORS_ORIGIN?: string;
}

class HttpError extends Error {
  /** `rows`: the indices of the rows at fault, sent beside the message as { "rows": [...] }. */
  constructor(readonly status: number, message: string, readonly rows?: number[]) {
    super(message);
  }
}

let model: Promise<Autoencoder> | null = null;
/** The series detectors' state: in this isolate's memory (see series.ts for a KV or Durable Object store). */
const store = new MemoryStore();

/** The bundled model, loaded on the first call and cached for the isolate's lifetime. */
function getModel(): Promise<Autoencoder> {
  model ??= Autoencoder.load(new Uint8Array(modelBytes)).catch((e: unknown) => {
    model = null;
    throw e;
  });
  return model;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
}

/** Rows parsed from the body, and for CSV the line each row came from (for error messages). */
interface Parsed {
  rows: number[][];
  lineOf?: number[];
}

async function readBytes(request: Request): Promise<Uint8Array> {
  const tooLarge = (n: string) => new HttpError(413, `the body is ${n} bytes; send at most ${MAX_BODY} bytes (and ${MAX_ROWS} rows) per request`);
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > DRAIN) throw tooLarge(String(declared));
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      // past MAX_BODY, keep reading (and dropping) up to DRAIN, so that the client, still
      // sending, gets the 413 rather than a connection closed under it
      if (total > DRAIN) {
        await reader.cancel();
        throw tooLarge(`over ${DRAIN}`);
      }
      if (total <= MAX_BODY) chunks.push(value);
    }
  }
  if (total > MAX_BODY) throw tooLarge(String(total));
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.byteLength; }
  return bytes;
}

async function readBody(request: Request): Promise<string> {
  const bytes = await readBytes(request);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'the body is not valid UTF-8 text');
  }
}

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v)}` : typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function parseJson(text: string, dim: number): Parsed {
  const usage = `send { "rows": [[${dim} numbers], ...] }`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `the body is not valid JSON (${(e as Error).message}): ${usage}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, `the JSON body must be an object, got ${kind(body)}: ${usage}`);
  for (const k of Object.keys(body)) if (k !== 'rows') throw new HttpError(400, `unknown key "${k}" in the JSON body: ${usage}`);
  const rows = (body as { rows?: unknown }).rows;
  if (rows === undefined) throw new HttpError(400, `the JSON body has no "rows": ${usage}`);
  if (!Array.isArray(rows)) throw new HttpError(400, `"rows" must be an array of rows, got ${kind(rows)}: ${usage}`);
  rows.forEach((row: unknown, r) => {
    if (!Array.isArray(row)) {
      throw new HttpError(400, `rows[${r}] must be an array of ${dim} numbers, got ${kind(row)}${typeof row === 'number' ? ' (for a single row, wrap it: { "rows": [[...]] })' : ''}`);
    }
    row.forEach((v: unknown, c) => {
      // the library would read null as 0 and "1.5" as 1.5: only JSON numbers are values
      if (typeof v !== 'number') throw new HttpError(400, `rows[${r}][${c}] is ${kind(v)}, not a number: values must be JSON numbers (NaN and Infinity have no JSON form; drop or impute them)`);
    });
  });
  return { rows: rows as number[][] };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL: Record<string, number> = { nan: NaN, inf: Infinity, '+inf': Infinity, '-inf': -Infinity, infinity: Infinity, '+infinity': Infinity, '-infinity': -Infinity };

function csvNumber(cell: string): number | undefined {
  if (NUMBER.test(cell)) return Number(cell);
  return SPECIAL[cell.toLowerCase()];   // parsed, so that the library names the NaN/Infinity it rejects
}

function parseCsv(text: string): Parsed {
  const rows: number[][] = [];
  const lineOf: number[] = [];
  let first = true;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    const cells = lines[i]!.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1').trim());
    const values = cells.map(csvNumber);
    // the first line is a header when none of its cells is a number (t0,t1,... or value_1,...)
    if (first && values.every((v) => v === undefined)) { first = false; continue; }
    first = false;
    const bad = values.indexOf(undefined);
    if (bad >= 0) {
      throw new HttpError(400, `CSV line ${i + 1}, column ${bad + 1}: ${cells[bad] === '' ? 'the cell is empty' : `${JSON.stringify(cells[bad])} is not a number`}; send one row of numbers per line, comma separated (an optional header line first)`);
    }
    rows.push(values as number[]);
    lineOf.push(i + 1);
  }
  if (rows.length === 0) throw new HttpError(400, 'the CSV body has a header but no rows: send one row of numbers per line after it');
  return { rows, lineOf };
}

async function readRows(request: Request, dim: number): Promise<Parsed> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && type !== 'text/csv') {
    throw new HttpError(415, `unsupported content-type ${type ? JSON.stringify(type) : '(none)'}: send application/json { "rows": number[][] } or text/csv (one row of ${dim} numbers per line, optional header)`);
  }
  const text = await readBody(request);
  if (text.trim() === '') throw new HttpError(400, `the body is empty: send ${type === 'text/csv' ? `one row of ${dim} numbers per line` : `{ "rows": [[${dim} numbers], ...] }`}`);
  const parsed = type === 'application/json' ? parseJson(text, dim) : parseCsv(text);
  if (parsed.rows.length > MAX_ROWS) throw new HttpError(413, `${parsed.rows.length} rows is too many for one request: send at most ${MAX_ROWS}`);
  return parsed;
}

/**
 * A 400 naming the rows whose result is not finite. Every input value is a finite float32 (the
 * library checks), yet rows with very large values (with the bundled model, |x| from around 3e20)
 * overflow float32 inside the model: score() gives Infinity for them, which JSON cannot carry
 * (JSON.stringify writes null). Such a request is refused as a whole, so a 200 always carries
 * finite numbers only.
 */
function overflow(bad: number[], what: 'score' | 'embedding', parsed: Parsed, firstScore?: number): HttpError {
  const one = bad.length === 1;
  const list = (xs: number[]) => `${xs.slice(0, 10).join(', ')}${xs.length > 10 ? ', ...' : ''}`;
  const lines = parsed.lineOf ? `CSV line${one ? '' : 's'} ${list(bad.map((r) => parsed.lineOf![r]!))}` : '';
  const which = one ? `row ${bad[0]}${lines ? ` (${lines})` : ''}` : `rows ${list(bad)} (${lines ? `${lines}; ` : ''}${bad.length} of ${parsed.rows.length} rows)`;
  const gives = what === 'score' ? `score() gives ${String(firstScore)}` : 'encode() gives a value that is not finite';
  return new HttpError(400, `the ${what}${one ? '' : 's'} of ${which} overflow${one ? 's' : ''} float32 (${gives}): ` +
    `${one ? 'its' : 'their'} values are too large for float32 scoring. Scale ${one ? 'the row' : 'those rows'} down or drop ` +
    `${one ? 'it' : 'them'} and send the request again; no row was ${what === 'score' ? 'scored' : 'encoded'}`, bad);
}

/** POST /score's `explain` parameter: absent (no shares), or 1 / true. */
function explainAsked(request: Request): boolean {
  const v = new URL(request.url).searchParams.get('explain');
  if (v === null) return false;
  if (v === '1' || v === 'true') return true;
  throw new HttpError(400, `explain=${JSON.stringify(v).slice(1, -1)} is not understood: use POST /score?explain=1 for each row's score split over its features, or leave explain out`);
}

/** The library's message, with the CSV line of the row it names (its rows count from 0). */
function explain(e: AutoencoderError, parsed: Parsed): string {
  const m = parsed.lineOf ? /\brow (\d+)\b/.exec(e.message) : null;
  const line = m ? parsed.lineOf![Number(m[1])] : undefined;
  return line === undefined ? e.message : `${e.message} (row ${m![1]} is CSV line ${line})`;
}

async function readContainer(request: Request): Promise<Uint8Array> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/octet-stream') {
    throw new HttpError(415, `unsupported content-type ${type ? JSON.stringify(type) : '(none)'}: send the bytes POST /compress returned as application/octet-stream`);
  }
  const bytes = await readBytes(request);
  if (bytes.length === 0) throw new HttpError(400, 'the body is empty: send the bytes POST /compress returned');
  return bytes;
}

/**
 * The rows of a container (frames back to back), after checking from the frame headers (layout in
 * the package's bindings/codec.ts) that they are at most MAX_ROWS: a small container can declare
 * many rows. Headers that do not parse are left to decompress(), which says what is wrong.
 */
function decompressRows(ae: Autoencoder, bytes: Uint8Array): number[][] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let rows = 0;
  for (let at = 0; at + 36 <= bytes.length;) {
    rows += dv.getUint32(at + 16, true);
    at += 32 + (bytes[at + 7] === 1 ? 8 : 8 * dv.getUint32(at + 20, true) + dv.getUint32(at + 24, true)) + dv.getUint32(at + 28, true) + 4;
  }
  if (rows > MAX_ROWS) throw new HttpError(413, `the container holds ${rows} rows, too many for one request: send at most ${MAX_ROWS}`);
  const y = ae.decompress(bytes), D = ae.inputDim;
  const out: number[][] = [];
  for (let r = 0; r < y.length / D; r++) out.push(Array.from(y.subarray(r * D, (r + 1) * D)));
  return out;
}

function describe(ae: Autoencoder) {
  const s = ae.spec;
  return {
    model: `dense autoencoder ${[s.inputDim, ...(s.layers ?? []), ...(s.layers ?? []).slice(0, -1).reverse(), s.inputDim].join(' -> ')}, ${s.activation}, loss ${s.loss}, normalize ${s.normalize}`,
    inputDim: ae.inputDim,
    latentDim: ae.latentDim,
    threshold: ae.threshold,
    routes: {
      'POST /score': `rows of ${ae.inputDim} numbers (application/json { "rows": number[][] } or text/csv) -> { scores, flags, threshold }; ?explain=1 adds shares: each row's score split over its ${ae.inputDim} features`,
      'POST /encode': `the same rows -> { embeddings }: ${ae.latentDim} numbers per row`,
      'POST /compress?bits=4': 'the same rows -> application/octet-stream: a container of their quantised, entropy-coded latent codes',
      'POST /decompress': 'a container (application/octet-stream) -> { rows }: the rebuilt rows',
      'POST /series?id=<id>': 'points (application/json { "values": number[], "times"?: number[] } or text/csv "value" / "time,value" lines) -> { id, count, scores, stateBytes }: each point\'s anomaly score in [0, 1] from the series\' own streaming detector',
    },
  };
}

export default {
  async fetch(request: Request, env?: Env): Promise<Response> {
    const res = await handle(request);
    // CORS on every answer, errors included, so a browser client can read the reason
    const origin = env?.CORS_ORIGIN?.trim() || '*';
    res.headers.set('access-control-allow-origin', origin);
    if (origin !== '*') res.headers.append('vary', 'Origin');
    return res;
  },
};

async function handle(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  const method = ROUTES[pathname];
  if (method === undefined) return json(404, { error: `no route ${pathname}: use GET /, POST /score, POST /encode, POST /compress, POST /decompress or POST /series?id=<id>` });
  if (request.method === 'OPTIONS') {
    // a CORS preflight (or a plain OPTIONS): which methods and request headers this path takes
    return new Response(null, {
      status: 204,
      headers: {
        allow: ALLOW[pathname]!,
        'access-control-allow-methods': ALLOW[pathname]!,
        'access-control-allow-headers': 'content-type',
        'access-control-max-age': PREFLIGHT_MAX_AGE,
      },
    });
  }
  // HEAD is answered as GET (405 message included, so content-length matches): the runtime
  // sends that status and those headers and drops the body
  const asked = request.method === 'HEAD' ? 'GET' : request.method;
  if (asked !== method) {
    return json(405, { error: `${asked} ${pathname} is not allowed: use ${method} ${pathname}` }, { allow: ALLOW[pathname]! });
  }
  if (pathname === '/series') {
    // no model file here: each series id has its own detector, learned from its points
    try {
      const id = seriesId(new URL(request.url));
      const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      const points = parsePoints(type, type === 'application/json' || type === 'text/csv' ? await readBody(request) : '');
      return json(200, await scoreSeries(store, id, points));
    } catch (e) {
      if (e instanceof SeriesRequestError || e instanceof HttpError) return json(e.status, { error: e.message });
      return json(500, { error: `internal error: ${(e as Error)?.message ?? String(e)}` });
    }
  }
  let ae: Autoencoder;
  try {
    ae = await getModel();
  } catch (e) {
    return json(500, { error: `the bundled model could not be loaded: ${(e as Error).message}` });
  }
  if (pathname === '/') return json(200, describe(ae));
  let parsed: Parsed | null = null;
  try {
    if (pathname === '/decompress') return json(200, { rows: decompressRows(ae, await readContainer(request)) });
    parsed = await readRows(request, ae.inputDim);
    if (pathname === '/compress') {
      const bits = new URL(request.url).searchParams.get('bits');
      const bytes = ae.compress(parsed.rows, bits === null ? {} : { bits: /^\d+$/.test(bits) ? Number(bits) : NaN });
      return new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'content-type': 'application/octet-stream' } });
    }
    if (pathname === '/score') {
      // the score the threshold is on (a VAE calibrated by its ELBO: that), so that each flag is its score above the threshold
      const by = ae.thresholdBy;
      const scores = ae.score(parsed.rows, by);
      const bad: number[] = [];
      scores.forEach((v, r) => { if (!Number.isFinite(v)) bad.push(r); });
      if (bad.length) throw overflow(bad, 'score', parsed, scores[bad[0]!]);
      const threshold = ae.threshold;
      const flags = threshold === null ? null : Array.from(ae.detect(parsed.rows));
      if (!explainAsked(request)) return json(200, { scores: Array.from(scores), flags, threshold });
      // each row's score split over its features: the ones a flagged row's score comes from stand out
      // (a VAE's KL score belongs to no feature: its reconstruction error is split then)
      const e = ae.explain(parsed.rows, by.by === 'kl' ? undefined : by), D = ae.inputDim;
      const shares = Array.from({ length: scores.length }, (_, r) => Array.from(e.subarray(r * D, (r + 1) * D)));
      const wide = shares.flatMap((row, r) => (row.every(Number.isFinite) ? [] : [r]));
      if (wide.length) throw overflow(wide, 'score', parsed, Infinity);
      return json(200, { scores: Array.from(scores), flags, threshold, shares });
    }
    const z = ae.encode(parsed.rows);
    const L = ae.latentDim;
    const embeddings: number[][] = [];
    const bad: number[] = [];
    for (let r = 0; r < z.length / L; r++) {
      const e = Array.from(z.subarray(r * L, (r + 1) * L));
      if (!e.every(Number.isFinite)) bad.push(r);
      embeddings.push(e);
    }
    if (bad.length) throw overflow(bad, 'embedding', parsed);
    return json(200, { embeddings });
  } catch (e) {
    if (e instanceof HttpError) return json(e.status, e.rows ? { error: e.message, rows: e.rows } : { error: e.message });
    if (e instanceof AutoencoderError) return json(400, { error: parsed ? explain(e, parsed) : e.message });
    return json(500, { error: `internal error: ${(e as Error)?.message ?? String(e)}` });
  }
}
