// detached.test.ts: typed arrays whose buffer was transferred (postMessage or structuredClone with a transfer list,
// ArrayBuffer.prototype.transfer). Such a view reads as 0 values, so before this check a transferred x was refused as
// "empty", a transferred model file as "not written completely; save it again", a transferred series pushed as no
// points at all, and load(bytes), addNoise() or a stream's chunk transferred while the call was under way threw a raw
// TypeError. Every reader now names the argument and says its buffer was transferred, before any work, and the model
// (the detector) is as it was: its save() bytes and its scores equal those taken before the call. The oracle that the
// check tells a transferred buffer from an empty one: zero-length arrays (of an ArrayBuffer and of a SharedArrayBuffer,
// which cannot be transferred) still get the messages of an empty argument. A view whose resizable buffer was shrunk
// below it (out of bounds) reads as 0 values too, and is named by the same check; a length-tracking view of a
// resizable buffer of 0 bytes is empty.
import { describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderError, AutoencoderLite, SeriesDetector, addNoise, randomMatrix } from 'autoencoder';

const DETACHED = /whose buffer was transferred \(detached\) or shrunk below it: keep its buffer, whole, until/;

/** A view of n elements whose buffer is then transferred away. */
function moved<T extends Float32Array | Float64Array | Uint8Array>(make: (n: number) => T, n: number): T {
  const a = make(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  expect(a.length).toBe(0);
  return a;
}
const f32 = (n: number) => new Float32Array(n);
const f64 = (n: number) => new Float64Array(n);
const u8 = (n: number) => new Uint8Array(n);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function model() {
  const ae = await Autoencoder.create({ inputDim: 6, layers: [4, 2], ensemble: false, seed: 5 });
  const x = await randomMatrix(64, 6, { seed: 2 });
  await ae.fit(x, { epochs: 2, batchSize: 16 });
  return { ae, x };
}

async function collect<T>(s: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  for (const r = s.getReader(); ;) {
    const { value, done } = await r.read();
    if (done) return out;
    out.push(value);
  }
}

describe('a transferred (detached) buffer is named as such', () => {
  it('by every call that reads rows, weights or bytes; the model is unchanged after each', async () => {
    const { ae, x } = await model();
    ae.threshold = 1;
    const saved = ae.save(), scores = ae.score(x);
    const weights = ae.getWeights();
    const calls: [string, () => unknown][] = [
      ['x', () => ae.score(moved(f32, 12))],
      ['x', () => ae.score(moved(f64, 12))],
      ['x', () => ae.encode(moved(f32, 12))],
      ['z', () => ae.decode(moved(f32, 4))],
      ['x', () => ae.reconstruct(moved(f32, 12))],
      ['x', () => ae.explain(moved(f32, 12))],
      ['x', () => ae.detect(moved(f32, 12))],
      ['x', () => ae.calibrate(moved(f32, 12))],
      ['x row 1', () => ae.score([[1, 2, 3, 4, 5, 6], moved(f32, 6)])],
      ['x', () => ae.compress(moved(f32, 12))],
      ['x', () => ae.fitCodec(moved(f32, 12))],
      ['decompress\\(\\): the container', () => ae.decompress(moved(u8, 40))],
      ['setWeights\\(\\): b1 \\(index 1\\)', () => ae.setWeights(weights.map((w, i) => (i === 1 ? moved(f32, w.length) : w)))],
      ['reconstruct\\(\\): out', () => ae.reconstruct(x, { out: moved(f32, x.length) })],
    ];
    for (const [what, call] of calls) {
      expect(call, what).toThrow(AutoencoderError);
      expect(call, what).toThrow(new RegExp(`^${what} is an? Float(32|64)Array ${DETACHED.source}|^${what} is a Uint8Array ${DETACHED.source}`));
    }
    await expect(ae.fit(moved(f32, 12))).rejects.toThrow(new RegExp(`^x is a Float32Array ${DETACHED.source}`));
    await expect(ae.fit(x, { target: moved(f32, x.length) })).rejects.toThrow(new RegExp(`^target is a Float32Array ${DETACHED.source}`));
    await expect(Autoencoder.load(moved(u8, saved.length))).rejects.toThrow(new RegExp(`^the model file is a Uint8Array ${DETACHED.source}`));
    await expect(addNoise(moved(f32, 6), { std: 1 })).rejects.toThrow(new RegExp(`^x is a Float32Array ${DETACHED.source}`));
    expect(hex(ae.save())).toBe(hex(saved));
    expect(ae.score(x)).toEqual(scores);
  });

  it('an empty array still reads as empty: of an ArrayBuffer, and of a SharedArrayBuffer (which cannot be transferred)', async () => {
    const { ae } = await model();
    for (const empty of [new Float32Array(0), new Float32Array(new SharedArrayBuffer(0))]) {
      expect(() => ae.score(empty)).toThrow(/^x is empty: pass at least one row of 6 values$/);
    }
    await expect(Autoencoder.load(new Uint8Array(0))).rejects.toThrow(/^the model file is empty \(0 bytes\)/);
    await expect(SeriesDetector.load(new Uint8Array(new SharedArrayBuffer(0)))).rejects.toThrow(/too short to be one/);
    const d = await SeriesDetector.create();
    expect(d.pushMany(new Float64Array(0)).length).toBe(0);
  });

  it('transferred while an async call is under way (it reads its arguments after its first await): refused, the model as before', async () => {
    const { ae, x } = await model();
    const saved = ae.save();
    // fit(): x, then target, transferred right after the call
    const x1 = x.slice();
    const fit = ae.fit(x1, { epochs: 1 });
    structuredClone(x1.buffer, { transfer: [x1.buffer] });
    await expect(fit).rejects.toThrow(new RegExp(`^x is a Float32Array ${DETACHED.source}`));
    const t = x.slice();
    const fit2 = ae.fit(x, { epochs: 1, target: t });
    structuredClone(t.buffer, { transfer: [t.buffer] });
    await expect(fit2).rejects.toThrow(new RegExp(`^target is a Float32Array ${DETACHED.source}`));
    expect(hex(ae.save())).toBe(hex(saved));
    // load(bytes) and AutoencoderLite.load(bytes): the bytes transferred after the call (a raw TypeError before)
    for (const cls of [Autoencoder, AutoencoderLite]) {
      const b = saved.slice();
      const p = cls.load(b);
      structuredClone(b.buffer, { transfer: [b.buffer] });
      await expect(p).rejects.toThrow(new RegExp(`^the model file is a Uint8Array ${DETACHED.source}`));
    }
    const again = await AutoencoderLite.load(saved);
    expect(again.score(x)).toEqual(ae.score(x));
    // addNoise(): x transferred after the call (a raw TypeError before)
    const n = x.slice();
    const noisy = addNoise(n, { std: 0.1 });
    structuredClone(n.buffer, { transfer: [n.buffer] });
    await expect(noisy).rejects.toThrow(new RegExp(`^x is a Float32Array ${DETACHED.source}`));
    // SeriesDetector.load(bytes): its state transferred after the call
    const d = await SeriesDetector.create();
    d.pushMany(Float64Array.from({ length: 50 }, (_, i) => Math.sin(i)));
    const state = d.save();
    const s = state.slice();
    const pl = SeriesDetector.load(s);
    structuredClone(s.buffer, { transfer: [s.buffer] });
    await expect(pl).rejects.toThrow(new RegExp(`^the SeriesDetector state is a Uint8Array ${DETACHED.source}`));
    expect(hex((await SeriesDetector.load(state)).save())).toBe(hex(state));
  });

  it('SeriesDetector: transferred values or times are refused (they pushed no points before), nothing is consumed', async () => {
    const d = await SeriesDetector.create();
    const twin = await SeriesDetector.create();
    const v = Float64Array.from({ length: 200 }, (_, i) => Math.sin(i / 5));
    d.pushMany(v.subarray(0, 100));
    twin.pushMany(v.subarray(0, 100));
    expect(() => d.pushMany(moved(f64, 10))).toThrow(new RegExp(`^values is a Float64Array ${DETACHED.source}`));
    expect(() => d.pushMany(moved(f32, 10) as unknown as Float64Array)).toThrow(new RegExp(`^values is a Float32Array ${DETACHED.source}`));
    const timed = await SeriesDetector.create();
    expect(() => timed.pushMany(new Float64Array(3), moved(f64, 3))).toThrow(new RegExp(`^times is a Float64Array ${DETACHED.source}`));
    expect(() => d.pushMany(v.subarray(100, 103), undefined, { out: moved(f32, 3) })).toThrow(new RegExp(`^pushMany\\(\\): out is a Float32Array ${DETACHED.source}`));
    expect(d.count).toBe(100);
    expect(d.pushMany(v.subarray(100))).toEqual(twin.pushMany(v.subarray(100)));
  });

  it('streams: a transferred chunk, a transferred row of a chunk, and a chunk decompressStream() held for its frame', async () => {
    const { ae, x } = await model();
    const rows = (chunks: unknown[]) => new ReadableStream<unknown>({ start(c) { for (const ch of chunks) c.enqueue(ch); c.close(); } });
    await expect(collect(rows([x.subarray(0, 12), moved(f32, 12)]).pipeThrough(ae.compressStream({ rowsPerFrame: 4 }) as unknown as TransformStream<unknown, Uint8Array>)))
      .rejects.toThrow(new RegExp(`^compressStream\\(\\): a chunk is a Float32Array ${DETACHED.source} the call`));
    await expect(collect(rows([[x.subarray(0, 6), moved(f64, 6)]]).pipeThrough(ae.compressStream() as unknown as TransformStream<unknown, Uint8Array>)))
      .rejects.toThrow(new RegExp(`^compressStream\\(\\): chunk 1 row 1 is a Float64Array ${DETACHED.source}`));
    const bytes = ae.compress(x);
    await expect(collect(rows([moved(u8, 10)]).pipeThrough(ae.decompressStream() as unknown as TransformStream<unknown, Float32Array>)))
      .rejects.toThrow(new RegExp(`^decompressStream\\(\\): a chunk is a Uint8Array ${DETACHED.source} the stream has decoded its frame`));
    // the first 10 bytes (less than a header) are held, not copied, until more arrive; the producer transfers them in between
    const ts = ae.decompressStream();
    const w = ts.writable.getWriter(), r = ts.readable.getReader();
    const reading = r.read();
    const first = bytes.slice(0, 10);
    await w.write(first);
    structuredClone(first.buffer, { transfer: [first.buffer] });
    const held = new RegExp(`^decompressStream\\(\\): a chunk it held is a Uint8Array ${DETACHED.source} the stream has decoded its frame`);
    await expect(w.write(bytes.slice(10))).rejects.toThrow(held);
    await expect(reading).rejects.toThrow(held);
    // the same stream, untouched, decodes to decompress()'s rows
    const whole = await collect(new ReadableStream<Uint8Array>({ start(c) { c.enqueue(bytes.slice(0, 50)); c.enqueue(bytes.slice(50)); c.close(); } }).pipeThrough(ae.decompressStream()));
    expect(whole).toEqual([ae.decompress(bytes)]);
  });
});

describe('fit() warms the block its rows go to before it copies them, giving the host turns', () => {
  it('rows transferred in one of those turns are refused (a raw TypeError before), and the model is as it was', async () => {
    const { ae } = await model();
    const saved = ae.save();
    // 3 MiB of rows: two 2 MiB pieces to warm, with the host's turn between them once 25 ms have passed since fit()
    // began, which the busy wait below makes sure of; the test's own setImmediate, queued first, runs in that turn
    const x = await randomMatrix(131072, 6, { seed: 3 });
    const fit = ae.fit(x, { epochs: 1 });
    for (const t0 = performance.now(); performance.now() - t0 < 40;) { /* the clock moves past fit()'s 25 ms */ }
    await new Promise((r) => setImmediate(r));
    structuredClone(x.buffer, { transfer: [x.buffer] });
    await expect(fit).rejects.toThrow(new RegExp(`^x is a Float32Array ${DETACHED.source}`));
    expect(hex(ae.save())).toBe(hex(saved));
  });
});

/** A resizable ArrayBuffer (ES2024; the tests' lib is es2022). */
const resizable = (bytes: number, max: number) => new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void })(bytes, { maxByteLength: max });

