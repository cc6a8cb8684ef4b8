// probes.test.ts: defects that probing the API found (session 81: AutoencoderLite, fit()'s options, the model
// file, inference, threads, SeriesDetector over a stream), each checked against what the README promises and an
// oracle of its own: the float64 reference's bce (tests/ref/loss.ts), files forged with a re-sealed CRC
// (tests/model-file.ts), byte counts of the file reads, rows scored alone, the prior's draws decoded, a twin
// detector that never saw a refused call, the pool's live workers, and the documented option ranges.
import { describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderError, AutoencoderLite, SeriesDetector, randomMatrix, setFileOpener, type ModelFile } from 'autoencoder';
import { elementLoss } from './ref/loss.js';
import { parseFile, uniform, withHeader } from './data.js';
import { sealCrc } from './model-file.js';
import { caught, expectMessage, rejected } from './helpers.js';
import { poolOf } from './threads-pool.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const D = 8;
const rowsOf = (n: number, seed: number) => Float32Array.from(uniform(n * D, seed));
const rowOf = (v: number, d = D) => new Float32Array(d).fill(v);

/** A copy of a model file whose floats `edit` rewrote (its header's state count set to their new length less the rest). */
function withFloats(bytes: Uint8Array, edit: (f: Float32Array) => Float32Array): Uint8Array {
  const p = parseFile(bytes);
  const f = edit(p.floats.slice());
  const h = { ...p.header, state: (p.header.state as number) + f.length - p.floats.length };
  const head = withHeader(bytes, () => h);
  const jsonLen = new DataView(head.buffer).getUint32(20, true);
  const out = new Uint8Array(24 + jsonLen + f.length * 4 + 4);
  out.set(head.subarray(0, 24 + jsonLen));
  out.set(new Uint8Array(f.buffer, f.byteOffset, f.length * 4), 24 + jsonLen);
  new DataView(out.buffer).setUint32(16, out.length, true);
  return sealCrc(out);
}

