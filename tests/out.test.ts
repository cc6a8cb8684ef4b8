// out.test.ts: the `out` option of reconstruct(), encode(), decode(), score(), detect() and posterior(): the result
// written into a Float32Array (detect: a Uint8Array; posterior: { mean, logVar }) of the caller's own, which the call returns.
// Oracles: the float64 scalar forward pass of tests/ref (a dense model's reconstruction and codes, within float32 rounding), and the same
// call without `out` (a new array: every bit equal). A wrong `out` (type, length, a detached buffer, a
// view of the model's own wasm memory) is refused with an AutoencoderError before any work, `out` is
// left as it was and the model keeps working. SeriesDetector.pushMany() takes `out` too; its oracle is a twin
// detector fed the same points without it.
import { describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderError, AutoencoderLite, SeriesDetector, randomMatrix } from 'autoencoder';
import { netForward, type RefNet } from './ref/index.js';

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

/** A dense 12 -> 8 -> 3 -> 8 -> 12 model (tanh hidden, linear latent and output, no normalizer) and its float64 twin. */
async function dense() {
  const ae = await Autoencoder.create({ inputDim: 12, layers: [8, 3], activation: 'tanh', outputActivation: 'linear', normalize: 'none', ensemble: false, seed: 11 });
  const x = await randomMatrix(40, 12, { seed: 4 });
  await ae.fit(x, { epochs: 2, batchSize: 8 });
  const w = ae.getWeights().map((a) => Float64Array.from(a));
  const net: RefNet = { sizes: [12, 8, 3, 8, 12], acts: ['tanh', 'linear', 'tanh', 'linear'], params: w };
  return { ae, x, net };
}

function expectNear(got: Float32Array, want: Float64Array, tol: number) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i]!)));
}

