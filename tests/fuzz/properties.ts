// properties.ts: the fuzz properties shared by tests/fuzz/fuzz.test.ts (a CI-sized run) and
// tools/fuzz.ts (`npm run fuzz -- --cases 200000`). fast-check generates the cases; every case ends
// in one of: ok, a clear error (AutoencoderError), an own throw (the fuzzer's own hostile getter or
// callback threw, and that error came back out unchanged), an other error (any other Error class: a
// raw TypeError/RangeError leaking out of the bindings) or a crash (a wasm trap, a non-Error throw).
// Beyond the outcome each property checks invariants against oracles that do not come from the
// library's code: a failed call leaves the model exactly as it was (the same probe score bits and
// the same save() bytes as before the call), a loaded model scores a probe with finite numbers and
// its save() loads again to the same bytes, a returned result has the documented length and range.
// Every violation is a finding; a finding that a KNOWN_DEFECTS entry matches is counted under that
// entry and does not fail the property, any other fails it (fast-check then shrinks the case).
// Imports the bindings by path (not 'autoencoder') so the tsx tool and vitest run the same sources.

import fc from 'fast-check';
import { SMALL_SERIES, sealCrc, seriesStateBlocks, withHeader } from '../model-file.js';
import {
  Autoencoder, AutoencoderError, SeriesDetector, addNoise, randomMatrix, LAYER_TYPES, type AutoencoderSpec,
} from '../../bindings/node.js';
import { S } from '../../bindings/wasm.js';

// ---- outcomes, findings, known defects ---------------------------------------------------------

export type Outcome = 'ok' | 'clear' | 'own' | 'other' | 'crash';

/** A broken invariant: an other error, a crash, or a violated oracle check. */
export interface Finding { property: string; kind: 'other' | 'crash' | 'violation'; call: string; detail: string }

export interface KnownDefect { id: string; description: string; match: (f: Finding) => boolean }

/**
 * Defects of the library this suite has found (or others reported) and that are not fixed yet.
 * A finding that matches one is counted under it and does not fail the run; when the library is
 * fixed, delete the entry (the table then shows 0 hits for it before deletion).
 */
export const KNOWN_DEFECTS: KnownDefect[] = [
  // none today; the last, 'overflow-probe-misses' (seed 2026120328), was fixed by assembly/bound.ts
];

export interface Row {
  property: string; tried: number; ok: number; clear: number; own: number; other: number; crashes: number;
  violations: number; known: number;
}

/** Counts per property, known-defect hits, and the first example of each kind of finding. */
export class Tally {
  readonly rows = new Map<string, Row>();
  readonly knownHits = new Map<string, number>(KNOWN_DEFECTS.map((d) => [d.id, 0]));
  readonly examples = new Map<string, Finding>();
  /** Findings no known defect explains, by kind of finding (explore mode only): count and first example. */
  readonly unknown = new Map<string, { n: number; first: Finding }>();

  /** strict: a finding no known defect explains throws (fails the property); else it is only collected. */
  constructor(readonly strict = true) {}

  row(property: string): Row {
    let r = this.rows.get(property);
    if (!r) {
      r = { property, tried: 0, ok: 0, clear: 0, own: 0, other: 0, crashes: 0, violations: 0, known: 0 };
      this.rows.set(property, r);
    }
    return r;
  }

  /** Records one case; throws (failing the property) on a finding no known defect explains. */
  settle(property: string, outcomes: Outcome[], findings: Finding[]): void {
    const r = this.row(property);
    r.tried++;
    for (const o of outcomes) {
      if (o === 'ok') r.ok++; else if (o === 'clear') r.clear++; else if (o === 'own') r.own++; else if (o === 'other') r.other++; else r.crashes++;
    }
    const unknown: Finding[] = [];
    for (const f of findings) {
      if (f.kind === 'violation') r.violations++;
      const d = KNOWN_DEFECTS.find((k) => k.match(f));
      if (d) {
        this.knownHits.set(d.id, this.knownHits.get(d.id)! + 1);
        r.known++;
        if (!this.examples.has(d.id)) this.examples.set(d.id, f);
      } else {
        unknown.push(f);
      }
    }
    if (unknown.length && !this.strict) {
      for (const f of unknown) {
        const key = `${f.kind}: ${f.detail.replace(/-?\d[\d.e+-]*|"[^"]*"/g, '#').slice(0, 70)}`;
        const u = this.unknown.get(key);
        if (u) u.n++; else this.unknown.set(key, { n: 1, first: f });
      }
    } else if (unknown.length) {
      throw new Error(`${unknown.length} finding(s) not in KNOWN_DEFECTS:\n${unknown.map((f) => `  [${f.kind}] ${f.call}: ${f.detail}`).join('\n')}`);
    }
  }

  table(): string {
    const head = ['property', 'tried', 'ok', 'clear errors', 'own throws', 'other errors', 'crashes', 'violations', 'known-defect hits'];
    const body = [...this.rows.values()].map((r) => [r.property, r.tried, r.ok, r.clear, r.own, r.other, r.crashes, r.violations, r.known].map(String));
    const tot = [...this.rows.values()].reduce((a, r) => a.map((v, i) => v + [r.tried, r.ok, r.clear, r.own, r.other, r.crashes, r.violations, r.known][i]!), [0, 0, 0, 0, 0, 0, 0, 0]);
    body.push(['total', ...tot.map(String)]);
    const lines = [fmtTable(head, body), '', fmtTable(['known defect', 'hits', 'description'], KNOWN_DEFECTS.map((d) => [d.id, String(this.knownHits.get(d.id)), d.description]))];
    const seen = KNOWN_DEFECTS.filter((d) => this.examples.has(d.id));
    if (seen.length) {
      lines.push('', 'first example of each known defect hit:');
      for (const d of seen) lines.push(`  ${d.id}: ${this.examples.get(d.id)!.call.slice(0, 300)}\n      -> ${this.examples.get(d.id)!.detail}`);
    }
    if (this.unknown.size) {
      lines.push('', 'findings not in KNOWN_DEFECTS (count, first example):');
      for (const [k, u] of this.unknown) lines.push(`  ${u.n} x ${k}\n      e.g. ${u.first.call.slice(0, 400)}\n      -> ${u.first.detail}`);
    }
    return lines.join('\n');
  }
}

