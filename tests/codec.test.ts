// codec.test.ts: compress()/decompress() against oracles written here from the container layout in
// bindings/codec.ts's header (tests/data.ts parseContainer): a float64 TS quantiser (quantizeRange: min/max per latent dimension, round half up)
// whose dequantised codes, decoded by decode(), must equal decompress() bit for bit; the summed
// per-dimension empirical entropy of those symbols, which the rANS payload must come within 2% of;
// the CRC-32 oracle of tests/data.ts to forge hostile containers that pass the checksum. Then the
// errors (truncation at every length, flipped bits, forged fields, other models) and the streams.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderError, AutoencoderLite, type AutoencoderSpec } from 'autoencoder';
import { convSpec } from '../examples/nab-codec.js';
import { crc32, fixCrc, lowRank, parseContainer as parse, quantizeRange as quantize, rand } from './data.js';
import { expectSameBits } from './helpers.js';

const HEAD = 32;

/** Summed per-dimension empirical entropy of the symbols, in bits: sum_d sum_s c log2(N / c). */
function entropyBits(sym: Uint16Array, N: number, W: number): number {
  let h = 0;
  for (let d = 0; d < W; d++) {
    const counts = new Map<number, number>();
    for (let r = 0; r < N; r++) counts.set(sym[r * W + d]!, (counts.get(sym[r * W + d]!) ?? 0) + 1);
    for (const c of counts.values()) h += c * Math.log2(N / c);
  }
  return h;
}

const D = 24, LATENT = 6;
let ae: Autoencoder;
let x: Float32Array;

beforeAll(async () => {
  x = Float32Array.from(lowRank(3000, D, 21, { k: 5, noise: 0.1, scale: 2, offset: 1 }));
  ae = await Autoencoder.create({ inputDim: D, layers: [16, LATENT], normalize: 'standard', seed: 4 });
  await ae.fit(x, { epochs: 15, batchSize: 64 });
});