describe('out: the result written into the caller\'s array', () => {
  it('reconstruct, encode, decode and score fill out, return it, and give the bits of a new array (and the scalar reference)', async () => {
    const { ae, x, net } = await dense();
    const rows = 40;
    const ref = netForward(net, x, rows);
    const outR = new Float32Array(rows * 12).fill(7);
    expect(ae.reconstruct(x, { out: outR })).toBe(outR);
    expectNear(outR, ref[3]!, 1e-5);
    expect(bits(outR)).toBe(bits(ae.reconstruct(x)));

    const outZ = new Float32Array(rows * 3);
    expect(ae.encode(x, { out: outZ })).toBe(outZ);
    expectNear(outZ, ref[1]!, 1e-5);
    expect(bits(outZ)).toBe(bits(ae.encode(x)));

    const outD = new Float32Array(rows * 12);
    expect(ae.decode(outZ, { out: outD })).toBe(outD);
    expect(bits(outD)).toBe(bits(ae.decode(outZ)));

    // the score: the row's mean squared error (mse, no normalizer) of the reference reconstruction
    const outS = new Float32Array(rows);
    expect(ae.score(x, { out: outS })).toBe(outS);
    const want = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < 12; c++) s += (ref[3]![r * 12 + c]! - x[r * 12 + c]!) ** 2;
      want[r] = s / 12;
    }
    expectNear(outS, want, 1e-4);
    expect(bits(outS)).toBe(bits(ae.score(x)));

    // detect: one byte per row, 1 where the score is above the threshold
    ae.threshold = want[7]!;
    const flags = new Uint8Array(rows).fill(9);
    expect(ae.detect(x, { out: flags })).toBe(flags);
    for (let r = 0; r < rows; r++) if (Math.abs(want[r]! - want[7]!) > 1e-4 * want[7]!) expect(flags[r]).toBe(want[r]! > want[7]! ? 1 : 0);
    expect(Buffer.from(flags).equals(Buffer.from(ae.detect(x)))).toBe(true);

    // a subarray view (an offset into a larger buffer) and the input itself as out (in place)
    const big = new Float32Array(rows * 12 + 5).fill(-1);
    const view = big.subarray(3, 3 + rows * 12);
    ae.reconstruct(x, { out: view });
    expect(bits(view)).toBe(bits(outR));
    expect([big[0], big[1], big[2], big[rows * 12 + 3], big[rows * 12 + 4]]).toEqual([-1, -1, -1, -1, -1]);
    const inPlace = x.slice();
    ae.reconstruct(inPlace, { out: inPlace });
    expect(bits(inPlace)).toBe(bits(outR));
    ae.dispose();
  });

  it('a VAE\'s sampled codes and ELBO scores, a conditional VAE and the default ensemble write the same bits into out', async () => {
    const x = await randomMatrix(32, 6, { seed: 9 });
    const vae = await Autoencoder.create({ inputDim: 6, layers: [5, 2], variational: { beta: 1 }, seed: 2 });
    await vae.fit(x, { epochs: 2 });
    const z = new Float32Array(32 * 2);
    expect(bits(vae.encode(x, { sample: true, seed: 5, out: z }))).toBe(bits(vae.encode(x, { sample: true, seed: 5 })));
    const e = new Float32Array(32);
    expect(bits(vae.score(x, { by: 'elbo', samples: 3, seed: 1, out: e }))).toBe(bits(vae.score(x, { by: 'elbo', samples: 3, seed: 1 })));
    expect(bits(vae.score(x, { by: 'kl', out: e }))).toBe(bits(vae.score(x, { by: 'kl' })));

    const cond = await randomMatrix(32, 2, { seed: 3 });
    const cvae = await Autoencoder.create({ inputDim: 6, layers: [5, 2], variational: { beta: 1 }, conditionDim: 2, seed: 2 });
    await cvae.fit(x, { epochs: 1, condition: cond });
    const r = new Float32Array(32 * 6);
    expect(bits(cvae.reconstruct(x, { condition: cond, out: r }))).toBe(bits(cvae.reconstruct(x, { condition: cond })));

    const ens = await Autoencoder.create({ inputDim: 6, seed: 1 });
    await ens.fit(x);
    const s = new Float32Array(32);
    expect(bits(ens.score(x, { out: s }))).toBe(bits(ens.score(x)));
    const lite = await AutoencoderLite.load(ens.save());
    const s2 = new Float32Array(32);
    expect(bits(lite.score(x, { out: s2 }))).toBe(bits(s));
    for (const m of [vae, cvae, ens, lite]) m.dispose();
  });

  it('posterior(x, { out: { mean, logVar } }) fills both, returns that object, gives the bits of new arrays (mean: encode()\'s codes), and refuses a wrong out before any work', async () => {
    const x = await randomMatrix(24, 6, { seed: 8 });
    const vae = await Autoencoder.create({ inputDim: 6, layers: [5, 3], variational: { beta: 1 }, seed: 4 });
    await vae.fit(x, { epochs: 2 });
    const want = vae.posterior(x);
    const out = { mean: new Float32Array(24 * 3), logVar: new Float32Array(24 * 3) };
    const got = vae.posterior(x, { out });
    expect(got).toBe(out);
    expect(bits(out.mean)).toBe(bits(want.mean));
    expect(bits(out.logVar)).toBe(bits(want.logVar));
    expect(bits(out.mean)).toBe(bits(vae.encode(x)));
    expect(bits(out.mean)).not.toBe(bits(out.logVar));
    const sentinel = (n: number) => new Float32Array(n).fill(42);
    const untouched = (a: Float32Array) => a.every((v) => v === 42);
    const m = sentinel(72), lv = sentinel(71);
    expect(() => vae.posterior(x, { out: { mean: m, logVar: lv } })).toThrow(/^posterior\(\): out\.logVar: out has 71 values but the result has rows x latentDim \(24 x 3\) = 72/);
    expect(untouched(m) && untouched(lv)).toBe(true);
    expect(() => vae.posterior(x, { out: new Float32Array(72) as never })).toThrow(/^posterior\(\): out must be an object \{ mean, logVar \} of two Float32Arrays of rows x latentDim \(24 x 3\) = 72 values each, got a Float32Array/);
    const both = sentinel(144);
    expect(() => vae.posterior(x, { out: { mean: both.subarray(0, 72), logVar: both.subarray(60, 132) } })).toThrow(/out\.mean and out\.logVar share memory/);
    expect(untouched(both)).toBe(true);
    expect(() => vae.posterior(x, { out: { mean: m, logVar: new Float64Array(72) as never } })).toThrow(/out\.logVar: out must be a Float32Array of rows x latentDim/);
    expect(bits(vae.posterior(x).mean)).toBe(bits(want.mean));
    vae.dispose();
  });

  it('refuses a wrong out before any work, leaves it untouched, and the model keeps working', async () => {
    const { ae, x } = await dense();
    const want = ae.reconstruct(x);
    const sentinel = (n: number) => new Float32Array(n).fill(42);
    const untouched = (a: Float32Array) => a.every((v) => v === 42);

    const short = sentinel(40 * 12 - 1);
    expect(() => ae.reconstruct(x, { out: short })).toThrow(/out has 479 values but the result has rows x inputDim \(40 x 12\) = 480/);
    expect(untouched(short)).toBe(true);
    const long = sentinel(41);
    expect(() => ae.score(x, { out: long })).toThrow(/out has 41 values but the result has one per row \(40\) = 40/);
    expect(untouched(long)).toBe(true);
    const codes = sentinel(40 * 4);
    expect(() => ae.encode(x, { out: codes })).toThrow(/rows x latentDim \(40 x 3\) = 120/);
    expect(untouched(codes)).toBe(true);
    expect(() => ae.decode(new Float32Array(6), { out: sentinel(12) })).toThrow(/rows x inputDim \(2 x 12\) = 24/);
    ae.threshold = 0.5;
    const bytes = new Uint8Array(39).fill(42);
    expect(() => ae.detect(x, { out: bytes })).toThrow(/detect\(\): out has 39 values but the result has one per row \(40\) = 40: pass a Uint8Array of 40/);
    expect(bytes.every((v) => v === 42)).toBe(true);
    expect(() => ae.detect(x, { out: sentinel(40) as unknown as Uint8Array })).toThrow(/out must be a Uint8Array of one per row \(40\) = 40 values to write the result into, got a Float32Array/);

    expect(() => ae.reconstruct(x, { out: new Float64Array(480) as unknown as Float32Array })).toThrow(/out must be a Float32Array of rows x inputDim \(40 x 12\) = 480 values to write the result into, got a Float64Array/);
    expect(() => ae.score(x, { out: [] as unknown as Float32Array })).toThrow(AutoencoderError);
    const moved = new Float32Array(480);
    structuredClone(moved.buffer, { transfer: [moved.buffer] });
    expect(() => ae.reconstruct(x, { out: moved })).toThrow(/reconstruct\(\): out is a Float32Array whose buffer was transferred \(detached\) or shrunk below it: keep its buffer, whole, until the call that reads it is done/);

    // a view of the model's own memory (reached here through the test hook the bench uses)
    const mem = (ae as unknown as { k: { x: { memory: WebAssembly.Memory } } }).k.x.memory;
    const inside = new Float32Array(mem.buffer, 0, 480);
    const before = inside.slice();
    expect(() => ae.reconstruct(x, { out: inside })).toThrow(/out is a view of the model's own wasm memory/);
    expect(bits(inside)).toBe(bits(before));

    // an option the method does not take
    expect(() => ae.calibrate(x, { quantile: 0.9, out: new Float32Array(40) } as never)).toThrow(/unknown option "out"/);
    expect(() => ae.posterior(x, { out: new Float32Array(40) } as never)).toThrow(AutoencoderError);

    expect(bits(ae.reconstruct(x))).toBe(bits(want));
    ae.dispose();
  });
});

