// rate.test.ts: the rate term (spec `rate`) and the integer quantiser it trains the code for, against oracles
// written apart from the package: the container's fields read from its layout (tests/data.ts parseContainer) and an integer quantiser in
// float64 (each dimension's minimum rounded half up, step 1, the fewest bits that cover every span), whose codes
// decoded by decode() must equal decompress() bit for bit; the epoch's rate term recomputed in float64 from encode().
// The term's gradient and the code noise's draws are checked against tests/ref/family.ts by finite differences in
// family.test.ts; here the spec's rules, the codec's choices, save/load and the thread counts.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderError, AutoencoderLite, type AutoencoderSpec } from 'autoencoder';
// (threads run on the built package, as tests/threads.test.ts does: its pool loads dist/'s worker module)
import { Autoencoder as Built } from '../dist/bindings/node.js';
import { lowRank, parseContainer as parse, quantizeRange } from './data.js';
import { expectSameBits } from './helpers.js';

/** The oracle's integer quantiser: offsets floor(min + 1/2), step 1, symbols floor(z - offset + 1/2), the fewest bits >= 2 covering every span. */
function quantizeInt(z: Float32Array, N: number, W: number) {
  const offset = new Float32Array(W);
  let span = 1;
  for (let d = 0; d < W; d++) {
    let lo = Infinity, hi = -Infinity;
    for (let r = 0; r < N; r++) { lo = Math.min(lo, z[r * W + d]!); hi = Math.max(hi, z[r * W + d]!); }
    offset[d] = Math.floor(lo + 0.5);
    span = Math.max(span, Math.floor(hi + 0.5) - offset[d]! + 1);
  }
  let bits = 2;
  while (2 ** bits < span) bits++;
  const zq = new Float32Array(N * W);
  for (let i = 0; i < N * W; i++) zq[i] = offset[i % W]! + Math.floor(z[i]! - offset[i % W]! + 0.5);
  return { offset, bits, zq };
}

const D = 24, L = 6;
const fit = { epochs: 12, batchSize: 64, validationSplit: 0, earlyStopping: false } as const;
let x: Float32Array;
let ae: Autoencoder;

beforeAll(async () => {
  x = Float32Array.from(lowRank(2000, D, 31, { k: 5, noise: 0.1, scale: 2, offset: 1 }));
  ae = await Autoencoder.create({ inputDim: D, layers: [16, L], normalize: 'standard', rate: 0.2, seed: 3 });
  await ae.fit(x, fit);
});

describe('the integer quantiser of a rate-trained code', () => {
  it('compress() without bits: offsets are the rounded minima, steps 1, the fewest bits that cover the spans; decompress() = decode(rounded codes) exactly', () => {
    const rows = x.subarray(0, 700 * D);
    const c = ae.compress(rows);
    const f = parse(c), q = quantizeInt(ae.encode(rows), 700, L);
    expect([f.flags, f.N, f.W, f.bits]).toEqual([0, 700, L, q.bits]);
    expectSameBits(f.offset, q.offset, 'offsets');
    expectSameBits(f.step, new Float32Array(L).fill(1), 'steps');
    expectSameBits(ae.decompress(c), ae.decode(q.zq), 'decompress vs decode(rounded codes)');
    // the rate term kept the code to a few integers a dimension
    expect(q.bits).toBeLessThanOrEqual(6);
  });

  it('{ bits } still quantises each dimension\'s range: steps (max - min) / (2^bits - 1)', () => {
    const rows = x.subarray(0, 300 * D);
    const f = parse(ae.compress(rows, { bits: 5 }));
    expect(f.bits).toBe(5);
    const q = quantizeRange(ae.encode(rows), 300, L, 5);
    expectSameBits(f.offset, q.offset, 'offsets');
    expectSameBits(f.step, q.step, 'steps');
  });

  it('a plain model without bits keeps the default 4 bits', async () => {
    const plain = await Autoencoder.create({ inputDim: D, layers: [16, L], normalize: 'standard', seed: 3 });
    await plain.fit(x.subarray(0, 500 * D), { ...fit, epochs: 2 });
    expect(plain.integerCodec).toBe(false);
    expect(ae.integerCodec).toBe(true);
    expect(parse(plain.compress(x.subarray(0, 50 * D))).bits).toBe(4);
    plain.dispose();
  });

  it('fitCodec() without bits fits integer tables that compress() without bits uses (flag 1), and { bits } tables only at those bits', async () => {
    const m = await Autoencoder.load(ae.save());
    m.fitCodec(x);
    const one = x.subarray(0, 3 * D);
    const c = m.compress(one);
    expect(parse(c).flags).toBe(1);
    const q = quantizeInt(m.encode(x), 2000, L);   // the fitted quantiser: the training rows' offsets and bits
    expect(c[5]).toBe(q.bits);
    const zq = m.encode(one).map((v, i) => q.offset[i % L]! + Math.min(2 ** q.bits - 1, Math.max(0, Math.floor(v - q.offset[i % L]! + 0.5))));
    expectSameBits(m.decompress(c), m.decode(zq), 'decompress vs decode(codes rounded on the fitted offsets)');
    // the tables survive save/load
    const back = await Autoencoder.load(m.save());
    expect(Array.from(back.compress(one))).toEqual(Array.from(c));
    // integer tables are not used at a given bits, nor range tables without bits
    expect(parse(m.compress(one, { bits: q.bits })).flags).toBe(0);
    m.fitCodec(x, { bits: 4 });
    expect(parse(m.compress(one, { bits: 4 })).flags).toBe(1);
    expect(parse(m.compress(one)).flags).toBe(0);
    m.dispose();
    back.dispose();
  });

  it('compressStream() without bits writes the frames compress() writes', async () => {
    const rows = x.subarray(0, 250 * D);
    const chunks: Uint8Array[] = [];
    const out = new ReadableStream({ start(c) { c.enqueue(rows); c.close(); } }).pipeThrough(ae.compressStream({ rowsPerFrame: 100 }));
    for await (const ch of out as unknown as AsyncIterable<Uint8Array>) chunks.push(ch);
    expect(chunks.map((ch) => Array.from(ch))).toEqual([0, 100, 200].map((r) => Array.from(ae.compress(rows.subarray(r * D, Math.min(250, r + 100) * D)))));
  });

  it('a code spanning more than 2^16 integers is a clear error without bits, and compresses with bits', async () => {
    const m = await Autoencoder.load(ae.save());
    // the latent layer's weights scaled up: codes of about +-1e6
    m.setWeights(m.getWeights().map((w, i) => (i === 2 ? w.map((v) => v * 1e6) : w)));
    const rows = x.subarray(0, 40 * D);
    expect(() => m.compress(rows)).toThrow(AutoencoderError);
    expect(() => m.compress(rows)).toThrow(/spans more than 2\^16 integers.*pass \{ bits \}/);
    expect(parse(m.compress(rows, { bits: 8 })).bits).toBe(8);
    m.dispose();
  });
});