describe('compress/decompress round trip', () => {
  for (const bits of [2, 3, 4, 6, 8, 12, 16]) {
    it(`bits ${bits}: the container holds the oracle's quantiser, and decompress() = decode(dequantised codes) exactly`, () => {
      const rows = x.subarray(0, 1000 * D);
      const c = ae.compress(rows, { bits });
      const f = parse(c);
      expect(f.magic).toEqual([0x89, 0x41, 0x45, 0x5a]);
      expect([f.version, f.bits, f.flags, f.N, f.W, f.length]).toEqual([1, bits, 0, 1000, LATENT, c.length]);
      expect(f.crc).toBe(crc32(c.subarray(0, c.length - 4)));
      const q = quantize(ae.encode(rows), 1000, LATENT, bits);
      expectSameBits(f.offset, q.offset, 'offsets');
      expectSameBits(f.step, q.step, 'steps');
      expectSameBits(ae.decompress(c), ae.decode(q.zq), 'decompress vs decode(dequantised)');
    });
  }

  it('the default model (the subsample ensemble) compresses with member 0: decompress() = decode(dequantised member-0 codes) exactly', async () => {
    const ens = await Autoencoder.create({ inputDim: D, normalize: 'standard', seed: 4 });
    expect(ens.spec.ensemble).toBeDefined();
    await ens.fit(x.subarray(0, 1500 * D), { epochs: 5 });
    const rows = x.subarray(0, 400 * D), L = ens.latentDim;
    const c = ens.compress(rows, { bits: 8 });
    const q = quantize(ens.encode(rows), 400, L, 8);
    expectSameBits(ens.decompress(c), ens.decode(q.zq), 'decompress vs decode(dequantised)');
    ens.dispose();
  });

  it('a conv1d model with a dense latent (examples/nab-codec.ts\'s convSpec): the oracle\'s quantiser, decompress() = decode(dequantised codes) exactly', async () => {
    // the example's own spec (examples/nab-codec.ts), on windows of 16: conv1d 16 k5 s2 twice down to 4 x 16, a dense latent of 8
    const win = 16, W = 8;
    const conv = await Autoencoder.create(convSpec(win, 3) as unknown as AutoencoderSpec);
    try {
      const rows = Float32Array.from(lowRank(600, win, 33, { k: 3, noise: 0.05, scale: 20, offset: 80 }));
      await conv.fit(rows, { epochs: 3, batchSize: 16 });
      for (const bits of [3, 8]) {
        const c = conv.compress(rows, { bits });
        const f = parse(c);
        expect([f.version, f.bits, f.flags, f.N, f.W, f.length]).toEqual([1, bits, 0, 600, W, c.length]);
        const q = quantize(conv.encode(rows), 600, W, bits);
        expectSameBits(f.offset, q.offset, 'offsets');
        expectSameBits(f.step, q.step, 'steps');
        expectSameBits(conv.decompress(c), conv.decode(q.zq), 'decompress vs decode(dequantised)');
      }
    } finally {
      conv.dispose();
    }
  });

  it('a single row, and identical rows (constant dimensions), round-trip', () => {
    for (const rows of [x.subarray(0, D), new Float32Array(50 * D).fill(0.5)]) {
      const N = rows.length / D;
      const c = ae.compress(rows, { bits: 5 });
      expectSameBits(ae.decompress(c), ae.decode(quantize(ae.encode(rows), N, LATENT, 5).zq), `${N} rows`);
    }
  });

  it('number[][] input gives the same bytes as the Float32Array', () => {
    const rows = x.subarray(0, 5 * D);
    const arr = Array.from({ length: 5 }, (_, r) => Array.from(rows.subarray(r * D, (r + 1) * D)));
    expect(ae.compress(arr)).toEqual(ae.compress(rows));
  });

  it('the content hash ignores the threshold but not the weights', async () => {
    const c = ae.compress(x.subarray(0, 10 * D));
    const copy = await Autoencoder.load(ae.save());
    copy.calibrate(x, { quantile: 0.5 });
    expect(copy.compress(x.subarray(0, 10 * D))).toEqual(c);
    await copy.fit(x.subarray(0, 200 * D), { epochs: 1 });
    expect(() => copy.decompress(c)).toThrow(/written by another model \(content hash [0-9a-f]{16}\); this model's hash is [0-9a-f]{16}/);
  });
});

describe('entropy coder efficiency', () => {
  for (const bits of [4, 8]) {
    it(`bits ${bits}: the payload is within 2% of the summed per-dimension empirical entropy`, () => {
      const N = 3000;
      const c = ae.compress(x, { bits });
      const f = parse(c);
      const q = quantize(ae.encode(x), N, LATENT, bits);
      const h = entropyBits(q.sym, N, LATENT);
      const ratio = (8 * f.B) / h;
      console.log(`[codec] ${N} rows x ${LATENT} dims, bits ${bits}: entropy ${(h / 8).toFixed(1)} bytes, payload ${f.B} bytes (${((ratio - 1) * 100).toFixed(2)}% over), tables ${f.T} bytes at P=${f.P}, header+qp ${HEAD + 8 * LATENT + 4} bytes, total ${c.length}`);
      expect(ratio).toBeGreaterThan(1 - 1e-9); // an entropy coder cannot beat the entropy of its own tables' data
      expect(ratio).toBeLessThanOrEqual(1.02);
    });
  }
});

/** Expects an AutoencoderError matching `re` and the model still working after it. */
function expectRefused(fn: () => unknown, re: RegExp) {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(AutoencoderError);
  expect((err as Error).message).toMatch(re);
}

describe('bad containers: clear errors, never a trap, model usable after', () => {
  let c: Uint8Array;
  let good: Float32Array;
  beforeAll(() => {
    c = ae.compress(x.subarray(0, 40 * D), { bits: 4 });
    good = ae.decompress(c);
  });

  it('argument errors', () => {
    expectRefused(() => ae.decompress([1, 2] as unknown as Uint8Array), /takes the Uint8Array that compress\(\) returned \(read the file as bytes\), got an array of 2 values/);
    expectRefused(() => ae.decompress(new Uint8Array(0)), /empty/);
    expectRefused(() => ae.compress(x, { bits: 1 }), /bits must be an integer from 2 to 16, got 1/);
    expectRefused(() => ae.compress(x, { bits: 17 }), /bits must be an integer from 2 to 16, got 17/);
    expectRefused(() => ae.compress(x, { bits: '4' as unknown as number }), /got a string "4"/);
    expectRefused(() => ae.compress(x, { bit: 4 } as never), /unknown option "bit"/);
    expectRefused(() => ae.compress(new Float32Array(D + 1)), /not a multiple of the row width 24/);
  });

  it('every truncation is refused as truncated (or not a container when shorter than the magic)', () => {
    for (let n = 1; n < c.length; n++) expectRefused(() => ae.decompress(c.subarray(0, n)), /truncated/);
    expectSameBits(ae.decompress(c), good, 'after');
  });

  it('every single flipped bit is refused (checksum, magic, version or length)', () => {
    for (let i = 0; i < c.length; i++) {
      for (const bit of [0, 7]) {
        const bad = c.slice();
        bad[i]! ^= 1 << bit;
        expectRefused(() => ae.decompress(bad), /corrupted|truncated|not an autoencoder container|newer than this package/);
      }
    }
    expectSameBits(ae.decompress(c), good, 'after');
  });

  it('forged fields with a valid checksum get specific messages', () => {
    const forge = (edit: (dv: DataView, b: Uint8Array) => void) => {
      const b = c.slice();
      edit(new DataView(b.buffer), b);
      return fixCrc(b);
    };
    expectRefused(() => ae.decompress(forge((dv) => dv.setUint32(16, 0xffffffff, true))), /declares 4294967295 rows, which \d+ payload bytes cannot hold/);
    expectRefused(() => ae.decompress(forge((dv) => dv.setUint32(16, 0, true))), /declares 0 rows/);
    expectRefused(() => ae.decompress(forge((dv) => dv.setUint8(5, 17))), /bits field is 17/);
    expectRefused(() => ae.decompress(forge((dv) => dv.setUint8(6, 30))), /table precision is 30/);
    expectRefused(() => ae.decompress(forge((dv) => dv.setUint8(7, 2))), /unknown flags 2/);
    expectRefused(() => ae.decompress(forge((dv) => dv.setFloat32(HEAD, NaN, true))), /offsets or steps are not finite/);
    expectRefused(() => ae.decompress(forge((dv) => dv.setFloat32(HEAD + 4 * LATENT, -1, true))), /offsets or steps are not finite non-negative/);
    expectRefused(() => ae.decompress(forge((dv) => dv.setUint32(16, 41, true))), /payload ends before|payload does not end|its payload declares \d+ bytes, more than 41 rows of 6 codes take/);
    expectRefused(() => ae.decompress(forge((_, b) => { b[HEAD + 8 * LATENT] = 0xff; })), /frequency tables|table/);
    expectRefused(() => ae.decompress(forge((dv) => dv.setUint32(20, 0xfffffff, true))), /corrupted: it declares latent codes of 268435455 values, more than any model's \(at most 1048576\)/);
    expectRefused(() => ae.decompress(forge((dv) => dv.setUint32(24, 0xfffffff, true))), /corrupted: its tables declare 268435455 bytes, more than 6 x 2\^4 entries can take/);
    expectRefused(() => ae.decompress(forge((dv) => dv.setUint32(28, 0xfffffff, true))), /corrupted: its payload declares 268435455 bytes, more than \d+ rows of 6 codes take/);
    expectSameBits(ae.decompress(c), good, 'after');
  });

  it('fast-check: 10,000 mutated containers (half with a recomputed checksum) decode or throw an AutoencoderError; the model works after each', () => {
    let refused = 0, decoded = 0;
    const small = ae.compress(x.subarray(0, 6 * D), { bits: 3 });
    fc.assert(fc.property(
      fc.constantFrom(c, small),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.boolean(),
      fc.nat(),
      (base, edits, fix, cut) => {
        let b: Uint8Array = base.slice();
        for (const [at, v] of edits) b[at % (b.length - 4)] = v;
        if (cut % 4 === 0) b = b.subarray(0, cut % b.length);
        if (fix && b.length > 4) b = fixCrc(b);
        try {
          const y = ae.decompress(b);
          expect(y.length % D).toBe(0);
          decoded++;
        } catch (e) {
          expect(e).toBeInstanceOf(AutoencoderError);
          expect((e as Error).message).toMatch(/container|stream|frame/);
          refused++;
        }
      },
    ), { numRuns: 10_000, seed: 20261130 });
    console.log(`[codec] fast-check, 10000 mutated containers: ${refused} refused, ${decoded} decoded to some rows`);
    expectSameBits(ae.decompress(c), good, 'after');
  });

  it('a container of another model names both hashes; one of another latent width too', async () => {
    const other = await Autoencoder.create({ inputDim: D, layers: [16, LATENT], normalize: 'standard', seed: 5 });
    expectRefused(() => other.decompress(c), /the container was written by another model \(content hash [0-9a-f]{16}\); this model's hash is [0-9a-f]{16}: decompress it with the model that compressed it/);
    const wide = await Autoencoder.create({ inputDim: D, layers: [16, 9] });
    expectRefused(() => ae.decompress(wide.compress(x.subarray(0, 3 * D))), /another model/);
  });

  it('trailing bytes after a frame are refused', () => {
    const two = new Uint8Array(c.length + 3);
    two.set(c);
    two.set([0x89, 0x41, 0x45], c.length);
    expectRefused(() => ae.decompress(two), /frame 2 of the container is truncated/);
    two.set([1, 2, 3], c.length);
    expectRefused(() => ae.decompress(two), /does not start with the container magic/);
  });
});

describe('fitCodec(): quantiser and tables fitted once, kept in the model file', () => {
  it('small containers use the model tables (flag 1, no quantiser or tables stored) and decode exactly', async () => {
    const m = await Autoencoder.load(ae.save());
    const fitRows = x.subarray(0, 2000 * D), rows = x.subarray(2000 * D, 2010 * D);
    const before = m.compress(rows, { bits: 4 });
    m.fitCodec(fitRows, { bits: 4 });
    const c = m.compress(rows, { bits: 4 });
    const f = parse(c);
    expect([f.flags, f.T, f.N, c.length]).toEqual([1, 0, 10, HEAD + 8 + f.B + 4]);
    expect(c.length).toBeLessThan(before.length);
    // oracle: the quantiser of the fitting rows' latents, applied (clamped) to these rows
    const fitQ = quantize(m.encode(fitRows), 2000, LATENT, 4);
    const z = m.encode(rows), zq = new Float32Array(z.length);
    for (let i = 0; i < z.length; i++) {
      const d = i % LATENT, off = fitQ.offset[d]!, step = fitQ.step[d]!;
      const q = step > 0 ? Math.min(15, Math.max(0, Math.floor((z[i]! - off) / step + 0.5))) : 0;
      zq[i] = off + q * step;
    }
    expectSameBits(m.decompress(c), m.decode(zq), 'decompress vs decode(dequantised with the fitted quantiser)');
    // other bits: the container's own tables, as before fitCodec()
    expect(parse(m.compress(rows, { bits: 6 })).flags).toBe(0);
    // rows far from the fitting rows (latents many steps outside the fitted range): own tables, not clamping
    const far = rows.map((v) => v * 40);
    const cf = m.compress(far, { bits: 4 });
    expect(parse(cf).flags).toBe(0);
    expectSameBits(m.decompress(cf), m.decode(quantize(m.encode(far), 10, LATENT, 4).zq), 'far rows');
    // the tables travel in the model file; a model without them (or other ones) refuses by id
    const saved = m.save();
    expectSameBits((await Autoencoder.load(saved)).decompress(c), m.decompress(c), 'after save/load');
    expectRefused(() => ae.decompress(c), /was coded with the frequency tables of fitCodec\(\) \(id [0-9a-f]{16}\), which this model does not hold/);
    const m2 = await Autoencoder.load(saved);
    m2.fitCodec(fitRows.subarray(0, 100 * D), { bits: 4 });
    expectRefused(() => m2.decompress(c), /but this model's fitCodec\(\) tables are [0-9a-f]{16}/);
    // a model file whose codec tables are damaged (checksum recomputed) is refused at load()
    const text = new TextDecoder().decode(saved);
    const bad = saved.slice();
    bad[text.indexOf('"codec":"') + 9] = 'Z'.charCodeAt(0); // the first byte, bits, becomes 100..103
    await expect(Autoencoder.load(fixCrc(bad))).rejects.toThrow(/the model file is corrupted: its codec tables have bits 10\d and precision/);
    // AutoencoderLite has no codec: it keeps the tables as they are and writes them back; its scores are the model's
    const lite = await AutoencoderLite.load(fixCrc(bad));
    expect(Buffer.from(lite.save()).equals(Buffer.from(fixCrc(bad)))).toBe(true);
    expectSameBits(lite.score(fitRows.subarray(0, 50 * D)), m.score(fitRows.subarray(0, 50 * D)), 'lite scores');
    lite.dispose();
    // tables that are not base64 at all: both refuse
    const junk = saved.slice();
    junk[text.indexOf('"codec":"') + 9] = '!'.charCodeAt(0);
    await expect(AutoencoderLite.load(fixCrc(junk))).rejects.toThrow(/the model file is corrupted: its codec tables are not base64/);
  });

  it('models without fitCodec() save the same bytes as before (no codec key)', () => {
    expect(new TextDecoder().decode(ae.save())).not.toContain('"codec"');
  });
});

async function collect<T>(stream: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};

describe('streams', () => {
  const rows = () => x.subarray(0, 20 * D);

  it('a one-frame stream equals compress()', async () => {
    const frames = await collect(new Blob([]).stream().pipeThrough(new TransformStream<Uint8Array, Float32Array>({ transform() {}, flush(c) { c.enqueue(rows()); } })).pipeThrough(ae.compressStream({ rowsPerFrame: 20, bits: 6 })));
    expect(frames.length).toBe(1);
    expect(frames[0]).toEqual(ae.compress(rows(), { bits: 6 }));
  });

  it('frames of rowsPerFrame rows, each a container; decompress() and decompressStream() read them back', async () => {
    const input = new ReadableStream<Float32Array>({
      start(c) { for (let r = 0; r < 20; r += 3) c.enqueue(rows().slice(r * D, Math.min(20, r + 3) * D)); c.close(); },
    });
    const frames = await collect(input.pipeThrough(ae.compressStream({ rowsPerFrame: 7 })));
    expect(frames.length).toBe(3);
    frames.forEach((f, i) => expect(f).toEqual(ae.compress(rows().subarray(i * 7 * D, Math.min(20, (i + 1) * 7) * D))));
    const all = concat(frames);
    const expected = concat(frames.map((f) => new Uint8Array(ae.decompress(f).buffer)));
    expect(new Uint8Array(ae.decompress(all).buffer)).toEqual(expected);
    // the bytes in chunks of 1..50 bytes, cut anywhere
    const r = rand(5);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < all.length;) { const n = 1 + Math.floor(r.u() * 50); chunks.push(all.slice(at, at + n)); at += n; }
    const bytes = new ReadableStream<Uint8Array>({ start(c) { chunks.forEach((ch) => c.enqueue(ch)); c.close(); } });
    const out = await collect(bytes.pipeThrough(ae.decompressStream()));
    expect(out.length).toBe(3);
    expect(new Uint8Array(concat(out.map((o) => new Uint8Array(o.buffer))))).toEqual(expected);
  });

  it('a truncated stream and bad chunks are refused', async () => {
    const c = ae.compress(rows());
    const cut = new ReadableStream<Uint8Array>({ start(s) { s.enqueue(c.slice(0, c.length - 1)); s.close(); } });
    await expect(collect(cut.pipeThrough(ae.decompressStream()))).rejects.toThrow(/the stream ends inside frame 1/);
    const bad = new ReadableStream<unknown>({ start(s) { s.enqueue('abc'); s.close(); } });
    await expect(collect(bad.pipeThrough(ae.compressStream() as unknown as TransformStream<unknown, Uint8Array>))).rejects.toThrow(/takes chunks of rows/);
    expect(() => ae.compressStream({ rowsPerFrame: 0 })).toThrow(/rowsPerFrame must be an integer from 1/);
  });
});

describe('found by probing the codec (2026-12-07): each refused or mended', () => {
  /** A model whose latent code is its input (dense, linear, identity weights): the tests set the codes directly. */
  async function identity(rate?: number) {
    const m = await Autoencoder.create({ inputDim: 2, layers: [2], activation: 'linear', ensemble: false, ...(rate ? { rate } : {}) });
    m.setWeights([[1, 0, 0, 1], [0, 0], [1, 0, 0, 1], [0, 0]]);
    return m;
  }
  const F32_MAX = 3.4028234663852886e38;

  it('a latent dimension spanning the whole float32 range is refused by compress() (its top symbol overflowed: decompress gave Infinity); a forged quantiser that would is refused as corrupted', async () => {
    const m = await identity();
    const x = new Float32Array([-F32_MAX, 0, F32_MAX, 0, 0, 0]);
    // the oracle: decode() refuses Infinity as a code, so no container may dequantise to it
    expect(() => m.decode(new Float32Array([Infinity, 0]))).toThrow(AutoencoderError);
    expectSameBits(m.decompress(m.compress(x, { bits: 4 })), m.decode(quantize(m.encode(x), 3, 2, 4).zq), 'bits 4');
    for (const bits of [5, 16]) {
      expect(() => m.compress(x, { bits }), `bits ${bits}`).toThrow(/^compress\(\): latent value 0 of these rows spans about the whole float32 range/);
      expect(() => m.fitCodec(x, { bits })).toThrow(/^fitCodec\(\): latent value 0/);
    }
    const ok = m.compress(new Float32Array([0, 0, 1, 1, 2, 2]), { bits: 4 });
    const forged = ok.slice();
    new DataView(forged.buffer).setFloat32(HEAD + 8, 3e38, true);   // dimension 0's step: finite, non-negative
    expectRefused(() => m.decompress(fixCrc(forged)), /^the container is corrupted: its quantiser dequantises codes past the float32 range$/);
  });

  it('compressStream() checks each chunk as compress() checks rows, naming the chunk: holes, null, strings, booleans, bigints, NaN, a Float64Array\'s 1e39', async () => {
    const run = (...chunks: unknown[]) => collect(new ReadableStream<unknown>({ start(c) { chunks.forEach((ch) => c.enqueue(ch)); c.close(); } })
      .pipeThrough(ae.compressStream() as unknown as TransformStream<unknown, Uint8Array>));
    const row = Array.from(x.subarray(0, D));
    const bad = (i: number, v: unknown) => row.map((r, j) => (j === i ? v : r));
    // eslint-disable-next-line no-sparse-arrays
    await expect(run([row, , row])).rejects.toThrow(/^compressStream\(\): chunk 1 has a hole at row 1/);
    for (const [v, said] of [[null, 'null'], ['4', 'a string "4"'], [true, 'the boolean true'], [4n, 'a bigint 4n']] as const) {
      await expect(run([row], [row, bad(3, v)])).rejects.toThrow(new RegExp(`^compressStream\\(\\): chunk 2 has ${said.replace(/[()]/g, '\\$&')} at row 1, column 3: values must be numbers`));
    }
    const f64 = Float64Array.from(row);
    f64[5] = 1e39;
    await expect(run(Float32Array.from(row), f64)).rejects.toThrow(/^compressStream\(\): chunk 2 has 1e\+39 at row 0, column 5: values must be finite float32 numbers/);
    await expect(run([row, row], [row, row, bad(0, NaN)])).rejects.toThrow(/^compressStream\(\): chunk 2 has NaN at row 2, column 0/);
    // good chunks still give compress()'s frames
    expect(await run([row, row], Float32Array.from(row))).toEqual([ae.compress([row, row, row])]);
    // a frame's rows must fit one Float32Array: rowsPerFrame is checked against the row width
    const wide = await Autoencoder.create({ inputDim: 64, layers: [4], ensemble: false });
    expect(() => wide.compressStream({ rowsPerFrame: 2 ** 24 })).toThrow(/^rowsPerFrame must be an integer from 1 to 8388607, got 16777216$/);
  });

  it('fit() and setWeights() drop the fitCodec() tables (fitted on the old code, they clamped the new one); a failed fit keeps them', async () => {
    const m = await Autoencoder.create({ inputDim: D, layers: [16, LATENT], normalize: 'standard', seed: 4 });
    await m.fit(x.subarray(0, 500 * D), { epochs: 2 });
    m.fitCodec(x.subarray(0, 500 * D));
    const few = x.subarray(0, 3 * D);
    expect(parse(m.compress(few)).flags).toBe(1);
    await expect(m.fit(x.subarray(0, 500 * D), { epochs: 2, onEpoch: () => { throw new Error('stop'); } })).rejects.toThrow('stop');
    expect(parse(m.compress(few)).flags).toBe(1);
    await m.fit(x.subarray(0, 500 * D), { epochs: 1 });
    expect(parse(m.compress(few)).flags).toBe(0);
    expect(new TextDecoder().decode(m.save())).not.toContain('"codec"');
    m.fitCodec(x.subarray(0, 500 * D));
    const w = m.getWeights();
    m.setWeights(w);
    expect(parse(m.compress(few)).flags).toBe(0);
    expectSameBits(m.decompress(m.compress(few)), m.decode(quantize(m.encode(few), 3, LATENT, 4).zq), 'own tables after setWeights');
  });

  it('{ bits: null } is the default, as undefined is, for a rate model (the integer quantiser) too; fitCodec()\'s table error names fitCodec()', async () => {
    const m = await identity(0.3);
    const z = new Float32Array([0, 1, 2, 3, 1, 2]);
    expect(m.compress(z, { bits: null } as never)).toEqual(m.compress(z));
    expect(parse(m.compress(z)).step).toEqual(new Float32Array([1, 1]));
    const big = await Autoencoder.create({ inputDim: 40, layers: [33], ensemble: false });
    expect(() => big.fitCodec(x.subarray(0, 40 * 2), { bits: 16 })).toThrow(/^fitCodec\(\): a latent of 33 values at 16 bits/);
  });

  it('decompressStream() names a damaged length field at once (corrupted, not truncated) instead of holding the rest of the stream', async () => {
    const one = ae.compress(x.subarray(0, 4 * D));
    const damaged = one.slice();
    damaged[23] = 0xff;   // the latent width's top byte
    const chunks = [damaged, ...Array.from({ length: 50 }, () => one)];
    let pulled = 0;
    const src = new ReadableStream<Uint8Array>({ pull(c) { if (pulled < chunks.length) c.enqueue(chunks[pulled++]!); else c.close(); } });
    await expect(collect(src.pipeThrough(ae.decompressStream()))).rejects.toThrow(/^frame 1 of the stream is corrupted: it declares latent codes of 4278190086 values, more than any model's \(at most 1048576\)$/);
    expect(pulled).toBeLessThan(10);
    expect(() => ae.decompress(damaged)).toThrow(/^the container is corrupted: it declares latent codes of 4278190086 values/);
  });
});