describe('scores of rows far from the data', () => {
  it("a VAE's kl and elbo scores are +Infinity, never NaN, where they overflow; detect() flags such rows", async () => {
    const vae = await Autoencoder.create({ inputDim: 12, layers: [9, 7], variational: { beta: 1 }, normalize: 'minmax', seed: 7 });
    const x = Float32Array.from(uniform(200 * 12, 3));
    await vae.fit(x, { epochs: 3 });
    for (const v of [300, 1e5, 1e20, 3.4e38]) {
      for (const by of ['kl', 'elbo'] as const) {
        const s = vae.score(rowOf(v, 12), { by })[0]!;
        expect(Number.isNaN(s), `${by} of a row of ${v}`).toBe(false);
        expect(s, `${by} of a row of ${v}`).toBeGreaterThan(vae.score(x, { by }).reduce((a, b) => Math.max(a, b)));
      }
      expect(vae.explain(rowOf(v, 12), { by: 'elbo' }).some(Number.isNaN)).toBe(false);
    }
    vae.calibrate(x, { by: 'elbo' });
    expect([...vae.detect(new Float32Array([...rowOf(300, 12), ...rowOf(1e20, 12)]))]).toEqual([1, 1]);
    // the threshold by { max: true } over scores that hold Infinity: named as Infinity, by its score (not NaN)
    expectMessage(caught(() => vae.calibrate(new Float32Array([...x, ...rowOf(1e20, 12)]), { max: true, by: 'kl' })), /^calibrate\(\): the threshold would be Infinity \(an kl score overflows float32\)/);
    vae.dispose();
  });

  it("bce scores a value beyond [0, 1] as the reference does: the bound's loss plus 100 per unit beyond, never below it", async () => {
    const ae = await Autoencoder.create({ inputDim: D, layers: [6, 3], loss: 'bce', ensemble: false, seed: 3 });
    const x = rowsOf(200, 5);
    await ae.fit(x, { epochs: 3 });
    let last = -Infinity;
    for (const v of [-1000, -3, -0.5, 0, 0.5, 1, 1.5, 3, 10, 1000].map((v) => -v).reverse()) {
      const r = x.slice(0, D);
      r[0] = v;
      const p = ae.reconstruct(r)[0]!, share = ae.explain(r)[0]! * D;
      const ref = elementLoss('bce', p, v);
      expect(Math.abs(share - ref), `a value of ${v}: ${share} against ${ref}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref)));
      if (v >= 1) {
        expect(share).toBeGreaterThan(last);
        last = share;
      }
      expect(ae.score(r)[0]).toBeGreaterThan(0);
    }
    ae.dispose();
    // 'minmax': a validation row beyond the training rows' range gives a positive validation loss (it went negative)
    const mm = await Autoencoder.create({ inputDim: D, layers: [6, 3], loss: 'bce', normalize: 'minmax', ensemble: false, seed: 3 });
    const y = rowsOf(40, 9);
    y.fill(3, 39 * D, 40 * D);
    const h = await mm.fit(y, { epochs: 2 });
    expect(h.valLoss.every((l) => l > 0 && Number.isFinite(l))).toBe(true);
    mm.dispose();
  });
});

describe('forged files (CRC re-sealed) that loaded and then misbehaved', () => {
  it("an ensemble's density block of another width or more codes than its spec, or a statistic <= 0, is refused", async () => {
    const m = await Autoencoder.create({ inputDim: D, normalize: 'standard', ensemble: { members: 2, rows: 32 } });
    await m.fit(rowsOf(64, 3), { epochs: 2 });
    const b = m.save();
    const { header } = parseFile(b);
    const dens = 2 * D + (header.params as number) + 2 * (D + 2);   // normalizer, members' params, statistics
    const L = m.latentDim;
    // R codes of width L' in the block's floats (the R x L' codes themselves arbitrary)
    const block = (R: number, W: number) => (f: Float32Array) => {
      const out = new Float32Array(dens + 4 + Math.ceil(R / 4) * 4 * W);
      out.set(f.subarray(0, dens + 4));
      out[dens] = R; out[dens + 3] = W;
      for (let i = dens + 4; i < out.length; i++) out[i] = ((i * 0.37) % 2) - 1;
      return out;
    };
    for (const [R, W] of [[32768, 1], [16384, 2], [4096, 2 * L], [48.5, L]] as [number, number][]) {
      expectMessage(await rejected(() => AutoencoderLite.load(withFloats(b, block(R, W)))), /^the model file is corrupted: its density block is malformed/);
    }
    // a member's IQR or a feature scale edited to <= 0 (finite: the value rule let it through, and scores flipped sign)
    for (const at of [D + 1, 3]) {
      const f = (g: Float32Array) => { g[2 * D + (header.params as number) + at] = -1; return g; };
      expectMessage(await rejected(() => Autoencoder.load(withFloats(b, f))), new RegExp(`^the model file is corrupted: ensemble statistic ${at} is -1: a scale must be > 0`));
    }
    // the intact file loads, and one with no density term (R = 0: a file written before the term) too
    expect((await Autoencoder.load(b)).save()).toEqual(b);
    (await Autoencoder.load(withFloats(b, (f) => { const g = f.slice(0, dens + 4); g.fill(0, dens); return g; }))).dispose();
    m.dispose();
  });

  it("a VAE's scoreBy beyond score()'s own limits, metadata over 1 MiB, are refused; a threshold is read as a float32", async () => {
    const vae = await Autoencoder.create({ inputDim: D, layers: [5, 3], variational: { beta: 1 }, seed: 2 });
    const b = vae.save();
    for (const sb of [{ by: 'elbo', samples: 2e5, seed: 0 }, { by: 'elbo', samples: 2, seed: 2 ** 32 + 5 }]) {
      expectMessage(await rejected(() => Autoencoder.load(withHeader(b, (h: Record<string, unknown>) => { h.scoreBy = sb; }))), /its scoreBy is not \{ by: kl \| elbo, samples \(1 to 10000\), seed \(a uint32\) \}/);
    }
    const big = 'é'.repeat(600_000);   // 600,000 characters, 1.2 MB of UTF-8
    expectMessage(await rejected(() => Autoencoder.load(withHeader(b, (h: Record<string, unknown>) => { h.metadata = { big }; }))), /its metadata is over the 1 MiB limit/);
    expectMessage(caught(() => { vae.metadata = { big }; }), /^metadata is 1200010 bytes of JSON \(UTF-8\), more than the 1 MiB limit/);
    const t = await Autoencoder.load(withHeader(b, (h: Record<string, unknown>) => { h.threshold = 0.1; }));
    expect(t.threshold).toBe(Math.fround(0.1));
    // float32's largest value as C prints it (3.4028235e38) is taken as that value
    t.threshold = 3.4028235e38;
    expect(t.threshold).toBe(Math.fround(3.4028235e38));
    expectMessage(caught(() => { t.threshold = 3.41e38; }), /got 3\.41e\+38/);
    vae.dispose(); t.dispose();
  });
});

describe('metadata JSON would write as {}', () => {
  it('a Map, Set, RegExp or Error is refused (its contents would be lost); a boxed number or a Date is written by JSON', async () => {
    const ae = await Autoencoder.create({ inputDim: D, layers: [3], seed: 1 });
    for (const v of [new Map([['a', 1]]), new Set([1]), /x/, new Error('e')]) {
      expectMessage(caught(() => { ae.metadata = { v } as never; }), /^metadata holds .*, which JSON writes as \{\}: convert it first/);
    }
    expectMessage(caught(() => { ae.metadata = new Map() as never; }), /which JSON writes as \{\}/);
    ae.metadata = { n: new Number(5), d: new Date(0), a: [], o: {} } as never;
    expect(ae.metadata).toEqual({ n: 5, d: '1970-01-01T00:00:00.000Z', a: [], o: {} });
    ae.dispose();
  });
});

describe('load()', () => {
  it('load(path) reads a file that is no model only as far as its envelope', async () => {
    const m = await Autoencoder.create({ inputDim: D, layers: [3], seed: 1 });
    const good = m.save();
    m.dispose();
    const file = (bytes: Uint8Array, size = bytes.length) => {
      let read = 0;
      setFileOpener(() => ({
        size,
        read(into: Uint8Array, at: number) { const n = Math.max(0, Math.min(into.length, bytes.length - at)); into.set(bytes.subarray(at, at + n)); read += n; return n; },
        close() {},
      }) satisfies ModelFile);
      return () => read;
    };
    try {
      const zip = new Uint8Array(64 << 20);
      zip.set([0x50, 0x4b, 3, 4]);
      let read = file(zip);
      expectMessage(await rejected(() => Autoencoder.load('big.zip')), /^not an autoencoder model file: the magic bytes are wrong/);
      expect(read()).toBeLessThanOrEqual(24);
      read = file(good.subarray(0, 100), 100);   // a file cut short: its length field says more
      expectMessage(await rejected(() => Autoencoder.load('cut.ae')), new RegExp(`^the model file is truncated: it has 100 bytes but its header says ${good.length}`));
      expect(read()).toBeLessThanOrEqual(24);
      file(good);
      expect((await Autoencoder.load('good.ae')).save()).toEqual(good);
    } finally {
      const { nodeFileOpener } = await import('../bindings/node-load.js');
      setFileOpener(nodeFileOpener);
    }
  });

  it('load(bytes) whose resizable buffer shrinks during its await names the file as truncated or shrunk, never a RangeError', async () => {
    const m = await Autoencoder.create({ inputDim: D, layers: [3], seed: 1 });
    const f = m.save();
    m.dispose();
    for (const to of [2, 20, f.length - 4]) {
      const rab = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void })(f.length, { maxByteLength: f.length });
      const bytes = new Uint8Array(rab);
      bytes.set(f);
      const p = AutoencoderLite.load(bytes);
      rab.resize(to);
      const e = await rejected(() => p);
      expect(e, `shrunk to ${to}`).toBeInstanceOf(AutoencoderError);
      expect(e.message).toMatch(/truncated|shorter than its 28-byte header/);
    }
  });

  it('a disposed AutoencoderLite names its own class and load()', async () => {
    const m = await Autoencoder.create({ inputDim: D, layers: [3], seed: 1 });
    const lite = await AutoencoderLite.load(m.save());
    lite.dispose();
    expectMessage(caught(() => lite.score(rowOf(0))), /^this AutoencoderLite was disposed: load\(\) a new one$/);
    m.dispose();
    expectMessage(caught(() => m.score(rowOf(0))), /^this Autoencoder was disposed: create\(\) or load\(\) a new one$/);
  });
});

describe('fit() options', () => {
  it('an option of another optimizer, epsilon 0, minDelta Infinity are refused, saying why', async () => {
    const ae = await Autoencoder.create({ inputDim: D, layers: [4, 2], ensemble: false, seed: 3 });
    const x = rowsOf(40, 2);
    const before = ae.save();
    for (const [o, re] of [
      [{ momentum: 0.5 }, /^momentum has no effect with optimizer 'adam': it is optimizer 'momentum''s; leave it out/],
      [{ optimizer: 'sgd', beta1: 0.8 }, /^beta1 has no effect with optimizer 'sgd': it is Adam's \('adam' and 'adamw'\)/],
      [{ optimizer: 'momentum', epsilon: 1e-7 }, /^epsilon has no effect with optimizer 'momentum'/],
      [{ epsilon: 0 }, /^epsilon must be a number from 1e-30 to 1, got 0/],
      [{ earlyStopping: { minDelta: Infinity } }, /^earlyStopping\.minDelta must be a number from 0 to 3e\+38, got Infinity/],
      [{ noise: { gaussian: 0.1, clip: [1, 0] } }, /^noise\.clip\[1\] \(at least clip\[0\]\) must be a number from 1 to 3e\+38, got 0/],
    ] as const) {
      expectMessage(await rejected(() => ae.fit(x, o as never)), re);
    }
    expect(ae.save()).toEqual(before);
    await ae.fit(x, { optimizer: 'momentum', momentum: 0.5, epochs: 1 });
    const ens = await Autoencoder.create({ inputDim: D, ensemble: { members: 2, rows: 16 } });
    expectMessage(await rejected(() => ens.fit(x, { shuffle: false })), /^fit\(\): this model is an ensemble .*without shuffle: false; leave shuffle: false out/);
    ens.dispose();
  });

  it('validationSplit holds out the rows its fraction names (80 of 100 at 0.8; 9 of 10 at 0.9)', async () => {
    for (const [n, v, val] of [[100, 0.8, 80], [10, 0.9, 9], [90, 0.3, 27]] as const) {
      const ae = await Autoencoder.create({ inputDim: D, layers: [4, 2], ensemble: false, seed: 3 });
      const x = rowsOf(n, 7);
      const h = await ae.fit(x, { epochs: 1, validationSplit: v, earlyStopping: false });
      // valLoss is the validation rows' mean score (mse: the mean of the rows' means), x's last `val` rows
      const s = ae.score(x.subarray((n - val) * D));
      expect(h.valLoss[0]).toBeCloseTo(s.reduce((a, b) => a + b, 0) / val, 5);
      ae.dispose();
    }
  });

  it('a signal aborted with null rejects with null, as fetch() does', async () => {
    const ae = await Autoencoder.create({ inputDim: D, layers: [4, 2], ensemble: false, seed: 3 });
    const c = new AbortController();
    c.abort(null);
    await expect(ae.fit(rowsOf(20, 1), { signal: c.signal })).rejects.toBe(null);
    ae.dispose();
  });

  it('calibrate() with by alone, or no selection, takes the default quantile (as the README calls it)', async () => {
    const vae = await Autoencoder.create({ inputDim: D, layers: [5, 3], variational: { beta: 1 }, seed: 2 });
    const x = rowsOf(50, 4);
    await vae.fit(x, { epochs: 2 });
    const t = vae.calibrate(x, { by: 'kl' });
    expect(t).toBe(vae.calibrate(x, { by: 'kl', quantile: 0.99 }));
    expect(vae.calibrate(x, {})).toBe(vae.calibrate(x, { quantile: 0.99 }));
    vae.dispose();
  });
});

describe('a conditional VAE past one chunk of rows (256)', () => {
  it('encode, decode, reconstruct, posterior, score by kl and generate give each row its own bits in a call of 300', async () => {
    const K = 2, n = 300;
    const cvae = await Autoencoder.create({ inputDim: 6, layers: [5, 2], variational: { beta: 1 }, conditionDim: K, seed: 4 });
    const x = Float32Array.from(uniform(n * 6, 8)), c = Float32Array.from(uniform(n * K, 9));
    const row = (a: Float32Array, w: number, r: number) => a.subarray(r * w, (r + 1) * w);
    const z = cvae.encode(x, { condition: c });
    const all = {
      encode: z, reconstruct: cvae.reconstruct(x, { condition: c }), decode: cvae.decode(z, { condition: c }),
      mean: cvae.posterior(x, { condition: c }).mean, kl: cvae.score(x, { by: 'kl', condition: c }),
    };
    for (const r of [0, 255, 256, 299]) {
      const xr = row(x, 6, r), cr = row(c, K, r), zr = row(z, 2, r);
      expect(row(all.encode, 2, r), `encode row ${r}`).toEqual(cvae.encode(xr, { condition: cr }));
      expect(row(all.reconstruct, 6, r), `reconstruct row ${r}`).toEqual(cvae.reconstruct(xr, { condition: cr }));
      expect(row(all.decode, 6, r), `decode row ${r}`).toEqual(cvae.decode(zr, { condition: cr }));
      expect(row(all.reconstruct, 6, r), `reconstruct = decode(encode) row ${r}`).toEqual(row(all.decode, 6, r));
      expect(row(all.mean, 2, r), `posterior row ${r}`).toEqual(cvae.posterior(xr, { condition: cr }).mean);
      expect(all.kl[r], `kl row ${r}`).toBe(cvae.score(xr, { by: 'kl', condition: cr })[0]);
    }
    // generate(c) decodes the sampling stream's normals (randomMatrix's, the same seed) beside each condition row
    const g = cvae.generate(c, { seed: 5 }), prior = await randomMatrix(n, 2, { seed: 5, distribution: 'normal' });
    expect(g).toEqual(cvae.decode(prior, { condition: c }));
    for (const r of [0, 256, 299]) expect(row(g, 6, r), `generate row ${r}`).toEqual(cvae.decode(row(prior, 2, r), { condition: row(c, K, r) }));
    cvae.dispose();
  });
});

describe('specs', () => {
  it("a graph encoder ending in batchNorm has a linear latent (sparsity { kl } refused, rate taken); layers: null is left out", async () => {
    const graph = (extra: object) => ({ inputShape: [6], encoder: [{ type: 'dense' as const, units: 3, activation: 'sigmoid' as const }, { type: 'batchNorm' as const }], decoder: [{ type: 'dense' as const, units: 6 }], ...extra });
    expectMessage(await rejected(() => Autoencoder.create(graph({ sparsity: { kl: { rho: 0.05, weight: 1 } } }) as never)), /^sparsity \{ kl \} needs a sigmoid latent .*got 'linear'/);
    (await Autoencoder.create(graph({ rate: 0.1 }))).dispose();
    const a = await Autoencoder.create({ inputDim: 4, layers: null as never }), b = await Autoencoder.create({ inputDim: 4 });
    expect(a.spec).toEqual(b.spec);
    a.dispose(); b.dispose();
  });
});

describe('a model with threads dropped without dispose()', () => {
  it('is freed by the garbage collector: its workers stop', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // (the package in dist/: its pool module is loaded next to index.js)
    const { Autoencoder: Built } = await import('../dist/bindings/node.js');
    let ae: Awaited<ReturnType<typeof Built.create>> | null = await Built.create({ inputDim: D, layers: [4, 2], ensemble: false, seed: 1 }, { threads: 2 });
    await ae.fit(rowsOf(64, 1), { epochs: 1 });
    const pool = poolOf(ae)!;
    expect(pool.debug.live()).toBe(1);
    ae = null;
    for (let i = 0; i < 20 && pool.debug.live() > 0; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(pool.debug.live()).toBe(0);
  });
});

describe('SeriesDetector (found by the second probe)', () => {
  it('a call refused by the next resolution (a block mean past float32 from its origin) leaves the state as it was, fillGaps\' grid step too', async () => {
    const o = { window: 8, layers: [8, 3], warmup: 64, retrainEvery: 128, history: 256, trainWindows: 64, firstEpochs: 3, epochs: 1 };
    const d = await SeriesDetector.create(o), twin = await SeriesDetector.create(o);
    const t0 = 1.7e12, step = 60000;
    const v = [0, 4e38 / 3, 4e38 / 3, 4e38 / 3], t = [t0, t0 + step, t0 + 2 * step, t0 + 3 * step];
    for (let i = 4; i < 60; i++) { v.push(i % 2); t.push(t0 + i * step); }
    d.pushMany(v, t);
    twin.pushMany(v, t);
    const before = d.save();
    // (this call crosses the warm-up's end, where fillGaps sets its grid step, and ends with a block of -3e38)
    const v2: number[] = [], t2: number[] = [];
    for (let i = 60; i < 72; i++) { v2.push(i < 68 ? i % 2 : -3e38); t2.push(t0 + i * step); }
    expectMessage(caught(() => d.pushMany(v2, t2)), /^the mean of a block of 4 points of this call .* is farther than the float32 range/);
    expect(d.save()).toEqual(before);
    expect((await SeriesDetector.load(d.save())).count).toBe(60);
    // and goes on as the twin that never saw the call (a gap of 3 steps then filled on the same grid)
    const v3 = [1, 0, 1, 0, 1], t3 = [60, 61, 62, 66, 67].map((i) => t0 + i * step);
    expect(d.pushMany(v3, t3)).toEqual(twin.pushMany(v3, t3));
    expect(d.save()).toEqual(twin.save());
    d.dispose(); twin.dispose();
  });
});