describe('the rate term in training', () => {
  it("history.terms.rate is rate · Σ|z| / (ln 2 · inputDim) a row; with learningRate 0 it equals the float64 sum over encode()'s codes", async () => {
    const rate = 0.7, rows = 300;
    const m = await Autoencoder.create({ inputDim: D, layers: [12, L], rate, seed: 9 });
    const xs = x.subarray(0, rows * D);
    const h = await m.fit(xs, { epochs: 2, batchSize: 64, learningRate: 0, validationSplit: 0, earlyStopping: false });
    expect(Object.keys(h.terms).sort()).toEqual(['rate', 'reconstruction']);
    const z = m.encode(xs);
    let s = 0;
    for (const v of z) s += Math.abs(v);
    const want = (rate * s) / (Math.LN2 * D * rows);
    for (const v of h.terms.rate!) expect(Math.abs(v - want)).toBeLessThanOrEqual(1e-5 * want);
    // the noise is drawn anew each epoch: the two epochs' reconstruction terms differ, the weights did not move
    expect(h.terms.reconstruction![0]).not.toBe(h.terms.reconstruction![1]);
    expect(h.loss[0]).toBeCloseTo(h.terms.rate![0]! + h.terms.reconstruction![0]!, 6);
    m.dispose();
  });

  it('rate 0: the noise alone (history.terms.rate all 0); encode() and decode() skip the noise', async () => {
    const m = await Autoencoder.create({ inputDim: D, layers: [12, L], rate: 0, seed: 9 });
    const h = await m.fit(x.subarray(0, 200 * D), { ...fit, epochs: 2 });
    expect(h.terms.rate).toEqual([0, 0]);
    const z = m.encode(x.subarray(0, 5 * D));
    expectSameBits(m.reconstruct(x.subarray(0, 5 * D)), m.decode(z), 'reconstruct = decode(encode)');
    expectSameBits(m.encode(x.subarray(0, 5 * D)), z, 'encode twice');
    m.dispose();
  });

  it("AutoencoderLite on the scoring module (kernels-score.wasm) loads a rate model and reads it as Autoencoder does: the noise node is a copy outside training", async () => {
    const wasm = await WebAssembly.compile(readFileSync(new URL('../build/kernels-score.wasm', import.meta.url)));
    const lite = await AutoencoderLite.load(ae.save(), { wasm });
    const rows = x.subarray(0, 64 * D);
    expectSameBits(lite.score(rows), ae.score(rows), 'score');
    expectSameBits(lite.encode(rows), ae.encode(rows), 'encode');
    expectSameBits(lite.reconstruct(rows), ae.reconstruct(rows), 'reconstruct');
    expect(Array.from(lite.save())).toEqual(Array.from(ae.save()));
    lite.dispose();
  });

  it('save() and load() keep the rate, and a loaded model trains on to the same bytes', async () => {
    const spec = { inputDim: D, layers: [12, L], rate: 0.3, seed: 2 };
    const a = await Autoencoder.create(spec), b = await Autoencoder.create(spec);
    await a.fit(x.subarray(0, 400 * D), { ...fit, epochs: 2 });
    await b.fit(x.subarray(0, 400 * D), { ...fit, epochs: 1 });
    const c = await Autoencoder.load(b.save());
    expect(c.spec.rate).toBe(0.3);
    await c.fit(x.subarray(0, 400 * D), { ...fit, epochs: 1 });
    // (the optimizer's moments restart in a loaded model, so compare a loaded model with another loaded one)
    const d = await Autoencoder.load(b.save());
    await d.fit(x.subarray(0, 400 * D), { ...fit, epochs: 1 });
    expect(Array.from(c.save())).toEqual(Array.from(d.save()));
    for (const m of [a, b, c, d]) m.dispose();
  });

  const conv: AutoencoderSpec = {
    inputShape: [16, 1], loss: 'mse', seed: 5, rate: 0.5,
    encoder: [{ type: 'conv1d', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 5 }],
    decoder: [{ type: 'dense', units: 32, activation: 'relu' }, { type: 'reshape', shape: [8, 4] }, { type: 'conv1dTranspose', filters: 1, kernel: 3, strides: 2, padding: 'same' }],
  };
  it('a conv model reads its code through the noise too: with learningRate 0, each epoch a new reconstruction term, and the rate term from encode()', async () => {
    const m = await Autoencoder.create(conv);
    const xs = Float32Array.from(lowRank(120, 16, 4, { k: 3, noise: 0.1 }));
    const h = await m.fit(xs, { epochs: 2, batchSize: 32, learningRate: 0, validationSplit: 0, earlyStopping: false });
    expect(h.terms.reconstruction![0]).not.toBe(h.terms.reconstruction![1]);
    let s = 0;
    for (const v of m.encode(xs)) s += Math.abs(v);
    const want = (0.5 * s) / (Math.LN2 * 16 * 120);
    for (const v of h.terms.rate!) expect(Math.abs(v - want)).toBeLessThanOrEqual(1e-5 * want);
    m.dispose();
  });

  for (const [name, spec] of [['dense', { inputDim: D, layers: [13, 7], rate: 0.4, seed: 6 }], ['conv1d (in shards)', conv]] as const) {
    it(`a ${name} rate model gives the same save() bytes on 1, 2 and 3 threads`, async () => {
      const cols = spec.inputDim ?? 16;
      const xs = Float32Array.from(lowRank(333, cols, 8, { k: 3, noise: 0.1 }));
      const bytes: number[][] = [];
      for (const threads of [1, 2, 3]) {
        const m = await Built.create(spec as AutoencoderSpec, { threads });
        await m.fit(xs, { epochs: 3, batchSize: 40, validationSplit: 0, earlyStopping: false });
        bytes.push(Array.from(m.save()));
        m.dispose();
      }
      expect(bytes[1]).toEqual(bytes[0]);
      expect(bytes[2]).toEqual(bytes[0]);
    });
  }
});