function fmtTable(head: string[], body: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => Math.min(r[i]!.length, 140))));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 || i === r.length - 1 && isNaN(Number(c)) ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' | ')} |`;
  return [line(head), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** The fuzzer's own errors (thrown by its hostile getters and callbacks): expected to come back out. */
export class OwnError extends Error {
  constructor() { super('thrown by the fuzzer on purpose'); this.name = 'OwnError'; }
}

function classify(e: unknown): Outcome {
  if (e instanceof OwnError) return 'own';
  if (e instanceof AutoencoderError) return 'clear';
  if (e instanceof WebAssembly.RuntimeError || !(e instanceof Error)) return 'crash';
  return 'other';
}

function describeThrow(e: unknown): string {
  if (e instanceof Error) return `${e.constructor.name}: ${e.message.split('\n')[0]}`;
  return `non-Error thrown: ${typeof e} ${String(e)}`;
}

/** Runs fn, returns its outcome and value, and adds a finding for an other error or a crash. */
async function attempt<T>(property: string, call: string, findings: Finding[], fn: () => T | Promise<T>): Promise<{ outcome: Outcome; value?: T; error?: unknown }> {
  try {
    return { outcome: 'ok', value: await fn() };
  } catch (e) {
    const outcome = classify(e);
    if (outcome === 'other' || outcome === 'crash') findings.push({ property, kind: outcome, call, detail: describeThrow(e) });
    return { outcome, error: e };
  }
}

// ---- seed models -----------------------------------------------------------------------------

const conv2dSpec: AutoencoderSpec = {
  inputShape: [4, 4, 1],
  encoder: [{ type: 'conv2d', filters: 2, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'batchNorm' }, { type: 'maxPool2d' }],
  decoder: [{ type: 'upSampling2d' }, { type: 'conv2d', filters: 1, kernel: 3, padding: 'same' }],
};
const conv1dSpec: AutoencoderSpec = {
  inputShape: [8, 2],
  encoder: [{ type: 'conv1d', filters: 3, kernel: 3, padding: 'same', activation: 'tanh' }, { type: 'maxPool1d' }],
  decoder: [{ type: 'upSampling1d' }, { type: 'conv1d', filters: 2, kernel: 3, padding: 'same' }],
};

export interface Seed { name: string; bytes: Uint8Array }

/** Deterministic rows (no PRNG of the library): sin/cos waves, a few rows of `cols`. */
export function probeRows(rows: number, cols: number, phase = 0): Float32Array {
  return Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(0.7 * i + phase) + 0.3 * Math.cos(1.3 * i));
}

/** The seed models: dense with and without normalizer/threshold/metadata, bce+minmax, conv2d+batchNorm, conv1d, a rate model, an ensemble. */
export async function makeSeeds(): Promise<Seed[]> {
  const out: Seed[] = [];
  const add = async (name: string, spec: AutoencoderSpec, extra?: (ae: Autoencoder, x: Float32Array) => void, data?: Float32Array) => {
    const ae = await Autoencoder.create(spec);
    const x = data ?? probeRows(24, ae.inputDim, 1);
    await ae.fit(x, { epochs: 2, validationSplit: 0 });
    extra?.(ae, x);
    out.push({ name, bytes: ae.save() });
  };
  await add('dense-plain', { inputDim: 6, layers: [4, 2], seed: 2 });
  await add('dense-norm-thr', { inputDim: 5, layers: [3], normalize: 'standard', seed: 3 }, (ae, x) => {
    ae.calibrate(x);
    ae.metadata = { columns: ['a', 'b', 'c', 'd', 'e'], note: 'seed' };
  });
  await add('dense-bce-minmax', { inputDim: 4, layers: [3, 2], loss: 'bce', normalize: 'minmax', seed: 4 }, (ae, x) => { ae.threshold = 0.25; },
    Float32Array.from(probeRows(24, 4, 2), (v) => (v + 1.3) / 2.6));
  await add('conv2d-bn', conv2dSpec, (ae, x) => ae.calibrate(x, { max: true }));
  await add('conv1d', { ...conv1dSpec, normalize: 'minmax' });
  // a code trained with the rate term (its noise node after the code; compress() rounds it to integers)
  await add('dense-rate', { inputDim: 6, layers: [5, 3], rate: 0.3, normalize: 'standard', seed: 7 });
  // the default kind of model (an ensemble with its latent density term), small: 4 members of [3, 2]
  await add('ensemble', { inputDim: 5, layers: [3, 2], normalize: 'standard', seed: 6, ensemble: { members: 4, rows: 16, density: 8 } }, (ae, x) => ae.calibrate(x));
  return out;
}

// ---- shared checks ---------------------------------------------------------------------------

const bitsEqual = (a: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }, b: typeof a) =>
  a.byteLength === b.byteLength && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

/** Everything a failed call must leave as it was: probe score bits, save() bytes, threshold, metadata. */
function snapshot(ae: Autoencoder, probe: Float32Array) {
  return { score: ae.score(probe), bytes: ae.save(), thr: ae.threshold, meta: JSON.stringify(ae.metadata) };
}
function sameSnapshot(a: ReturnType<typeof snapshot>, b: ReturnType<typeof snapshot>): string | null {
  if (!bitsEqual(a.score, b.score)) return `probe score changed: ${Array.from(a.score.slice(0, 3))} -> ${Array.from(b.score.slice(0, 3))}`;
  if (!bitsEqual(a.bytes, b.bytes)) return `save() bytes changed (${a.bytes.length} -> ${b.bytes.length} bytes)`;
  if (!Object.is(a.thr, b.thr)) return `threshold changed ${a.thr} -> ${b.thr}`;
  if (a.meta !== b.meta) return 'metadata changed';
  return null;
}


/**
 * Why a loaded model scores NaN/Infinity, read from the file's floats (layout of the bindings/format.ts
 * header comment) and getWeights() (Keras order: batchNorm gives gamma, beta, moving mean, variance).
 */
function nonfiniteCause(ae: Autoencoder, bytes: Uint8Array): string {
  const spec = ae.spec, D = ae.inputDim;
  const w = ae.getWeights();
  const layers = [...(spec.encoder ?? []), ...(spec.decoder ?? [])];
  let i = 0;
  const variances: Float32Array[] = [];
  if (layers.length) {
    for (const l of layers) {
      if (l.type === 'batchNorm') { variances.push(w[i + 3]!); i += 4; } else if (l.type === 'dense' || l.type.startsWith('conv')) i += 2;
    }
  }
  if (variances.some((v) => v.some((x) => x < 0))) return 'negative batchNorm moving variance';
  const at = 24 + new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(20, true);
  const floats = new Float32Array(bytes.slice(at, bytes.length - 4).buffer);
  if (spec.normalize !== 'none' && floats.subarray(D, 2 * D).some((v) => v < 1e-12)) return 'tiny normalizer scale';
  if (floats.some((v) => Math.abs(v) > 1e15)) return 'huge finite floats';
  return 'unexplained';
}

/** Rows z of normalized units in the units of the model's data: shift + z * scale per column, from the file's normalizer. */
function inModelUnits(ae: Autoencoder, bytes: Uint8Array, z: Float32Array): Float32Array {
  if (ae.spec.normalize === 'none') return z;
  const D = ae.inputDim;
  const at = 24 + new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(20, true);
  const floats = new Float32Array(bytes.slice(at, at + 8 * D).buffer);
  return Float32Array.from(z, (v, i) => floats[i % D]! + v * floats[D + (i % D)]!);
}

/**
 * The load() invariant: refused with a clear error, or a model that scores rows of its own data's
 * units with finite numbers (and any rows without NaN), whose save() loads again, scores the same bits, and saves the same bytes.
 */
async function checkLoad(property: string, call: string, bytes: Uint8Array, findings: Finding[]): Promise<Outcome> {
  const r = await attempt(property, call, findings, () => Autoencoder.load(bytes));
  if (r.outcome !== 'ok') return r.outcome;
  const ae = r.value!;
  const z = probeRows(3, Math.min(ae.inputDim, 1 << 16));
  if (z.length !== 3 * ae.inputDim) return 'ok'; // a huge input width: a probe would only measure allocation
  // rows in arbitrary units may overflow (a row far from the data scores +Infinity, as documented),
  // but never give NaN
  const raw = await attempt(property, `${call} then score(rows in any units)`, findings, () => ae.score(z));
  if (raw.outcome === 'ok' && raw.value!.some(Number.isNaN)) {
    findings.push({ property, kind: 'violation', call, detail: `loaded model scores rows as NaN: ${Array.from(raw.value!)}` });
  }
  // rows in the model's own units (z scaled back by the file's normalizer, x = shift + z * scale,
  // computed here in float64) must score finite
  const probe = inModelUnits(ae, bytes, z);
  if (!probe.every(Number.isFinite)) return 'ok'; // the model's units overflow float32 (shift + scale): no such rows exist
  const s = await attempt(property, `${call} then score(probe)`, findings, () => ae.score(probe));
  if (s.outcome !== 'ok') {
    findings.push({ property, kind: 'violation', call, detail: `loaded model cannot score: ${describeThrow(s.error)}` });
    return 'ok';
  }
  if (!s.value!.every(Number.isFinite)) {
    findings.push({ property, kind: 'violation', call, detail: `loaded model scores a probe as ${Array.from(s.value!)} [cause: ${nonfiniteCause(ae, bytes)}]` });
  }
  const t = ae.threshold;
  if (t !== null && !Number.isFinite(t)) findings.push({ property, kind: 'violation', call, detail: `threshold of a loaded model is ${t}` });
  const saved = await attempt(property, `${call} then save()`, findings, () => ae.save());
  if (saved.outcome !== 'ok') return 'ok';
  const again = await attempt(property, `${call} then load(save())`, findings, () => Autoencoder.load(saved.value!));
  if (again.outcome !== 'ok') {
    findings.push({ property, kind: 'violation', call, detail: `save() of a loaded model does not load again: ${describeThrow(again.error)}` });
    return 'ok';
  }
  const s2 = again.value!.score(probe);
  if (!bitsEqual(s.value!, s2)) findings.push({ property, kind: 'violation', call, detail: 'save()/load() of a loaded model scores different bits' });
  if (!bitsEqual(again.value!.save(), saved.value!)) findings.push({ property, kind: 'violation', call, detail: 'save() of a reloaded model gives different bytes' });
  return 'ok';
}

// ---- property 1: mutated model bytes -----------------------------------------------------------

type ByteEdit =
  | { op: 'flip'; pos: number; bit: number }
  | { op: 'set'; pos: number; value: number }
  | { op: 'f32'; pos: number; value: number; where: 'any' | 'floats' | 'head' | 'tail' }
  | { op: 'u32'; field: number; value: number }
  | { op: 'truncate'; len: number }
  | { op: 'insert'; pos: number; data: number[] }
  | { op: 'delete'; pos: number; count: number }
  | { op: 'splice'; other: number; cutA: number; cutB: number };

const SPECIAL_F32 = [NaN, Infinity, -Infinity, -1, -0, 0, 1e-45, -1e-45, 1e-38, 3.4e38, -3.4e38, 1e30, 65504, -2];

const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('flip' as const), pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), pos: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('f32' as const), pos: fc.nat(), value: fc.constantFrom(...SPECIAL_F32), where: fc.constantFrom('any' as const, 'floats' as const, 'head' as const, 'tail' as const) }) },
  {
    weight: 2, arbitrary: fc.record({
      op: fc.constant('u32' as const), field: fc.constantFrom(8, 12, 16, 20),
      value: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 8, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffc), fc.nat({ max: 4096 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), len: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insert' as const), pos: fc.nat(), data: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), pos: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('splice' as const), other: fc.nat(), cutA: fc.nat(), cutB: fc.nat() }) },
);

function floatsStart(b: Uint8Array): number {
  if (b.length < 24) return 0;
  const j = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(20, true);
  return Math.min(24 + j, b.length);
}

function applyByteEdit(b: Uint8Array, e: ByteEdit, seeds: Seed[]): Uint8Array {
  const n = b.length;
  switch (e.op) {
    case 'flip': if (n) b[e.pos % n]! ^= 1 << e.bit; return b;
    case 'set': if (n) b[e.pos % n] = e.value; return b;
    case 'f32': {
      // floats: on a float of the float region (normalizer, weights, batchNorm state); head: one of
      // its first 8 floats (the normalizer when there is one); tail: one of its last 4 (batchNorm
      // moving variances when there are some); any: any byte offset
      const lo = e.where === 'any' ? 0 : floatsStart(b), span = Math.floor((n - 4 - lo) / 4);
      if (span <= 0 || n < 4) return b;
      const at = e.where === 'any' ? e.pos % (n - 3) : e.where === 'head' ? lo + 4 * (e.pos % Math.min(8, span))
        : e.where === 'tail' ? lo + 4 * (span - 1 - (e.pos % Math.min(4, span))) : lo + 4 * (e.pos % span);
      new DataView(b.buffer, b.byteOffset, n).setFloat32(at, e.value, true);
      return b;
    }
    case 'u32': if (n >= e.field + 4) new DataView(b.buffer, b.byteOffset, n).setUint32(e.field, e.value >>> 0, true); return b;
    case 'truncate': return b.slice(0, e.len % (n + 1));
    case 'insert': { const p = e.pos % (n + 1); return Uint8Array.from([...b.subarray(0, p), ...e.data, ...b.subarray(p)]); }
    case 'delete': { const p = e.pos % (n + 1); return Uint8Array.from([...b.subarray(0, p), ...b.subarray(p + e.count)]); }
    case 'splice': {
      const o = seeds[e.other % seeds.length]!.bytes;
      return Uint8Array.from([...b.subarray(0, e.cutA % (n + 1)), ...o.subarray(e.cutB % (o.length + 1))]);
    }
  }
}

export interface BytesCase { seed: number; edits: ByteEdit[]; fixLength: boolean; fixCrc: boolean }
export const bytesCase: fc.Arbitrary<BytesCase> = fc.record({
  seed: fc.nat(), edits: fc.array(byteEdit, { minLength: 1, maxLength: 4 }), fixLength: fc.boolean(), fixCrc: fc.constantFrom(true, true, true, false),
});

export function mutateBytes(c: BytesCase, seeds: Seed[]): Uint8Array {
  let b: Uint8Array = seeds[c.seed % seeds.length]!.bytes.slice();
  for (const e of c.edits) b = applyByteEdit(b, e, seeds);
  if (c.fixLength && b.length >= 24) new DataView(b.buffer, b.byteOffset, b.length).setUint32(16, b.length, true);
  if (c.fixCrc) sealCrc(b);
  return b;
}

export function loadBytesProperty(seeds: Seed[], tally: Tally) {
  const P = 'load(mutated bytes)';
  return fc.asyncProperty(bytesCase, async (c) => {
    const findings: Finding[] = [];
    const o = await checkLoad(P, `load(${seeds[c.seed % seeds.length]!.name} ${JSON.stringify(c.edits)}${c.fixLength ? ' +length' : ''}${c.fixCrc ? ' +crc' : ''})`, mutateBytes(c, seeds), findings);
    tally.settle(P, [o], findings);
  });
}

// ---- property 2: JSON header edits with a valid length field and CRC ---------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const hostileJson: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(0, -1, 1, 2, 3, 0.5, 1.5, -0.5, 1e308, -1e308, 5e-324, 1e-320, 2 ** 31, 2 ** 32, 2 ** 53, 1 << 20, (1 << 20) + 1, 1e9, 65536, 4096,
    '', 'x', 'relu', 'linear', 'sigmoid', 'dense', 'graph', 'conv2d', 'batchNorm', 'same', 'standard', 'minmax', 'none', 'bce', 'mse', '__proto__', 'constructor',
    null, true, false, [], {}, [1], [0], [-1], [1, 1], [1, 2, 3], [4, 4, 1], [[1]], { type: 'dense' }, { type: 'dense', units: 2 }, { __proto__: 1 } as Json),
  fc.integer({ min: -4, max: 40 }),
  fc.double(),
  fc.string({ maxLength: 8 }),
);

const layerJson: fc.Arbitrary<Json> = fc.record({
  type: fc.constantFrom(...LAYER_TYPES) as fc.Arbitrary<string>,
  units: fc.integer({ min: 1, max: 8 }), filters: fc.integer({ min: 1, max: 4 }), kernel: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant([2, 3])),
  strides: fc.integer({ min: 1, max: 3 }), padding: fc.constantFrom('valid', 'same'), activation: fc.constantFrom('relu', 'linear', 'tanh'),
  pool: fc.integer({ min: 1, max: 3 }), size: fc.integer({ min: 1, max: 3 }), rate: fc.double({ min: 0, max: 0.9, noNaN: true }), shape: fc.constantFrom([16], [4, 4, 1], [8, 2], [-1, 2], [2, 2, 4]),
  momentum: fc.double({ min: 0, max: 1, noNaN: true }), epsilon: fc.double({ min: 1e-6, max: 1, noNaN: true }),
}, { requiredKeys: ['type'] }) as unknown as fc.Arbitrary<Json>;

type JsonEdit =
  | { op: 'set'; path: number; value: Json }
  | { op: 'delete'; path: number }
  | { op: 'addKey'; path: number; key: string; value: Json }
  | { op: 'layer'; path: number; layer: Json }
  | { op: 'insertLayer'; path: number; at: number; layer: Json };

const jsonEdit: fc.Arbitrary<JsonEdit> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), path: fc.nat(), value: hostileJson }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), path: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('addKey' as const), path: fc.nat(), key: fc.constantFrom('extra', '__proto__', 'constructor', 'inputDim', 'layers', 'state', 'units', 'toJSON'), value: hostileJson }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('layer' as const), path: fc.nat(), layer: layerJson }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insertLayer' as const), path: fc.nat(), at: fc.nat(), layer: layerJson }) },
);

/** Every [container, key] in a JSON value, depth first (key null: the root itself). */
function slots(v: Json, out: [Json & object, string | number][] = []): [Json & object, string | number][] {
  if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      out.push([v, Array.isArray(v) ? Number(k) : k]);
      slots((v as Record<string, Json>)[k]!, out);
    }
  }
  return out;
}

/**
 * Applies edit e to h. The edit's value goes in as a fresh copy: fc.constantFrom hands every case the
 * same objects ({}, [1], { type: 'dense' }), so inserting them as they are let a later 'addKey' write
 * into a shared constant, and every case after (a replay, a shrink) saw it changed, even cyclic.
 */
function applyJsonEdit(h: Json, e: JsonEdit): void {
  const all = slots(h);
  if (e.op === 'layer' || e.op === 'insertLayer') {
    const lists = all.filter(([c, k]) => (k === 'encoder' || k === 'decoder') && Array.isArray((c as Record<string, Json>)[k]));
    if (!lists.length) return;
    const [c, k] = lists[e.path % lists.length]!;
    const list = (c as Record<string, Json[]>)[k as string]!;
    if (e.op === 'layer' && list.length) list[e.path % list.length] = structuredClone(e.layer);
    else if (e.op === 'insertLayer') list.splice(e.at % (list.length + 1), 0, structuredClone(e.layer));
    return;
  }
  if (e.op === 'addKey') {
    const objs = [h, ...all.map(([c, k]) => (c as Record<string, Json>)[k as string]!)].filter((v) => v !== null && typeof v === 'object' && !Array.isArray(v)) as Record<string, Json>[];
    const o = objs[e.path % objs.length]!;
    Object.defineProperty(o, e.key, { value: structuredClone(e.value), enumerable: true, configurable: true, writable: true });
    return;
  }
  if (!all.length) return;
  const [c, k] = all[e.path % all.length]!;
  if (e.op === 'delete') {
    if (Array.isArray(c)) c.splice(k as number, 1); else delete (c as Record<string, Json>)[k as string];
  } else {
    (c as Record<string, Json>)[k as string] = structuredClone(e.value);
  }
}

export interface JsonCase { seed: number; edits: JsonEdit[] }
export const jsonCase: fc.Arbitrary<JsonCase> = fc.record({ seed: fc.nat(), edits: fc.array(jsonEdit, { minLength: 1, maxLength: 3 }) });

/** The seed's file with its JSON header edited, the length fields and the CRC made right again. */
export function editJson(c: JsonCase, seeds: Seed[]): Uint8Array {
  return withHeader<Json>(seeds[c.seed % seeds.length]!.bytes, (h) => { for (const e of c.edits) applyJsonEdit(h, e); });
}

export function loadJsonProperty(seeds: Seed[], tally: Tally) {
  const P = 'load(edited JSON header)';
  return fc.asyncProperty(jsonCase, async (c) => {
    const findings: Finding[] = [];
    const o = await checkLoad(P, `load(${seeds[c.seed % seeds.length]!.name} ${JSON.stringify(c.edits)})`, editJson(c, seeds), findings);
    tally.settle(P, [o], findings);
  });
}

// ---- property 3: hostile arguments to the public API ---------------------------------------------

/** A value the fuzzer passes, rebuilt fresh for every call (getters and proxies carry state). */
type Gen = { label: string; make: () => unknown };
const G = (label: string, make: () => unknown): Gen => ({ label, make });

const throwingGetter = (key: string) => G(`{ get ${key}() { throw } }`, () => Object.defineProperty({}, key, { get() { throw new OwnError(); }, enumerable: true }));
const throwingProxy = G('Proxy(throws on every trap)', () => new Proxy({}, {
  get() { throw new OwnError(); }, has() { throw new OwnError(); }, ownKeys() { throw new OwnError(); }, getOwnPropertyDescriptor() { throw new OwnError(); }, getPrototypeOf() { throw new OwnError(); },
}));

const PRIMS: Gen[] = [
  G('undefined', () => undefined), G('null', () => null), G('NaN', () => NaN), G('Infinity', () => Infinity), G('-Infinity', () => -Infinity),
  G('-0', () => -0), G('0', () => 0), G('-1', () => -1), G('0.5', () => 0.5), G('1.5', () => 1.5), G('1e300', () => 1e300), G('-1e300', () => -1e300),
  G('2**31', () => 2 ** 31), G('2**32', () => 2 ** 32), G('2**53', () => 2 ** 53), G('(1<<28)+1', () => (1 << 28) + 1), G('Number.MAX_VALUE', () => Number.MAX_VALUE),
  G('5e-324', () => 5e-324), G('1e-300', () => 1e-300), G("'3'", () => '3'), G("''", () => ''), G('true', () => true), G('false', () => false),
  G('Symbol()', () => Symbol('s')), G('10n', () => 10n), G('() => 1', () => () => 1), G('{}', () => ({})), G('[]', () => []),
  G('new Date(0)', () => new Date(0)), G('Object.create(null)', () => Object.create(null)), G('new Number(2)', () => new Number(2)),
  throwingProxy, throwingGetter('length'), throwingGetter('seed'),
];
const SMALL_INTS: Gen[] = [1, 2, 3, 4, 5, 8].map((n) => G(String(n), () => n));

/** Numbers for count-like slots: hostile ones and small valid ones (never a valid huge count: that is just slow). */
const countArb = fc.constantFrom(...PRIMS, ...SMALL_INTS);

const f32Value = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e39, 1e-45, -0, 1e300) },
);

/** `a` after its buffer was transferred (structuredClone with a transfer list): it reads as 0 values. */
function transferred<T extends ArrayBufferView>(a: T): T {
  structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
  return a;
}

/** A matrix-like argument for a model whose rows are `cols` wide (valid ones included). */
function matrixArb(cols: number): fc.Arbitrary<Gen> {
  const rows = fc.integer({ min: 1, max: 4 });
  const vals = (n: number) => fc.array(f32Value, { minLength: n, maxLength: n });
  const finite = (n: number) => fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: n, maxLength: n });
  return fc.oneof(
    { weight: 6, arbitrary: rows.chain((r) => finite(r * cols)).map((v) => G(`Float32Array(${v.length}) finite`, () => Float32Array.from(v))) },
    { weight: 2, arbitrary: rows.chain((r) => vals(r * cols)).map((v) => G(`Float64Array[${v}]`, () => Float64Array.from(v))) },
    { weight: 2, arbitrary: rows.chain((r) => finite(r * cols)).map((v) => G(`number[][] ${v.length / cols} rows`, () => Array.from({ length: v.length / cols }, (_, i) => v.slice(i * cols, (i + 1) * cols)))) },
    { weight: 1, arbitrary: fc.tuple(rows, fc.integer({ min: -1, max: 1 }).filter((d) => d !== 0)).map(([r, d]) => G(`Float32Array(${r * cols + d})`, () => new Float32Array(Math.max(0, r * cols + d)).fill(0.5))) },
    { weight: 1, arbitrary: fc.tuple(rows, fc.integer({ min: 0, max: 3 })).map(([r, hole]) => G(`sparse outer array length ${r + 1}, row ${hole % (r + 1)} set`, () => {
      const a: number[][] = new Array(r + 1);
      a[hole % (r + 1)] = Array(cols).fill(0.25);
      return a;
    })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: cols - 1 }).map((c) => G(`[row with a hole at ${c}]`, () => { const row: number[] = Array(cols).fill(0.5); delete row[c]; return [row]; })) },
    { weight: 1, arbitrary: fc.constantFrom(
      G('[row too long]', () => [Array(cols + 1).fill(0)]), G('[row too short]', () => [Array(Math.max(0, cols - 1)).fill(0)]),
      G('[null]', () => [null]), G('[[...strings]]', () => [Array(cols).fill('1')]), G('[[...null]]', () => [Array(cols).fill(null)]),
      G('[Int8Array row]', () => [new Int8Array(cols).fill(-3)]), G('[Uint8Array row]', () => [new Uint8Array(cols).fill(200)]),
      G('[BigInt64Array row]', () => [new BigInt64Array(cols)]), G('[Float32Array row]', () => [new Float32Array(cols).fill(0.1)]),
      G('[{length: cols}]', () => [{ length: cols }]), G('[row with throwing length]', () => [Object.defineProperty({}, 'length', { get() { throw new OwnError(); } })]),
      G('[row with a throwing index getter]', () => { const row: number[] = Array(cols).fill(0); Object.defineProperty(row, 0, { get() { throw new OwnError(); } }); return [row]; }),
      G('Int32Array', () => new Int32Array(cols)), G('Uint8Array', () => new Uint8Array(cols)), G('Float32Array(0)', () => new Float32Array(0)),
      G('DataView', () => new DataView(new ArrayBuffer(cols * 4))), G('ArrayBuffer', () => new ArrayBuffer(cols * 4)),
      G('Float32Array on SharedArrayBuffer', () => new Float32Array(new SharedArrayBuffer(cols * 8)).fill(0.5)),
      G('Float32Array subarray at odd row', () => new Float32Array(cols * 3).fill(0.25).subarray(1, 1 + cols)),
      G('Float32Array whose buffer was transferred', () => transferred(new Float32Array(cols).fill(0.5))),
      G('[Float64Array row whose buffer was transferred]', () => [transferred(new Float64Array(cols).fill(0.5))]),
      G('array-like {0:..., length:1}', () => ({ 0: Array(cols).fill(0), length: 1 })), G('[[[...]]] nested', () => [[Array(cols).fill(0)]]),
    ) },
    { weight: 2, arbitrary: fc.constantFrom(...PRIMS) },
  );
}

/** null 6 times in 7 (fc.option's freq is the other way round: nil once in freq). */
const rarely = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: a });

/** An options object from generated entries; `getter`: that key (if present) becomes a getter that throws. */
function optionsGen(r: Record<string, Gen>, getter: number | null): Gen {
  const keys = Object.keys(r);
  const g = getter === null || !keys.length ? null : keys[getter % keys.length]!;
  return G(`{${keys.map((k) => (k === g ? `get ${k}() { throw }` : `${k}: ${r[k]!.label}`)).join(', ')}}`, () => {
    const o: Record<string, unknown> = {};
    for (const k of keys) {
      if (k === g) Object.defineProperty(o, k, { get() { throw new OwnError(); }, enumerable: true });
      else o[k] = r[k]!.make();
    }
    return o;
  });
}

function optionsArb(keys: Record<string, fc.Arbitrary<Gen>>): fc.Arbitrary<Gen> {
  const rec = fc.record(keys, { requiredKeys: [] }) as fc.Arbitrary<Record<string, Gen>>;
  const unknownKey = rarely(fc.constant(G('1', () => 1)));
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(rec, unknownKey, rarely(fc.nat())).map(([r, u, g]) => optionsGen(u ? { ...r, zzUnknown: u } : r, g)) },
    { weight: 1, arbitrary: fc.constantFrom(...PRIMS) },
  );
}
const num = (...valid: number[]) => (valid.length ? fc.oneof(fc.constantFrom(...PRIMS), fc.constantFrom(...valid.map((v) => G(String(v), () => v)))) : fc.constantFrom(...PRIMS));

/** One call: what it is, and what it does to a target model (or to nothing, for module functions). */
export interface Call { method: string; args: Gen[] }

export type Target = 'dense-norm-thr' | 'conv2d-bn' | 'dense-plain' | 'ensemble' | 'disposed';

/** A hostile or near-valid weight list for setWeights, from the model's own getWeights(). */
const weightsArb: fc.Arbitrary<{ label: string; edit: (w: Float32Array[]) => unknown }> = fc.oneof(
  fc.constantFrom(
    { label: 'getWeights() as is', edit: (w: Float32Array[]) => w },
    { label: 'one array fewer', edit: (w: Float32Array[]) => w.slice(1) },
    { label: 'one extra array', edit: (w: Float32Array[]) => [...w, new Float32Array(1)] },
    { label: 'arrays as number[]', edit: (w: Float32Array[]) => w.map((a) => Array.from(a)) },
    { label: 'arrays as Float64Array', edit: (w: Float32Array[]) => w.map((a) => Float64Array.from(a)) },
    { label: 'arrays as Int8Array', edit: (w: Float32Array[]) => w.map((a) => Int8Array.from(a, (v) => Math.round(v * 10))) },
    { label: 'sparse arrays (holes)', edit: (w: Float32Array[]) => w.map((a) => new Array(a.length)) },
    { label: 'arrays of strings', edit: (w: Float32Array[]) => w.map((a) => Array.from(a, String)) },
    { label: 'a null slot', edit: (w: Float32Array[]) => [null, ...w.slice(1)] },
    { label: 'a Proxy list', edit: () => new Proxy([], { get() { throw new OwnError(); } }) },
    { label: 'arrays with a throwing index getter', edit: (w: Float32Array[]) => w.map((a) => { const b = Array.from(a); Object.defineProperty(b, 0, { get() { throw new OwnError(); } }); return b; }) },
  ),
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...SPECIAL_F32, 1e300, -1e300)).map(([i, j, v]) => ({
    label: `array ${i} value ${j} = ${v}`,
    edit: (w: Float32Array[]) => { const c = w.map((a) => a.slice()); const a = c[i % c.length]!; if (a.length) a[j % a.length] = v; return c; },
  })),
  fc.tuple(fc.nat(), fc.constantFrom(...PRIMS)).map(([i, g]) => ({
    label: `array ${i} = ${g.label}`, edit: (w: Float32Array[]) => { const c: unknown[] = w.map((a) => a.slice()); c[i % c.length] = g.make(); return c; },
  })),
);

const specArb: fc.Arbitrary<Gen> = fc.oneof(
  optionsArb({
    inputDim: num(3, 4), layers: fc.oneof(num(), fc.constantFrom(G('[2]', () => [2]), G('[3, 1]', () => [3, 1]), G('[0]', () => [0]), G('[2, NaN]', () => [2, NaN]), G('[2**31]', () => [2 ** 31]), G('[(1<<20)+1]', () => [(1 << 20) + 1]), G('sparse [,2]', () => [, 2]))),
    activation: fc.constantFrom(...PRIMS, G("'relu'", () => 'relu'), G("'gelu'", () => 'gelu'), G("'RELU'", () => 'RELU')),
    loss: fc.constantFrom(...PRIMS, G("'bce'", () => 'bce'), G("'mae'", () => 'mae')), normalize: fc.constantFrom(...PRIMS, G("'minmax'", () => 'minmax')),
    seed: num(0, 7, 0xffffffff), outputActivation: fc.constantFrom(G("'sigmoid'", () => 'sigmoid'), G("'tanh'", () => 'tanh')),
    rate: num(0, 0.3, 1e6), latentActivation: fc.constantFrom(G("'tanh'", () => 'tanh'), G("'linear'", () => 'linear')),
  }),
  optionsArb({
    inputShape: fc.constantFrom(...PRIMS, G('[4, 4, 1]', () => [4, 4, 1]), G('[8, 2]', () => [8, 2]), G('[4, 4, 1, 1]', () => [4, 4, 1, 1]), G('[2**31, 1]', () => [2 ** 31, 1]), G('[0, 4]', () => [0, 4])),
    encoder: fc.oneof(fc.constantFrom(...PRIMS), layerJson.map((l) => G(JSON.stringify([l]), () => [l]))),
    decoder: fc.oneof(fc.constantFrom(...PRIMS), fc.array(layerJson, { minLength: 1, maxLength: 3 }).map((l) => G(JSON.stringify(l), () => structuredClone(l)))),
    layers: fc.constantFrom(G('[2]', () => [2])),
  }),
);

function onEpochArb(): fc.Arbitrary<{ label: string; make: (ae: Autoencoder, probe: Float32Array) => unknown }> {
  return fc.constantFrom(
    { label: 'onEpoch throws', make: () => () => { throw new OwnError(); } },
    { label: 'onEpoch rejects', make: () => () => Promise.reject(new OwnError()) },
    { label: 'onEpoch returns false', make: () => () => false },
    { label: 'onEpoch returns "no"', make: () => () => 'no' },
    { label: 'onEpoch calls fit again', make: (ae: Autoencoder, p: Float32Array) => () => ae.fit(p, { epochs: 1 }) },
    { label: 'onEpoch scores', make: (ae: Autoencoder, p: Float32Array) => () => { ae.score(p); } },
    { label: 'onEpoch saves', make: (ae: Autoencoder) => () => { ae.save(); } },
    { label: 'onEpoch sets weights', make: (ae: Autoencoder) => () => { ae.setWeights(ae.getWeights()); } },
    { label: 'onEpoch calibrates', make: (ae: Autoencoder, p: Float32Array) => () => { ae.calibrate(p); } },
    { label: 'onEpoch sets NaN weights', make: (ae: Autoencoder) => () => { ae.setWeights(ae.getWeights().map((a) => a.fill(NaN))); } },
  );
}

/** Calls for a model with input width D and latent width W (the seed models' shapes). */
function callArb(D: number, W: number): fc.Arbitrary<Call & { fitOnEpoch?: ReturnType<typeof onEpochArb> extends fc.Arbitrary<infer T> ? T : never; weights?: { label: string; edit: (w: Float32Array[]) => unknown } }> {
  const mx = matrixArb(D);
  const fitOpts = fc.record({
    epochs: num(1, 2), batchSize: num(1, 4, 65536), learningRate: num(1e-3, 1e3), optimizer: fc.constantFrom(...PRIMS, G("'sgd'", () => 'sgd'), G("'adamw'", () => 'adamw'), G("'momentum'", () => 'momentum')),
    validationSplit: num(0, 0.5, 0.9), noise: num(0.1, 1e6), weightDecay: num(0.1), momentum: num(0.5, 1), beta1: num(0.5, 0.999999), beta2: num(0.5), epsilon: num(1e-8, 1),
    shuffle: fc.constantFrom(...PRIMS), earlyStopping: fc.oneof(fc.constantFrom(...PRIMS), optionsArb({ patience: num(1), restoreBest: fc.constantFrom(...PRIMS), minDelta: num(0, 1e300) })),
    target: mx, zzUnknown: fc.constantFrom(G('1', () => 1)),
    signal: fc.constantFrom(...PRIMS, G('a live AbortSignal', () => new AbortController().signal), G('AbortSignal.abort(OwnError)', () => AbortSignal.abort(new OwnError())),
      G('{ aborted: true } (no reason)', () => ({ aborted: true })), G("{ aborted: 'yes' }", () => ({ aborted: 'yes' })),
      // a signal-like object that turns aborted at its 3rd or 4th look (fit() looks at it while checking its options, before the data, before each epoch and after them)
      ...[3, 4].map((k) => G(`a signal aborted from its look ${k} (reason OwnError)`, () => { let looks = 0; return { get aborted() { return ++looks >= k; }, reason: new OwnError() }; }))),
  }, { requiredKeys: [] }) as fc.Arbitrary<Record<string, Gen>>;
  const plain = (method: string, ...args: fc.Arbitrary<Gen>[]) => fc.tuple(...args).map((a) => ({ method, args: a as Gen[] }));
  // the out option of score, encode, reconstruct, explain, decode and detect (markers resolved when the call is made: resolveOut)
  const outArb = fc.oneof(
    { weight: 6, arbitrary: fc.constant(G('undefined', () => undefined)) },
    { weight: 1, arbitrary: fc.constantFrom(
      G('{ out: the result\'s type and length }', () => ({ out: 'right' })), G('{ out: the rows themselves }', () => ({ out: 'input' })),
      G('{ out: the result\'s type, one value too many }', () => ({ out: 'long' })), G('{ out: Float32Array(3) }', () => ({ out: new Float32Array(3) })),
      G('{ out: Float64Array(rows x width) }', () => ({ out: 'f64' })), G('{ out: the result\'s type, detached }', () => ({ out: 'detached' })),
      G("{ out: a view of the model's wasm memory }", () => ({ out: 'wasm' })), G('{ out: null }', () => ({ out: null })), G('{ out: [] }', () => ({ out: [] })),
      G('{ out: undefined }', () => ({ out: undefined })), G('{ out: 1, zz: 2 }', () => ({ out: 1, zz: 2 })),
    ) },
  );
  const wasmOpt = fc.constantFrom(G('{ wasm: {} }', () => ({ wasm: {} })), G("{ wasm: 'x' }", () => ({ wasm: 'x' })), G('{ wasm: null }', () => ({ wasm: null })), G('{ wsam: 1 }', () => ({ wsam: 1 })), G('undefined', () => undefined), ...PRIMS);
  return fc.oneof(
    { weight: 3, arbitrary: fc.tuple(mx, fc.oneof(fc.constantFrom(...PRIMS), fc.tuple(fitOpts, rarely(fc.nat())).map(([r, g]) => optionsGen(r, g))), fc.option(onEpochArb(), { nil: undefined }))
      .map(([x, o, cb]) => ({ method: 'fit', args: [x, o], fitOnEpoch: cb })) },
    { weight: 2, arbitrary: plain('score', mx, outArb) },
    { weight: 1, arbitrary: plain('encode', mx, outArb) },
    { weight: 1, arbitrary: plain('reconstruct', mx, outArb) },
    { weight: 1, arbitrary: plain('explain', mx, outArb) },
    // score()'s options (by 'elbo' needs a VAE; 'kl' is refused), hostile values among them
    { weight: 1, arbitrary: plain('explain', mx, optionsArb({ by: fc.constantFrom(...PRIMS, G("'elbo'", () => 'elbo'), G("'kl'", () => 'kl'), G("'reconstruction'", () => 'reconstruction')), samples: num(1, 3), seed: num(0, 7) })) },
    { weight: 1, arbitrary: plain('decode', matrixArb(W), outArb) },
    { weight: 1, arbitrary: plain('detect', mx, outArb) },
    { weight: 2, arbitrary: plain('calibrate', mx, fc.oneof(optionsArb({ quantile: num(0, 0.5, 1) }), optionsArb({ contamination: num(0.1) }), optionsArb({ max: fc.constantFrom(...PRIMS, G('true', () => true)) }), fc.constant(G('undefined', () => undefined)))) },
    { weight: 2, arbitrary: weightsArb.map((w) => ({ method: 'setWeights', args: [], weights: w })) },
    { weight: 2, arbitrary: plain('threshold=', fc.oneof(fc.constantFrom(...PRIMS), fc.double().map((v) => G(String(v), () => v)))) },
    { weight: 2, arbitrary: plain('metadata=', fc.oneof(fc.constantFrom(...PRIMS,
      G('{ a: NaN }', () => ({ a: NaN })), G('{ a: 1n }', () => ({ a: 1n })), G('cyclic', () => { const o: Record<string, unknown> = {}; o.self = o; return o; }),
      G('{ toJSON() { throw } }', () => ({ toJSON() { throw new OwnError(); } })), G('{ toJSON: () => undefined }', () => ({ toJSON: () => undefined })),
      G('{ toJSON: () => 5 }', () => ({ toJSON: () => 5 })), G('{ x: 2 MiB string }', () => ({ x: 'y'.repeat(2 << 20) })), G('{ nested: [1, "a", null] }', () => ({ nested: [1, 'a', null] })),
      G('Float32Array', () => new Float32Array(2)), G('new Map()', () => new Map([[1, 2]])), G('{ __proto__ key }', () => JSON.parse('{"__proto__": {"x": 1}}')),
      G('{ d: new Date(0) }', () => ({ d: new Date(0) })), G('{ u: undefined }', () => ({ u: undefined })),
    ), fc.jsonValue().map((v) => G(`json ${JSON.stringify(v)?.slice(0, 40)}`, () => structuredClone(v))))) },
    { weight: 1, arbitrary: fc.constantFrom('getWeights', 'save', 'spec', 'inputDim', 'latentDim', 'latentShape', 'paramCount', 'threshold', 'metadata', 'normalizerFitted').map((m) => ({ method: m, args: [] })) },
    { weight: 2, arbitrary: plain('create', specArb, wasmOpt) },
    { weight: 2, arbitrary: plain('load', fc.constantFrom(
      G('its save() as a Buffer', () => 'save-buffer'), G('its save() in a subarray at offset 3', () => 'save-offset'), G('its save() as Uint8ClampedArray', () => 'save-clamped'),
      G('its save() as number[]', () => 'save-array'), G('its save() as ArrayBuffer', () => 'save-ab'), G('its save() as DataView', () => 'save-dv'), G('its save() on a SharedArrayBuffer', () => 'save-sab'),
      G('its save() whose buffer was transferred', () => 'save-moved'),
      ...PRIMS, G('Uint8Array(0)', () => new Uint8Array(0)), G('Int8Array(40)', () => new Int8Array(40)),
    ), wasmOpt) },
    { weight: 2, arbitrary: plain('randomMatrix', countArb, countArb, fc.oneof(optionsArb({ seed: num(0, 5, 0xffffffff), distribution: fc.constantFrom(...PRIMS, G("'normal'", () => 'normal'), G("'gaussian'", () => 'gaussian')) }), fc.constant(G('undefined', () => undefined)), wasmOpt)) },
    { weight: 2, arbitrary: plain('addNoise', mx, optionsArb({ std: fc.oneof({ weight: 1, arbitrary: num(0, 1e30) }, { weight: 3, arbitrary: fc.constant(G('0.4', () => 0.4)) }), seed: num(1), clip: fc.constantFrom(...PRIMS, G('[0, 1]', () => [0, 1]), G('[1, 0]', () => [1, 0]), G('[NaN, 1]', () => [NaN, 1]), G('[0]', () => [0]), G('[-3e38, 3e38]', () => [-3e38, 3e38])) })) },
  );
}

const MUTATING = new Set(['fit', 'setWeights', 'threshold=', 'metadata=', 'calibrate']);
const OUT_METHODS = new Set(['score', 'encode', 'reconstruct', 'explain', 'decode', 'detect']);

function resolveLoadArg(v: unknown, bytes: Uint8Array): unknown {
  switch (v) {
    case 'save-buffer': return Buffer.from(bytes);
    case 'save-offset': { const b = new Uint8Array(bytes.length + 6); b.set(bytes, 3); return b.subarray(3, 3 + bytes.length); }
    case 'save-clamped': return new Uint8ClampedArray(bytes);
    case 'save-array': return Array.from(bytes);
    case 'save-ab': return bytes.slice().buffer;
    case 'save-dv': return new DataView(bytes.slice().buffer);
    case 'save-sab': { const b = new Uint8Array(new SharedArrayBuffer(bytes.length)); b.set(bytes); return b; }
    case 'save-moved': return transferred(bytes.slice());
    default: return v;
  }
}

/** The out option's markers (outArb) made into arrays for this call: the result's length needs the rows and the model. */
function resolveOut(method: string, args: unknown[], ae: Autoencoder): void {
  const o = args[1] as { out?: unknown } | undefined;
  let marker: unknown;
  try { marker = o === null || typeof o !== 'object' ? undefined : o.out; } catch { return; /* a hostile proxy as the options */ }
  if (typeof marker !== 'string' || !o) return;
  const width = method === 'score' || method === 'detect' ? 1 : method === 'encode' ? ae.latentDim : ae.inputDim;
  const T = method === 'detect' ? Uint8Array : Float32Array;   // the type detect() writes (the f64 marker stays wrong for both)
  let rows: number | null = null;
  try { rows = rowsOf(args[0], method === 'decode' ? ae.latentDim : ae.inputDim); } catch { /* a hostile proxy as the rows */ }
  const n = (rows !== null && Number.isInteger(rows) && rows > 0 && rows < 1e6 ? rows : 1) * width;
  switch (marker) {
    case 'right': o.out = new T(n).fill(42); break;
    case 'input': o.out = args[0]; break;
    case 'long': o.out = new T(n + 1).fill(42); break;
    case 'f64': o.out = new Float64Array(n); break;
    case 'detached': { const a = new T(n); structuredClone(a.buffer, { transfer: [a.buffer] }); o.out = a; break; }
    case 'wasm': {
      const mem = (ae as unknown as { k?: { x: { memory: WebAssembly.Memory } } | null }).k?.x.memory;
      o.out = mem && n * 4 <= mem.buffer.byteLength ? new T(mem.buffer, 0, n) : new T(n);
      break;
    }
  }
}

const isSparse = (v: unknown): boolean => Array.isArray(v) && (Object.keys(v).length !== v.length || v.some((r) => Array.isArray(r) && Object.keys(r).length !== r.length));

/** Checks what a successful call returned against what its docs promise. */
function checkResult(method: string, args: unknown[], value: unknown, ae: Autoencoder | null, rowsIn: number | null): string | null {
  const x = args[0];
  if (isSparse(x) && ['fit', 'score', 'encode', 'decode', 'reconstruct', 'explain', 'detect', 'calibrate'].includes(method)) return `accepted a sparse array in ${method}()`;
  if (ae && rowsIn !== null) {
    const D = ae.inputDim, W = ae.latentDim;
    if (method === 'score' && !(value instanceof Float32Array && value.length === rowsIn)) return `score() returned ${String(value)} for ${rowsIn} rows`;
    if (method === 'encode' && !(value instanceof Float32Array && value.length === rowsIn * W)) return 'encode() returned the wrong length';
    if (method === 'reconstruct' && !(value instanceof Float32Array && value.length === rowsIn * D)) return 'reconstruct() returned the wrong length';
    // a feature's share is never NaN (an overflow is +Infinity, as score()'s); with the ensemble's median taken off it may be below 0
    if (method === 'explain' && !(value instanceof Float32Array && value.length === rowsIn * D && !value.some(Number.isNaN))) return 'explain() returned the wrong length or a NaN';
    const out = OUT_METHODS.has(method) ? (args[1] as { out?: unknown } | undefined)?.out : undefined;
    if (out !== undefined && value !== out) return `${method}() with an out option returned another array`;
    if (method === 'detect' && !(value instanceof Uint8Array && value.length === rowsIn && value.every((f) => f === 0 || f === 1))) return 'detect() returned something other than 0/1 per row';
  }
  if (method === 'randomMatrix') {
    const [r, c, o] = args as [number, number, { distribution?: string } | undefined];
    if (!(value instanceof Float32Array) || value.length !== r * c) return 'randomMatrix() returned the wrong length';
    if (o?.distribution === 'normal' ? !value.every(Number.isFinite) : !value.every((v) => v >= 0 && v < 1)) return 'randomMatrix() values out of range';
  }
  if (method === 'addNoise') {
    const o = args[1] as { clip?: [number, number] };
    if (!(value instanceof Float32Array) || value.length !== (x as Float32Array).length) return 'addNoise() returned the wrong length';
    if (!Array.from(x as Float32Array).every((v) => Number.isFinite(Math.fround(v)))) return 'addNoise() accepted non-finite input (NaN, Infinity, or beyond float32)';
    if (!value.every(Number.isFinite)) return `addNoise() returned non-finite values for finite input (${Array.from(value.slice(0, 3))})`;
    // the bounds are used as float32, as the data
    if (o?.clip && !value.every((v) => v >= Math.fround(o.clip![0]) && v <= Math.fround(o.clip![1]))) return 'addNoise() values outside clip';
  }
  return null;
}

function rowsOf(x: unknown, cols: number): number | null {
  if (x instanceof Float32Array || x instanceof Float64Array) return x.length / cols;
  if (Array.isArray(x)) return x.length;
  return null;
}

export interface ApiCase { target: Target; calls: ReturnType<typeof callArb> extends fc.Arbitrary<infer T> ? T[] : never }

export function apiCaseArb(): fc.Arbitrary<ApiCase> {
  // the dense seeds have D 5/6 latent 3/2; conv2d-bn has D 16 latent 2*2*2 = 8; the ensemble D 5 latent 2
  return fc.oneof(
    fc.record({ target: fc.constant('dense-norm-thr' as const), calls: fc.array(callArb(5, 3), { minLength: 1, maxLength: 3 }) }),
    fc.record({ target: fc.constant('dense-plain' as const), calls: fc.array(callArb(6, 2), { minLength: 1, maxLength: 3 }) }),
    fc.record({ target: fc.constant('conv2d-bn' as const), calls: fc.array(callArb(16, 8), { minLength: 1, maxLength: 3 }) }),
    fc.record({ target: fc.constant('ensemble' as const), calls: fc.array(callArb(5, 2), { minLength: 1, maxLength: 3 }) }),
    fc.record({ target: fc.constant('disposed' as const), calls: fc.array(callArb(5, 3), { minLength: 1, maxLength: 2 }) }),
  ) as fc.Arbitrary<ApiCase>;
}

export function describeCall(c: ApiCase['calls'][number]): string {
  return `${c.method}(${[...c.args.map((a) => a.label), c.weights?.label, c.fitOnEpoch?.label].filter(Boolean).join(', ')})`;
}

export function apiProperty(seeds: Seed[], tally: Tally) {
  const P = 'public API (hostile arguments)';
  const byName = new Map(seeds.map((s) => [s.name, s.bytes]));
  return fc.asyncProperty(apiCaseArb(), async (c) => {
    const findings: Finding[] = [];
    const outcomes: Outcome[] = [];
    // every case starts from a fresh copy of its seed model, so a case replays the same when shrunk
    const ae = await Autoencoder.load(byName.get(c.target === 'disposed' ? 'dense-norm-thr' : c.target)!);
    if (c.target === 'disposed') ae.dispose();
    const probe = probeRows(3, ae.inputDim, 0.5);
    let before = c.target === 'disposed' ? null : snapshot(ae, probe);
    for (const call of c.calls) {
      const label = describeCall(call);
      const args = call.args.map((g) => g.make());
      const takesOut = OUT_METHODS.has(call.method);   // (outArb's options only: another method's argument may be a hostile proxy)
      if (takesOut && c.target !== 'disposed') resolveOut(call.method, args, ae);
      let outArg: unknown;
      try { outArg = takesOut ? (args[1] as { out?: unknown } | undefined)?.out : undefined; } catch { /* a hostile proxy as the options */ }
      let outBefore: Float32Array | Uint8Array | null = null;
      try { if ((outArg instanceof Float32Array || outArg instanceof Uint8Array) && outArg !== args[0] && outArg.buffer.byteLength > 0) outBefore = outArg.slice(); } catch { /* out is the rows, a hostile proxy */ }
      if (call.method === 'fit' && call.fitOnEpoch && args[1] !== null && typeof args[1] === 'object') {
        try { (args[1] as Record<string, unknown>).onEpoch = call.fitOnEpoch.make(ae, probe); } catch { /* a proxy */ }
      }
      const a = ae as unknown as Record<string, unknown> & Autoencoder;
      const r = await attempt(P, label, findings, () => {
        switch (call.method) {
          case 'fit': return ae.fit(args[0] as never, args[1] as never);
          case 'setWeights': { const w = call.weights!.edit(ae.getWeights()); args.unshift(w); return ae.setWeights(w as never); }
          case 'threshold=': a.threshold = args[0] as never; return a.threshold;
          case 'metadata=': a.metadata = args[0] as never; return a.metadata;
          case 'create': return Autoencoder.create(args[0] as never, args[1] as never);
          case 'load': { const bytes = c.target === 'disposed' ? byName.get('dense-plain')! : ae.save(); return Autoencoder.load(resolveLoadArg(args[0], bytes) as never, args[1] as never); }
          case 'randomMatrix': return randomMatrix(args[0] as never, args[1] as never, args[2] as never);
          case 'addNoise': return addNoise(args[0] as never, args[1] as never);
          default: {
            const m = a[call.method];
            return typeof m === 'function' ? (m as (...x: unknown[]) => unknown).apply(ae, args) : m;
          }
        }
      });
      outcomes.push(r.outcome);
      if (r.outcome !== 'ok' && outBefore && !bitsEqual(outBefore, outArg as typeof outBefore)) {
        findings.push({ property: P, kind: 'violation', call: label, detail: `a failed ${call.method}() wrote into its out array` });
      }
      if (c.target === 'disposed') {
        const modelMethod = !['create', 'load', 'randomMatrix', 'addNoise', 'spec', 'inputDim', 'latentDim', 'latentShape', 'normalizerFitted', 'threshold', 'metadata'].includes(call.method);
        if (modelMethod && r.outcome === 'ok') findings.push({ property: P, kind: 'violation', call: label, detail: `${call.method} on a disposed model succeeded` });
        continue;
      }
      if (r.outcome === 'ok') {
        const bad = checkResult(call.method, args, r.value, ae, rowsOf(args[0], call.method === 'decode' ? ae.latentDim : ae.inputDim));
        if (bad) findings.push({ property: P, kind: 'violation', call: label, detail: bad });
        if (call.method === 'threshold=') {
          const t = ae.threshold;
          if (t !== null && !Number.isFinite(t)) findings.push({ property: P, kind: 'violation', call: label, detail: `threshold accepted ${String(args[0])} and became ${t}` });
        }
        if (MUTATING.has(call.method)) {
          // the changed model must still save to a file that loads back to the same model
          const back = await attempt(P, `${label} then load(save())`, findings, () => Autoencoder.load(ae.save()));
          if (back.outcome !== 'ok') {
            findings.push({ property: P, kind: 'violation', call: label, detail: `after ${call.method} its save() no longer loads: ${describeThrow(back.error)}` });
          } else {
            const m = back.value!;
            if (m.threshold !== ae.threshold) findings.push({ property: P, kind: 'violation', call: label, detail: `threshold ${ae.threshold} came back from save()/load() as ${m.threshold}` });
            if (!bitsEqual(m.score(probe), ae.score(probe))) findings.push({ property: P, kind: 'violation', call: label, detail: `after ${call.method} the reloaded model scores different bits` });
            if (JSON.stringify(m.metadata) !== JSON.stringify(ae.metadata)) findings.push({ property: P, kind: 'violation', call: label, detail: 'metadata changed through save()/load()' });
          }
        }
        if (call.method === 'create' || call.method === 'load') {
          const m = r.value as Autoencoder;
          const s = m.score(probeRows(2, m.inputDim));
          if (!s.every(Number.isFinite)) findings.push({ property: P, kind: 'violation', call: label, detail: `a model from ${call.method}() scores a probe as ${Array.from(s)}` });
        }
        if (call.method === 'load') {
          const m = r.value as Autoencoder;
          if (!bitsEqual(m.save(), ae.save())) findings.push({ property: P, kind: 'violation', call: label, detail: 'load() of a copy of save() gives a different model' });
        }
      }
      const after = await attempt(P, `${label} then score(probe)/save()`, findings, () => snapshot(ae, probe));
      if (after.outcome !== 'ok') {
        findings.push({ property: P, kind: 'violation', call: label, detail: `model unusable after the call: ${describeThrow(after.error)}` });
        break;
      }
      if (r.outcome === 'ok' && MUTATING.has(call.method)) {
        before = after.value!;
      } else {
        const diff = sameSnapshot(before!, after.value!);
        if (diff) findings.push({ property: P, kind: 'violation', call: label, detail: `${r.outcome === 'ok' ? 'a read-only call' : 'a failed call'} changed the model: ${diff}` });
      }
    }
    tally.settle(P, outcomes, findings);
  });
}

// ---- property 4: SeriesDetector states edited in their fields and bytes ------------------------

/** A saved SeriesDetector (small options, 400 timed points: past its trainings, alarms and context), the points after it, and where its state blocks sit. */
export interface SeriesSeed { bytes: Uint8Array; values: Float64Array; times: Float64Array; blocks: number[] }

export async function makeSeriesSeed(): Promise<SeriesSeed> {
  const n = 560, at = 400;
  const v = Float64Array.from({ length: n }, (_, i) => 10 * Math.sin(i / 7) + ((i * 7919) % 13) / 13 + (i % 131 === 100 ? 30 : 0));
  // a step missing every 9 points after the 100th: gaps that fillGaps fills (its count in the header, its grid step in the state)
  const t = Float64Array.from(v, (_, i) => 1.6e12 + 300000 * (i + (i > 100 ? Math.floor((i - 100) / 9) : 0)));
  const d = await SeriesDetector.create(SMALL_SERIES);
  d.pushMany(v.subarray(0, at), t.subarray(0, at));
  const bytes = d.save();
  d.dispose();
  return { bytes, values: v.subarray(at), times: t.subarray(at), blocks: seriesStateBlocks(bytes, S) };
}

const SERIES_FIELDS = Object.entries(S).filter(([name]) => name !== 'BYTES');
const SERIES_F64 = new Set(['MEAN', 'STD', 'MIN', 'MAX', 'ESUM', 'ESQ', 'SSUM', 'LASTT', 'BASE', 'PSUM', 'PSQ', 'PSSUM', 'QSUM', 'QSQ', 'QSSUM', 'ORIGIN']);
const SERIES_F32 = new Set(['SPATIAL', 'SDFLOOR', 'PFLOOR', 'QW', 'RLEVEL', 'RMARGIN', 'RVAL', 'MTOL', 'MAMP', 'SRAMP', 'SRCONF', 'STEPF']);
type SeriesEdit = { field: number; block: number; value: number } | { at: number; byte: number };
export interface SeriesCase { edits: SeriesEdit[]; fixCrc: boolean }
export const seriesCase: fc.Arbitrary<SeriesCase> = fc.record({
  edits: fc.array(fc.oneof(
    fc.record({ field: fc.nat(), block: fc.nat(), value: fc.constantFrom(0, -1, 1, 7, 48, 1e9, 2 ** 29, 2 ** 30, 2 ** 31 - 1, -(2 ** 31), NaN, Infinity, -Infinity, -0, 1e30, 1e-40) }),
    fc.record({ at: fc.nat(), byte: fc.nat(255) }),
  ), { minLength: 1, maxLength: 4 }),
  fixCrc: fc.boolean(),
});

/** The seed's bytes with the case's edits: a state field of one of its detectors set to a hostile value, or a byte anywhere after the signature. */
export function editSeries(c: SeriesCase, seed: SeriesSeed): Uint8Array {
  const e = seed.bytes.slice();
  const dv = new DataView(e.buffer);
  for (const x of c.edits) {
    if ('byte' in x) { e[12 + (x.at % (e.length - 16))] = x.byte; continue; }
    const [name, off] = SERIES_FIELDS[x.field % SERIES_FIELDS.length]!;
    const p = seed.blocks[x.block % seed.blocks.length]! + off;
    if (SERIES_F64.has(name)) dv.setFloat64(p, x.value, true);
    else if (SERIES_F32.has(name)) dv.setFloat32(p, x.value, true);
    else dv.setInt32(p, x.value | 0, true);
  }
  return c.fixCrc ? sealCrc(e) : e;
}

/**
 * SeriesDetector.load() of an edited state either refuses it with a clear error, or gives a
 * detector whose scores of the points after it are numbers in [0, 1] (or a clear error that leaves
 * its state as it was), and whose save() loads again to the same bytes. A state that claimed 2^31 - 1
 * points once loaded, and its next push() never returned.
 */
export function seriesStateProperty(seed: SeriesSeed, tally: Tally) {
  const P = 'SeriesDetector.load(edited state)';
  return fc.asyncProperty(seriesCase, async (c) => {
    const findings: Finding[] = [];
    const call = `SeriesDetector.load(${JSON.stringify(c.edits)}${c.fixCrc ? ' +crc' : ''})`;
    const loaded = await attempt(P, call, findings, () => SeriesDetector.load(editSeries(c, seed)));
    const outcomes: Outcome[] = [loaded.outcome];
    const d = loaded.value;
    if (d) {
      const before = d.save();
      const pushed = await attempt(P, `${call}.pushMany()`, findings, () => d.pushMany(seed.values, seed.times));
      outcomes.push(pushed.outcome);
      const s = pushed.value;
      const bad = s ? s.findIndex((x) => !(x >= 0 && x <= 1)) : -1;
      if (bad >= 0) findings.push({ property: P, kind: 'violation', call: `${call}.pushMany()`, detail: `score ${s![bad]} at point ${bad}, not in [0, 1]` });
      if (pushed.outcome === 'clear' && !sameBytes(d.save(), before)) findings.push({ property: P, kind: 'violation', call: `${call}.pushMany()`, detail: 'a failed pushMany() changed the state' });
      const saved = d.save();
      const again = await attempt(P, `${call}.save() loaded again`, findings, () => SeriesDetector.load(saved));
      outcomes.push(again.outcome);
      if (again.value) {
        if (!sameBytes(again.value.save(), saved)) findings.push({ property: P, kind: 'violation', call: `${call}.save() loaded again`, detail: 'its save() differs from the bytes it was loaded from' });
        again.value.dispose();
      } else if (again.outcome === 'clear') {
        findings.push({ property: P, kind: 'violation', call: `${call}.save() loaded again`, detail: `a saved state was refused: ${String((again.error as Error).message).slice(0, 200)}` });
      }
      d.dispose();
    }
    tally.settle(P, outcomes, findings);
  });
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

// ---- running ---------------------------------------------------------------------------------

export interface RunOptions { cases: number; seed: number; explore?: boolean; onProgress?: (done: string) => void }

/** Splits `cases` over the properties (35% bytes, 20% JSON, 35% API, 10% SeriesDetector states). */
export function budgets(cases: number): { bytes: number; json: number; api: number; series: number } {
  const bytes = Math.round(cases * 0.35), json = Math.round(cases * 0.2), series = Math.round(cases * 0.1);
  return { bytes, json, series, api: cases - bytes - json - series };
}

/** Runs every property; returns the tally and the failures (a property's shrunk counterexample). */
export async function runAll(o: RunOptions): Promise<{ tally: Tally; failures: string[] }> {
  const seeds = await makeSeeds();
  const series = await makeSeriesSeed();
  const tally = new Tally(!o.explore);
  const b = budgets(o.cases);
  const failures: string[] = [];
  const props: [string, fc.IAsyncProperty<[never]>, number][] = [
    ['bytes', loadBytesProperty(seeds, tally) as never, b.bytes],
    ['json', loadJsonProperty(seeds, tally) as never, b.json],
    ['api', apiProperty(seeds, tally) as never, b.api],
    ['series', seriesStateProperty(series, tally) as never, b.series],
  ];
  for (const [name, prop, n] of props) {
    const res = await fc.check(prop, { numRuns: n, seed: o.seed, endOnFailure: false });
    if (res.failed) failures.push(`${name}: ${fc.defaultReportMessage(res)}\n${res.errorInstance instanceof Error ? res.errorInstance.message : String(res.errorInstance)}`);
    o.onProgress?.(name);
  }
  return { tally, failures };
}