describe('SeriesDetector.pushMany(values, times, { out })', () => {
  // a series with a spike, long enough to pass the warm-up and the first trainings; hourly times
  const N = 1500;
  const values = Float64Array.from({ length: N }, (_, i) => Math.sin(i / 11) + 0.1 * Math.sin(i / 3) + (i === 1200 ? 4 : 0));
  const times = Float64Array.from({ length: N }, (_, i) => 1.7e12 + i * 3_600_000);

  it('fills out with the scores a twin detector gives without it, returns out, and refuses a wrong out before any point is consumed', async () => {
    const a = await SeriesDetector.create({ warmup: 200, retrainEvery: 200 });
    const b = await SeriesDetector.create({ warmup: 200, retrainEvery: 200 });
    const out = new Float32Array(500).fill(7);
    let scored = 0;
    for (let at = 0; at < N; at += 500) {
      const v = values.subarray(at, at + 500), t = times.subarray(at, at + 500);
      expect(a.pushMany(v, t, { out })).toBe(out);
      const want = b.pushMany(v, t);
      expect(bits(out)).toBe(bits(want));
      scored += want.filter((x) => x > 0).length;
      // wrong outs: refused with the reason, nothing consumed (the twins stay in step), out untouched
      const short = new Float32Array(3).fill(5);
      expect(() => a.pushMany([1, 2], [times[N - 1]! + 1, times[N - 1]! + 2], { out: short })).toThrow(/pushMany\(\): out has 3 values but 2 points are pushed: pass a Float32Array of 2/);
      expect(Array.from(short)).toEqual([5, 5, 5]);
      expect(() => a.pushMany([1], [times[N - 1]! + 1], { out: new Float64Array(1) as unknown as Float32Array })).toThrow(/out must be a Float32Array of 1 values \(one score per point\) .*got a Float64Array/);
      expect(() => a.pushMany([1], [times[N - 1]! + 1], { out: new Float32Array(1), also: 1 } as never)).toThrow(/unknown option "also"/);
      expect(() => a.pushMany([1], [times[N - 1]! + 1], 5 as never)).toThrow(AutoencoderError);
    }
    expect(scored).toBeGreaterThan(0);
    expect(a.count).toBe(N);
    const inside = (a as unknown as { k: { f32(p: number, n: number): Float32Array } }).k.f32(0, 2);
    expect(() => a.pushMany([1, 2], undefined as never, { out: inside })).toThrow(/view of the detector's own wasm memory/);
    // an empty push with out: out (length 0) back, nothing consumed
    const none = new Float32Array(0);
    expect(a.pushMany([], [], { out: none })).toBe(none);
    expect(bits(a.pushMany([0.5], [times[N - 1]! + 3_600_000]))).toBe(bits(b.pushMany([0.5], [times[N - 1]! + 3_600_000])));
    a.dispose();
    b.dispose();
  });
});
