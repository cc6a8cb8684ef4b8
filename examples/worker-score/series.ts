// series.ts: the worker-score example's streaming route, one SeriesDetector per series id.
//
//   POST /series?id=cpu-1   points -> { id, count, scores, stateBytes }
//
// Points arrive as application/json { "values": number[], "times"?: number[] } (times in ms since
// the epoch) or text/csv (one point per line: `value`, or `time,value` with the time in ms or a
// date such as NAB's `2015-09-01 13:45:00`, read as UTC when it names no zone; optional header).
// Each request loads the series' detector from the bytes save() wrote at the end of the previous
// request for that id (a fresh SeriesDetector.create() for a new id), pushes the points, and
// stores save() again: the detector continues exactly where it stopped, so the scores equal one
// uninterrupted pushMany() over all the points sent so far. A request that fails (a NaN, a time
// going backwards, times given to a series that had none) stores nothing: the series is as before.
//
// Storage: an in-memory Map in the isolate (MemoryStore), so state lives as long as the isolate
// and is not shared between isolates or locations. The route only needs the two async methods of
// SeriesStore: a Workers KV namespace (get(id, 'arrayBuffer') / put(id, bytes); values to 25 MiB) or a
// SQLite-backed Durable Object's storage (a key and its value to 2 MB) fits it for state that outlives
// the isolate; the legacy key-value Durable Object backend takes values to 128 KiB only, so there the
// bytes would be split over several keys. Requests for one id are
// serialised in the isolate (each waits for the one before), so none overwrites another's update.
import { AutoencoderError, SeriesDetector } from 'autoencoder';

/** Where the detectors' save() bytes live between requests. */
export interface SeriesStore {
  get(id: string): Promise<Uint8Array | undefined>;
  put(id: string, bytes: Uint8Array): Promise<void>;
}

/**
 * save() bytes in a Map, at most `max` series (572 KB each with the default options, whose three
 * resolutions are three detectors: 64 take 37 MB of the isolate's 128 MB): past it
 * the series used least recently is dropped, and its next request starts a fresh detector (its
 * answer's `count` then restarts from the points of that request).
 */
export class MemoryStore implements SeriesStore {
  private readonly m = new Map<string, Uint8Array>();
  constructor(readonly max = 64) {}
  get(id: string): Promise<Uint8Array | undefined> {
    const b = this.m.get(id);
    if (b) { this.m.delete(id); this.m.set(id, b); }   // most recently used last
    return Promise.resolve(b);
  }
  put(id: string, bytes: Uint8Array): Promise<void> {
    this.m.delete(id);
    this.m.set(id, bytes);
    while (this.m.size > this.max) this.m.delete(this.m.keys().next().value!);
    return Promise.resolve();
  }
}

/** Most points in one request. */
export const MAX_POINTS = 20_000;
const ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A client error: the status and the message sent as { "error": ... }. */
export class SeriesRequestError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

interface Points { values: number[]; times?: number[]; lineOf?: number[] }

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v)}` : typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function parseJson(text: string): Points {
  const usage = 'send { "values": [numbers], "times": [ms since the epoch, optional] }';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new SeriesRequestError(400, `the body is not valid JSON (${(e as Error).message}): ${usage}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new SeriesRequestError(400, `the JSON body must be an object, got ${kind(body)}: ${usage}`);
  for (const k of Object.keys(body)) if (k !== 'values' && k !== 'times') throw new SeriesRequestError(400, `unknown key "${k}" in the JSON body: ${usage}`);
  const { values, times } = body as { values?: unknown; times?: unknown };
  const numbers = (name: string, x: unknown): number[] => {
    if (!Array.isArray(x)) throw new SeriesRequestError(400, `"${name}" must be an array of numbers, got ${kind(x)}: ${usage}`);
    x.forEach((v: unknown, i) => {
      if (typeof v !== 'number') throw new SeriesRequestError(400, `${name}[${i}] is ${kind(v)}, not a number: ${name === 'times' ? 'times are JSON numbers of milliseconds since the epoch' : 'values must be JSON numbers (NaN and Infinity have no JSON form; drop or fill them)'}`);
    });
    return x as number[];
  };
  if (values === undefined) throw new SeriesRequestError(400, `the JSON body has no "values": ${usage}`);
  return times === undefined ? { values: numbers('values', values) } : { values: numbers('values', values), times: numbers('times', times) };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A CSV time: ms since the epoch, or a date (a zone-less one read as UTC, as the CLI reads NAB's). */
function csvTime(cell: string): number | undefined {
  if (NUMBER.test(cell)) return Number(cell);
  if (!/^\d{4}-\d\d-\d\d/.test(cell)) return undefined;
  const iso = cell.replace(' ', 'T');
  const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso.slice(10)) ? iso : `${iso}Z`);
  return Number.isFinite(t) ? t : undefined;
}