describe('a view its resizable buffer was shrunk below (out of bounds: it reads as 0 values, as a transferred one)', () => {
  it('is named as such by score(), load(bytes) and pushMany() (which pushed no points before); back in bounds it reads again', async () => {
    const { ae, x } = await model();
    const rab = resizable(4096, 8192);
    const rows = new Float32Array(rab, 0, 12), bytes = new Uint8Array(rab, 0, 100), values = new Float64Array(rab, 0, 10);
    rows.set(x.subarray(0, 12));
    const before = ae.score(rows);
    expect(before).toEqual(ae.score(x.subarray(0, 12)));
    rab.resize(8);
    expect(rows.length).toBe(0);
    expect(() => ae.score(rows)).toThrow(new RegExp(`^x is a Float32Array ${DETACHED.source}`));
    await expect(Autoencoder.load(bytes)).rejects.toThrow(new RegExp(`^the model file is a Uint8Array ${DETACHED.source}`));
    const d = await SeriesDetector.create();
    expect(() => d.pushMany(values)).toThrow(new RegExp(`^values is a Float64Array ${DETACHED.source}`));
    expect(d.count).toBe(0);
    rab.resize(4096);
    rows.set(x.subarray(0, 12));
    expect(ae.score(rows)).toEqual(before);
    // a length-tracking view of a resizable buffer of 0 bytes is empty, not out of bounds
    expect(() => ae.score(new Float32Array(resizable(0, 64)))).toThrow(/^x is empty: pass at least one row of 6 values$/);
    expect(d.pushMany(new Float64Array(resizable(0, 64))).length).toBe(0);
  });
});