describe('the spec rules', () => {
  const base = { inputDim: 6, layers: [4, 2] };
  it.each([
    [{ ...base, rate: -1 }, /rate must be .*0/],
    [{ ...base, rate: Number.NaN }, /rate/],
    [{ ...base, rate: '0.1' }, /rate/],
    [{ ...base, rate: 0.1, variational: { beta: 1 } }, /rate and variational do not combine: drop one of them/],
    [{ ...base, rate: 0.1, sparsity: { l1: 0.1 } }, /rate and sparsity do not combine: drop one of them/],
    [{ ...base, rate: 0.1, latentActivation: 'tanh' }, /rate needs a linear latent \(compress\(\) rounds it to integers\): make the latentActivation 'linear', got 'tanh'/],
    [{ inputDim: 6, rate: 0.1, ensemble: { members: 2 } }, /ensemble needs .* drop ensemble or rate/],
  ])('%j is refused', async (spec, msg) => {
    await expect(Autoencoder.create(spec as AutoencoderSpec)).rejects.toThrow(AutoencoderError);
    await expect(Autoencoder.create(spec as AutoencoderSpec)).rejects.toThrow(msg);
  });

  it('a spec with rate and no layers is one autoencoder (a variant), not the default ensemble', async () => {
    const m = await Autoencoder.create({ inputDim: 6, rate: 0.1 });
    expect(m.spec.ensemble).toBeUndefined();
    expect(m.spec.rate).toBe(0.1);
    m.dispose();
  });
});