function parseCsv(text: string): Points {
  const values: number[] = [], times: number[] = [], lineOf: number[] = [];
  let cols = 0;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    const cells = lines[i]!.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1').trim());
    const value = cells.at(-1)!;
    // the first line is a header when its value cell is not a number (value, or timestamp,value)
    if (cols === 0 && !NUMBER.test(value) && !/^[+-]?(nan|inf(inity)?)$/i.test(value)) { cols = cells.length; continue; }
    if (cols === 0) cols = cells.length;
    if (cols > 2) throw new SeriesRequestError(400, `CSV line ${i + 1} has ${cells.length} cells: send one point per line, "value" or "time,value"`);
    if (cells.length !== cols) throw new SeriesRequestError(400, `CSV line ${i + 1} has ${cells.length} cells, the lines before it ${cols}: every line is "value" or every line is "time,value"`);
    const v = NUMBER.test(value) ? Number(value) : /^[+-]?(nan|inf(inity)?)$/i.test(value) ? Number(value.replace(/^([+-]?)inf$/i, '$1Infinity')) : undefined;
    if (v === undefined) throw new SeriesRequestError(400, `CSV line ${i + 1}: ${value === '' ? 'the value cell is empty' : `${JSON.stringify(value)} is not a number`}`);
    if (cols === 2) {
      const t = csvTime(cells[0]!);
      if (t === undefined) throw new SeriesRequestError(400, `CSV line ${i + 1}: ${JSON.stringify(cells[0])} is not a time: give milliseconds since the epoch or a date such as 2015-09-01 13:45:00 (UTC unless it names a zone)`);
      times.push(t);
    }
    values.push(v);
    lineOf.push(i + 1);
  }
  if (values.length === 0) throw new SeriesRequestError(400, 'the CSV body has a header but no points: send one point per line after it');
  return cols === 2 ? { values, times, lineOf } : { values, lineOf };
}

/** The id of `?id=`, checked. */
export function seriesId(url: URL): string {
  const id = url.searchParams.get('id');
  if (id === null || id === '') throw new SeriesRequestError(400, 'no series id: POST /series?id=<id> (1 to 128 letters, digits, ".", "_", ":" or "-")');
  if (!ID.test(id)) throw new SeriesRequestError(400, `the series id ${JSON.stringify(id.length > 40 ? `${id.slice(0, 40)}...` : id)} is not 1 to 128 letters, digits, ".", "_", ":" or "-"`);
  return id;
}

/** The points of a request body (the content-type says JSON or CSV). */
export function parsePoints(type: string, text: string): Points {
  if (type !== 'application/json' && type !== 'text/csv') {
    throw new SeriesRequestError(415, `unsupported content-type ${type ? JSON.stringify(type) : '(none)'}: send application/json { "values": number[], "times"?: number[] } or text/csv (one "value" or "time,value" per line)`);
  }
  if (text.trim() === '') throw new SeriesRequestError(400, 'the body is empty: send the points to score');
  const p = type === 'application/json' ? parseJson(text) : parseCsv(text);
  if (p.values.length > MAX_POINTS) throw new SeriesRequestError(413, `${p.values.length} points is too many for one request: send at most ${MAX_POINTS}`);
  return p;
}

const tails = new Map<string, Promise<unknown>>();

/** Runs `fn` after every earlier call for `id` in this isolate has finished. */
function serialised<T>(id: string, fn: () => Promise<T>): Promise<T> {
  const run = (tails.get(id) ?? Promise.resolve()).then(fn, fn);
  const tail = run.catch(() => undefined);
  tails.set(id, tail);
  void tail.then(() => { if (tails.get(id) === tail) tails.delete(id); });
  return run;
}

/**
 * Scores the points for series `id`: its stored detector (or a new one) continues over them and
 * is stored again. AutoencoderErrors (bad values, times) become 400s naming the point and, for CSV,
 * its line; the stored state is then left as it was.
 */
export function scoreSeries(store: SeriesStore, id: string, p: Points): Promise<{ id: string; count: number; scores: number[]; stateBytes: number }> {
  return serialised(id, async () => {
    const saved = await store.get(id);
    const d = saved ? await SeriesDetector.load(saved) : await SeriesDetector.create();
    try {
      const scores = d.pushMany(p.values, p.times);
      const bytes = d.save();
      await store.put(id, bytes);
      return { id, count: d.count, scores: Array.from(scores), stateBytes: bytes.length };
    } catch (e) {
      if (!(e instanceof AutoencoderError)) throw e;
      const m = p.lineOf ? /\b(?:values|times)\[(\d+)\]/.exec(e.message) : null;
      const line = m ? p.lineOf![Number(m[1])] : undefined;
      throw new SeriesRequestError(400, `series ${id}: ${e.message}${line === undefined ? '' : ` (CSV line ${line})`}; nothing of this request was kept`);
    } finally {
      d.dispose();
    }
  });
}
