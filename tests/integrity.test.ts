// integrity.test.ts: the model is never lost and never silently wrong. A fit that ends normally
// leaves a model that saves and loads; save() and load() need no second copy of the model inside
// wasm memory; one rule says what values a model can hold, applied by load(), setWeights() and fit();
// every public argument is type-checked with a message naming what it got; out-of-memory messages
// say the real limit; a runtime out of instances says how many models are live; and calls made while
// fit() runs see the last completed epoch (reads) or are refused (writes).
// Oracles: node:zlib's CRC-32 (tests/data.ts crc32), files re-sealed with fixCrc, a second model
// trained with epochs: n and the same seed, and the documented float32 limits.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Autoencoder, addNoise, randomMatrix, type AutoencoderSpec } from 'autoencoder';
import { describe as describeValue } from '../bindings/errors.js';
import { crc32, fixCrc, parseFile, withHeader } from './data.js';
import { caught, expectMessage, kernelOf, ownModule, rejected } from './helpers.js';

const memOf = (ae: Autoencoder) => (kernelOf(ae) as unknown as { x: { memory: WebAssembly.Memory } }).x.memory.buffer.byteLength;
const F32_MIN_NORMAL = 2 ** -126;

// ---- 7. live models (first: no other model of this file exists yet, so the count is exact) -------------

describe('a runtime that refuses another wasm instance', () => {
  afterEach(() => { vi.restoreAllMocks(); });
  const outOfInstances = () => new RangeError('WebAssembly.instantiate(): Out of memory: Cannot allocate Wasm memory for new instance');

  it('create() and load() say how many models are live and to dispose() unused ones; the count follows create, load and dispose', async () => {
    // (each refusal on a module of its own: a disposed model's instance, kept for the next model, needs no instantiation)
    const liveIn = async (): Promise<number> => {
      vi.spyOn(WebAssembly, 'instantiate').mockRejectedValueOnce(outOfInstances());
      const e = await rejected(() => Autoencoder.create({ inputDim: 4 }, { wasm: ownModule() }));
      expectMessage(e, /cannot create another wasm instance \(RangeError: WebAssembly\.instantiate\(\): Out of memory/, /call dispose\(\) on models you no longer use/);
      expect(e.message).not.toMatch(/pass fewer rows/);
      return Number(/: (\d+) models are live in this process/.exec(e.message)![1]);
    };
    expect(await liveIn()).toBe(0);
    const a = await Autoencoder.create({ inputDim: 4 });
    const b = await Autoencoder.create({ inputDim: 4 });
    const c = await Autoencoder.load(a.save());
    expect(await liveIn()).toBe(3);
    a.dispose();
    a.dispose(); // twice is safe and counts once
    c.dispose();
    expect(await liveIn()).toBe(1);
    // a failed load (its values break the rule) does not leave a live model behind
    const bad = b.save();
    const f = parseFile(bad);
    new DataView(bad.buffer).setFloat32(24 + f.jsonLen, NaN, true);
    await rejected(() => Autoencoder.load(fixCrc(bad)));
    expect(await liveIn()).toBe(1);
    // load() is refused the same way
    vi.spyOn(WebAssembly, 'instantiate').mockRejectedValueOnce(outOfInstances());
    expectMessage(await rejected(() => Autoencoder.load(b.save(), { wasm: ownModule() })), /1 models are live/);
    // and the next create works
    expect((await Autoencoder.create({ inputDim: 4 })).inputDim).toBe(4);
    b.dispose();
  });
});

// ---- 1. a fit that ends normally leaves a model that saves and loads -------------------------------------

describe('fit checks every weight and state value after each epoch', () => {
  const spec: AutoencoderSpec = {
    inputShape: [8], encoder: [{ type: 'dense', units: 4 }, { type: 'batchNorm' }, { type: 'dense', units: 2 }], decoder: [{ type: 'dense', units: 8 }], seed: 1,
  };
  const x = Float32Array.from({ length: 8 * 32 }, (_, i) => ((i * 37) % 11) / 11);

  it('a batchNorm moving variance that overflows while the loss stays finite is divergence: fit rejects naming it, and the model is as before', async () => {
    // weights of 1e20 before the batchNorm: its batch variance overflows float32, the normalized output
    // (and so the loss) stays finite; before the check, fit() resolved and save() wrote a file load() refused.
    // gamma 0 keeps the model's output finite at setWeights() time (the overflow rule), whatever it is fed
    const ae = await Autoencoder.create(spec);
    const w = ae.getWeights();
    w[0] = w[0]!.map((v) => v * 1e20);
    w[2]!.fill(0);
    ae.setWeights(w);
    const before = ae.save();
    const e = await rejected(() => ae.fit(x, { epochs: 3, validationSplit: 0, earlyStopping: false }));
    expectMessage(e, /training diverged at epoch 1 \(loss [\d.e+-]+, but layer 2 moving variance \(getWeights\(\)\[5\]\) value \d is Infinity: moving statistics must be finite float32 numbers\)/,
      /the weights are as they were before fit\(\)/);
    expect(ae.save()).toEqual(before);
    const back = await Autoencoder.load(ae.save());
    expect(back.getWeights()).toEqual(ae.getWeights());
  });

  it('a fit that resolves always leaves a model that loads (same weights back)', async () => {
    const ae = await Autoencoder.create(spec);
    await ae.fit(x, { epochs: 3, validationSplit: 0, earlyStopping: false });
    expect((await Autoencoder.load(ae.save())).getWeights()).toEqual(ae.getWeights());
  });
});

// ---- 2. save() and load() without a second copy in wasm memory; create() refuses what cannot fit -----------

describe('model size and memory', () => {
  it('save() does not grow wasm memory, and its bytes carry the CRC-32 of everything before them', async () => {
    // 300 x 200 dense: 120k params, a 480 KB file; the old save() built the file inside wasm memory
    const ae = await Autoencoder.create({ inputDim: 300, layers: [200], normalize: 'standard', seed: 2 });
    const x = await randomMatrix(40, 300, { seed: 3 });
    await ae.fit(x, { epochs: 1 });
    const before = memOf(ae);
    const bytes = ae.save();
    expect(memOf(ae)).toBe(before);
    expect(parseFile(bytes).crc).toBe(crc32(bytes.subarray(0, bytes.length - 4)));
    expect(ae.save()).toEqual(bytes);
    const back = await Autoencoder.load(bytes);
    expect(back.score(x)).toEqual(ae.score(x));
  });

  it('a header larger than the CRC scratch block (big metadata) and a file larger than the 1 MiB load chunk keep a valid CRC-32; damage past the first chunk is caught', async () => {
    // 700 x 400: 560k params, a 2.2 MB file: three load chunks
    const ae = await Autoencoder.create({ inputDim: 700, layers: [400], seed: 5 });
    ae.metadata = { notes: 'x'.repeat(100_000), columns: Array.from({ length: 700 }, (_, i) => `c${i}`) };
    const bytes = ae.save();
    expect(bytes.length).toBeGreaterThan(2 << 20);
    expect(parseFile(bytes).crc).toBe(crc32(bytes.subarray(0, bytes.length - 4)));
    const back = await Autoencoder.load(bytes);
    expect(back.metadata).toEqual(ae.metadata);
    expect(Buffer.compare(back.save(), bytes)).toBe(0); // (toEqual on megabytes is slow)
    const damaged = bytes.slice();
    damaged[(1 << 20) + 12345]! ^= 0x10;
    expectMessage(await rejected(() => Autoencoder.load(damaged)), /checksum does not match/);
  });

  it('the memory a spec needs is computed from the plan before anything is allocated (it matches what create() then uses)', async () => {
    for (const spec of [{ inputDim: 50, layers: [30, 6] }, { inputShape: [8, 8, 1], encoder: [{ type: 'conv2d', filters: 4, kernel: 3, padding: 'same' }, { type: 'batchNorm' }, { type: 'maxPool2d' }], decoder: [{ type: 'upSampling2d' }, { type: 'conv2d', filters: 1, kernel: 3, padding: 'same' }] }] as AutoencoderSpec[]) {
      const ae = await Autoencoder.create(spec, { wasm: ownModule() });   // a new instance, not a disposed model's larger one
      const k = kernelOf(ae);
      const need = k.need(k.plan!, true, 256);
      expect(need).toBeLessThanOrEqual(memOf(ae));
      expect(memOf(ae) - need).toBeLessThan(65536); // memory grows in 64 KiB pages, to just what is needed
    }
  });

  it('create() refuses a model that could not train in 4 GiB of wasm memory, with the numbers (not "pass fewer rows")', async () => {
    for (const spec of [{ inputDim: 200_000, layers: [4096] }, { inputDim: 1 << 20, layers: [1] }]) {
      const e = await rejected(() => Autoencoder.create(spec));
      expectMessage(e, /this model is too large: \d+ parameters need \d+\.\d MiB of wasm memory to train/, /a wasm32 memory holds at most 4096\.0 MiB/, /use smaller layers/);
      expect(e.message).not.toMatch(/pass fewer rows/);
    }
    // 200000 x 4096 x 2 weights + biases
    expectMessage(await rejected(() => Autoencoder.create({ inputDim: 200_000, layers: [4096] })), /: 1638604096 parameters need/);
  });

  it('a data call past the 4 GiB limit says to pass fewer rows; a file whose header declares a huge spec says corrupted', async () => {
    const ae = await Autoencoder.create({ inputDim: 6, layers: [3], seed: 1 });
    const k = kernelOf(ae);
    const mark = k.mark();
    expectMessage(caught(() => k.alloc(5 * 2 ** 30)), /out of memory: this call needs \d+\.\d MiB of wasm memory, more than the 4096\.0 MiB a wasm32 memory can address; the model takes [\d.]+ MiB: pass fewer rows per call/);
    k.release(mark);
    expect(ae.score(new Float32Array(12)).length).toBe(2);
    const bytes = ae.save();
    const out = withHeader<{ spec: Record<string, unknown> }>(bytes, (h) => {
      h.spec.inputDim = 200_000;
      h.spec.layers = [200_000];
    });
    const e = await rejected(() => Autoencoder.load(out));
    expectMessage(e, /the model file is corrupted/);
    expect(e.message).not.toMatch(/pass fewer rows/);
  });
});

// ---- 3. one rule for the values a model holds: load() and setWeights() alike --------------------------------

describe('the value rule', () => {
  const bnSpec: AutoencoderSpec = {
    inputShape: [6], encoder: [{ type: 'dense', units: 4 }, { type: 'batchNorm' }, { type: 'dense', units: 2 }], decoder: [{ type: 'dense', units: 6 }], normalize: 'standard', seed: 4,
  };
  const x = Float32Array.from({ length: 6 * 40 }, (_, i) => Math.sin(i * 0.37) * 3 + (i % 6));

  /** The file with float `index` of its float section (normalizer, params, state) set to v, re-sealed. */
  const withFloat = (bytes: Uint8Array, index: number, v: number) => {
    const out = bytes.slice();
    new DataView(out.buffer).setFloat32(24 + parseFile(bytes).jsonLen + 4 * index, v, true);
    return fixCrc(out);
  };

  it('a negative moving variance: load() and setWeights() refuse it with the same words', async () => {
    const ae = await Autoencoder.create(bnSpec);
    await ae.fit(x, { epochs: 2 });
    const bytes = ae.save();
    const nParams = ae.paramCount;
    // float section: shift[6], scale[6], params, then state: moving mean[4], moving variance[4]
    const e = await rejected(() => Autoencoder.load(withFloat(bytes, 12 + nParams + 4 + 2, -1)));
    const words = 'layer 2 moving variance \\(getWeights\\(\\)\\[5\\]\\) value 2 is -1: a moving variance must be >= 0';
    expectMessage(e, new RegExp(`^the model file is corrupted: ${words}$`));
    const w = ae.getWeights();
    w[5]![2] = -1;
    expectMessage(caught(() => ae.setWeights(w)), new RegExp(`^setWeights\\(\\): ${words}$`));
    expect(ae.save()).toEqual(bytes);
    // 0 is a variance (a constant feature): accepted by both
    w[5]![2] = 0;
    ae.setWeights(w);
    expect((await Autoencoder.load(ae.save())).getWeights()[5]![2]).toBe(0);
  });

  it('non-finite weights and moving means: the same words from load() and setWeights()', async () => {
    const ae = await Autoencoder.create(bnSpec);
    const bytes = ae.save();
    const e = await rejected(() => Autoencoder.load(withFloat(bytes, 12 + 5, Infinity)));
    expectMessage(e, /^the model file is corrupted: W1 \(getWeights\(\)\[0\]\) value 5 is Infinity: weights must be finite float32 numbers$/);
    const w = ae.getWeights();
    w[0]![5] = Infinity;
    expectMessage(caught(() => ae.setWeights(w)), /^setWeights\(\): W1 \(getWeights\(\)\[0\]\) value 5 is Infinity: weights must be finite float32 numbers$/);
    expectMessage(await rejected(() => Autoencoder.load(withFloat(bytes, 12 + ae.paramCount + 1, NaN))), /layer 2 moving mean \(getWeights\(\)\[4\]\) value 1 is NaN/);
  });

  it('normalizer scale: a normal positive float32 (>= 2^-126); 1e-45, 1e-39, 0, -1 and NaN are refused, 2^-126 loads and scores finite', async () => {
    const ae = await Autoencoder.create(bnSpec);
    await ae.fit(x, { epochs: 1 });
    const bytes = ae.save();
    for (const v of [1e-45, 1e-39, 0, -1, NaN]) {
      const e = await rejected(() => Autoencoder.load(withFloat(bytes, 6 + 3, v)));
      expectMessage(e, new RegExp(`^the model file is corrupted: normalizer scale 3 is ${describeValue(Math.fround(v)).replace(/[+.]/g, '\\$&')}: it must be a normal positive float32 \\(at least 2\\^-126`));
    }
    expectMessage(await rejected(() => Autoencoder.load(withFloat(bytes, 2, -Infinity))), /corrupted: normalizer shift 2 is -Infinity: it must be a finite float32 number/);
    const edgeFile = withFloat(bytes, 6 + 3, F32_MIN_NORMAL);
    const edge = await Autoencoder.load(edgeFile);
    expect(parseFile(edge.save()).floats[6 + 3]).toBe(F32_MIN_NORMAL);
    expect(edge.save()).toEqual(edgeFile);
  });

  it('a column whose spread is below 2^-126 gets scale 1 when fitted (as a constant column), so the model saves and loads', async () => {
    // column 0 alternates 0 and 1e-40 (a denormal std of 5e-41 that the old fit stored as the scale)
    const D = 3;
    const data = Float32Array.from({ length: D * 20 }, (_, i) => (i % D === 0 ? ((i / D) % 2) * 1e-40 : Math.cos(i)));
    const ae = await Autoencoder.create({ inputDim: D, layers: [2], normalize: 'standard', seed: 1 });
    await ae.fit(data, { epochs: 1, validationSplit: 0 });
    const bytes = ae.save();
    const scale = parseFile(bytes).floats.slice(D, 2 * D);
    expect(scale[0]).toBe(1);
    expect(scale[1]).toBeGreaterThan(0.1);
    const back = await Autoencoder.load(bytes);
    expect(back.score(data)).toEqual(ae.score(data));
  });
});

// ---- 4. the threshold is a float32, and never a number JSON cannot carry --------------------------------------

describe('threshold', () => {
  it('values outside the float32 range are refused with the range; the float32 maximum round-trips', async () => {
    const ae = await Autoencoder.create({ inputDim: 4, layers: [2] });
    ae.threshold = 0.25;
    for (const t of [1e300, -1e39, Infinity, NaN]) {
      expectMessage(caught(() => { ae.threshold = t; }), new RegExp(`threshold \\(a float32\\) must be a number from -3\\.4028234663852886e\\+38 to 3\\.4028234663852886e\\+38, got ${describeValue(t).replace(/[+.]/g, '\\$&')}`));
    }
    expect(ae.threshold).toBe(0.25);
    ae.threshold = 3.4028234663852886e38;
    expect((await Autoencoder.load(ae.save())).threshold).toBe(3.4028234663852886e38);
    ae.threshold = -1e-30;
    expect((await Autoencoder.load(ae.save())).threshold).toBe(Math.fround(-1e-30));
  });

  it('calibrate() on scores that overflow float32 refuses instead of storing Infinity', async () => {
    const ae = await Autoencoder.create({ inputDim: 4, layers: [2] });
    ae.threshold = 0.5;
    const huge = Float32Array.from({ length: 4 * 5 }, (_, i) => (i % 2 ? 3e38 : -3e38));
    expect(ae.score(huge)[0]).toBe(Infinity);
    expectMessage(caught(() => ae.calibrate(huge, { max: true })), /calibrate\(\): the threshold would be (Infinity|NaN) \(a reconstruction error overflows float32\): normalize the inputs/);
    expect(ae.threshold).toBe(0.5);
    expect((await Autoencoder.load(ae.save())).threshold).toBe(0.5);
  });

  it('calibrate() of a normalized model on rows far outside its training rows says so (normalizing is no remedy there)', async () => {
    const D = 3, n = 40;
    const x = new Float32Array(n * D);
    for (let i = 0; i < n; i++) { x[i * D] = Math.sin(i); x[i * D + 1] = Math.cos(i); x[i * D + 2] = i % 5; }
    const ae = await Autoencoder.create({ inputDim: D, layers: [2], normalize: 'standard', ensemble: false, seed: 1 });
    await ae.fit(x, { epochs: 3 });
    ae.threshold = 0.5;
    // 5 of 40 rows with a 3e30: they score Infinity under the training rows' scaling
    const y = Float32Array.from(x);
    for (let i = 0; i < 5; i++) y[i * D] = 3e30;
    expect(Array.from(ae.score(y.subarray(0, 5 * D)))).toEqual([Infinity, Infinity, Infinity, Infinity, Infinity]);
    expectMessage(caught(() => ae.calibrate(y)), /^calibrate\(\): the threshold would be (Infinity|NaN) \(a reconstruction error overflows float32\): rows of x far outside the training rows score Infinity, and the 0\.99 quantile is among them: leave them out, or pass a larger \{ contamination \}; the threshold is unchanged$/);
    expectMessage(caught(() => ae.calibrate(y, { max: true })), /and the maximum is among them/);
    expect(ae.threshold).toBe(0.5);
    // the remedies it names: a contamination above their share, or x without them
    const t = ae.calibrate(y, { contamination: 0.2 });
    expect(Number.isFinite(t)).toBe(true);
    expect(Array.from(ae.detect(y.subarray(0, 5 * D)))).toEqual([1, 1, 1, 1, 1]);
    expect(Number.isFinite(ae.calibrate(y.subarray(5 * D)))).toBe(true);
  });

  it('a file whose header threshold is outside float32 is refused', async () => {
    const ae = await Autoencoder.create({ inputDim: 4, layers: [2] });
    ae.threshold = 0.25;
    const bytes = ae.save();
    const f = parseFile(bytes);
    const json = f.json.replace('"threshold":0.25', '"threshold":1e99');
    const out = bytes.slice();
    out.set(new TextEncoder().encode(json.padEnd(f.jsonLen, ' ').slice(0, f.jsonLen)), 24);
    expectMessage(await rejected(() => Autoencoder.load(fixCrc(out))), /corrupted: its threshold is 1e\+99, not a float32 number/);
  });
});

// ---- 5. every public argument is type-checked, the message naming what it got ------------------------------------

describe('types', () => {
  it('describe() names values as messages need them', () => {
    const cases: [unknown, string][] = [
      [NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity'], [-0, '-0'], [2.5, '2.5'], ['yes', 'a string "yes"'], [null, 'null'], [undefined, 'undefined'],
      [new Int32Array(4), 'an Int32Array'], [new Uint8Array(1), 'a Uint8Array'], [[1, , 3], 'an array with a hole at index 1'], [[], 'an empty array'], [[1, 2], 'an array of 2 values'],
      [{}, 'an object'], [new Map(), 'a Map'], [() => 1, 'a function'], [true, 'the boolean true'], [10n, 'a bigint 10n'], [Object.create(null), 'an object'],
    ];
    for (const [v, want] of cases) expect(describeValue(v)).toBe(want);
  });

  it('sparse rows and sparse arrays of rows are refused, not read as stale memory', async () => {
    const ae = await Autoencoder.create({ inputDim: 3, layers: [2] });
    // fill the I/O stack with other numbers first: a hole must not read them back
    ae.score(Float32Array.from({ length: 3 * 50 }, (_, i) => i));
    // eslint-disable-next-line no-sparse-arrays
    expectMessage(caught(() => ae.score([[, , ,]] as never)), /x has a hole at row 0, column 0 \(a sparse array\)/);
    // eslint-disable-next-line no-sparse-arrays
    expectMessage(caught(() => ae.score([[1, 2, 3], , [4, 5, 6]] as never)), /x has a hole at row 1 \(a sparse array\)/);
    // eslint-disable-next-line no-sparse-arrays
    expectMessage(await rejected(() => ae.fit([[1, 2, 3], [1, , 3]] as never)), /x has a hole at row 1, column 1/);
    expectMessage(caught(() => ae.encode([new Int32Array(3)] as never)), /x row 0 is an Int32Array: pass rows as number\[\], Float32Array or Float64Array/);
  });

  it('typed arrays other than Float32Array/Float64Array: refused naming the type and what to pass', async () => {
    const ae = await Autoencoder.create({ inputDim: 4, layers: [2] });
    for (const m of ['score', 'encode', 'reconstruct', 'calibrate'] as const) {
      expectMessage(caught(() => ae[m](new Int32Array(4) as never)), /x must be a Float32Array, Float64Array or number\[\]\[\], got an Int32Array: pass Float32Array\.from\(x\)/);
    }
    expectMessage(caught(() => ae.decode(new Uint8Array(2) as never)), /z must be .*got a Uint8Array: pass Float32Array\.from\(z\)/);
    expectMessage(await rejected(() => ae.fit(new Float32Array(8), { target: new Int16Array(8) as never })), /target must be .*got an Int16Array/);
    expectMessage(await rejected(() => addNoise(new Int32Array(4) as never, { std: 1 })), /addNoise\(\) takes a non-empty Float32Array or Float64Array, got an Int32Array: pass Float32Array\.from\(x\)/);
  });

  it('options of the wrong type: booleans, NaN, null, strings', async () => {
    const ae = await Autoencoder.create({ inputDim: 4, layers: [2] });
    const x = new Float32Array(4 * 10).fill(0.5);
    const before = ae.save();
    expectMessage(await rejected(() => ae.fit(x, { shuffle: 'yes' as never })), /shuffle must be true or false, got a string "yes"/);
    expectMessage(await rejected(() => ae.fit(x, { earlyStopping: { restoreBest: 'no' as never } })), /earlyStopping\.restoreBest must be true or false, got a string "no"/);
    expectMessage(await rejected(() => ae.fit(x, { epochs: NaN })), /epochs must be an integer from 1 to \d+, got NaN/);
    expectMessage(await rejected(() => ae.fit(x, { earlyStopping: [] as never })), /earlyStopping must be false or an object .*got an empty array/);
    expectMessage(await rejected(() => ae.fit(x, { onEpoch: 'log' as never })), /onEpoch must be a function, got a string "log"/);
    expectMessage(await rejected(() => ae.fit(x, null as never)), /fit\(\) options must be an object such as \{ epochs: 50 \}, got null/);
    expect(ae.save()).toEqual(before);
    expectMessage(caught(() => ae.calibrate(x, { quantile: NaN })), /quantile must be a number from 0 to 1, got NaN/);
    expectMessage(caught(() => ae.calibrate(x, { max: 'yes' } as never)), /calibrate\(\{ max \}\) takes max: true, got a string "yes"/);
    expectMessage(caught(() => { ae.threshold = undefined as never; }), /got undefined/);
    expectMessage(caught(() => { ae.metadata = [1, 2] as never; }), /metadata must be a plain JSON object or null, got an array of 2 values/);
    expectMessage(caught(() => { ae.metadata = { n: NaN }; }), /metadata holds NaN/);
  });

  it('setWeights with strings, holes or other typed arrays', async () => {
    const ae = await Autoencoder.create({ inputDim: 4, layers: [2] });
    const w = ae.getWeights() as unknown[];
    const before = ae.save();
    const strings = [...w];
    strings[1] = ['0.1', '0.2'];
    expectMessage(caught(() => ae.setWeights(strings as never)), /setWeights\(\): b1 \(index 1\) value 0 is a string "0\.1": values must be numbers/);
    const holey = [...w];
    holey[1] = [0.1, , ] as number[];
    expectMessage(caught(() => ae.setWeights(holey as never)), /setWeights\(\): b1 \(index 1\) has a hole at index 1/);
    const ints = [...w];
    ints[1] = new Int32Array(2);
    expectMessage(caught(() => ae.setWeights(ints as never)), /b1 \(index 1\) needs 2 values in a Float32Array, Float64Array or number\[\], got an Int32Array: pass Float32Array\.from\(it\)/);
    // eslint-disable-next-line no-sparse-arrays
    expectMessage(caught(() => ae.setWeights([w[0], , w[2], w[3]] as never)), /needs 4 arrays .*got an array with a hole at index 1/);
    expect(ae.save()).toEqual(before);
  });

  it('spec keys and layer specs: holes, strings, NaN', async () => {
    // eslint-disable-next-line no-sparse-arrays
    expectMessage(await rejected(() => Autoencoder.create({ inputDim: 8, layers: [4, , 2] as never })), /layers must be a non-empty array such as \[16, 8\], got an array with a hole at index 1/);
    expectMessage(await rejected(() => Autoencoder.create({ inputDim: NaN })), /inputDim must be an integer from 1 to \d+, got NaN/);
    expectMessage(await rejected(() => Autoencoder.create({ inputDim: 8, activation: NaN as never })), /unknown activation NaN: use one of/);
    expectMessage(await rejected(() => Autoencoder.create(null as never)), /needs a spec object such as \{ inputDim: 30 \}, got null/);
    // eslint-disable-next-line no-sparse-arrays
    expectMessage(await rejected(() => Autoencoder.create({ inputShape: [4, , 1] as never, encoder: [{ type: 'flatten' }], decoder: [{ type: 'reshape', shape: [4, 1, 1] }] })), /inputShape must be an array of 1 to 3 entries such as \[28, 28, 1\], got an array with a hole at index 1/);
    // eslint-disable-next-line no-sparse-arrays
    expectMessage(await rejected(() => Autoencoder.create({ inputShape: [4], encoder: [{ type: 'dense', units: 2 }, ,] as never, decoder: [{ type: 'dense', units: 4 }] })), /encoder must be a non-empty array of layers .*got an array with a hole at index 1/);
    expectMessage(await rejected(() => Autoencoder.create({ inputShape: [4, 4, 1], encoder: [{ type: 'conv2d', filters: 2, kernel: [3, '3'] as never }], decoder: [{ type: 'conv2d', filters: 1, kernel: 3 }] })), /encoder\[0\] \(conv2d\) kernel\[1\] must be an integer .*got a string "3"/);
    // eslint-disable-next-line no-sparse-arrays
    expectMessage(await rejected(() => Autoencoder.create({ inputShape: [4], encoder: [{ type: 'dense', units: 2 }], decoder: [{ type: 'dense', units: 4 }, { type: 'reshape', shape: [2, , 2] as never }] })), /decoder\[1\] \(reshape\) shape must be a non-empty array such as \[7, 7, 32\], got an array with a hole at index 1/);
    expectMessage(await rejected(() => Autoencoder.create({ inputShape: [4], encoder: [{ type: 'dropout', rate: NaN }], decoder: [{ type: 'dense', units: 4 }] })), /rate must be a number from 0 to 0\.999, got NaN/);
    expectMessage(await rejected(() => Autoencoder.create({ inputDim: 4 }, null as never)), /the second argument must be an options object such as \{ wasm: module \}, got null/);
    expectMessage(await rejected(() => Autoencoder.create({ inputDim: 4 }, { wasm: 'kernels.wasm' as never })), /the wasm option must be a WebAssembly\.Module .*got a string "kernels\.wasm"/);
  });

  it('randomMatrix, addNoise and load: null options and wrong types say what they got', async () => {
    expectMessage(await rejected(() => randomMatrix(2, 2, null as never)), /randomMatrix\(\) options takes an options object \(valid options: seed, distribution, wasm\), got null/);
    expectMessage(await rejected(() => randomMatrix(NaN, 2)), /rows must be an integer from 1 to \d+, got NaN/);
    expectMessage(await rejected(() => randomMatrix(2, 2, { distribution: 7 as never })), /unknown distribution 7: use one of uniform, normal/);
    expectMessage(await rejected(() => addNoise(new Float32Array(2), null as never)), /addNoise\(\) needs options such as \{ std: 0\.4 \}, got null/);
    expectMessage(await rejected(() => addNoise(new Float32Array(2), { std: 0.1, clip: [0, , ] as never })), /clip must be an array of 2 such as \[0, 1\] \(\[lo, hi\]\), got an array with a hole at index 1/);
    expectMessage(await rejected(() => addNoise(new Float32Array(2), { std: '0.4' as never })), /std must be a number .*got a string "0\.4"/);
    expectMessage(await rejected(() => Autoencoder.load(new Int8Array(40) as never)), /Autoencoder\.load\(\) takes the Uint8Array that save\(\) returned .*got an Int8Array/);
  });
});

// ---- 8. calls during fit(): reads see the last completed epoch, writes are refused ----------------------------------

describe('while fit() runs', () => {
  const spec: AutoencoderSpec = { inputDim: 6, layers: [4, 2], normalize: 'standard', seed: 9 };
  const x = Float32Array.from({ length: 6 * 50 }, (_, i) => Math.sin(i * 0.71) + (i % 6) * 0.3);
  const fitOpts = { validationSplit: 0.2, earlyStopping: false as const, batchSize: 8 };

  it('score, getWeights and save inside onEpoch see the weights after that epoch: the same as a model trained for exactly that many epochs', async () => {
    const seen = new Map<number, { score: Float32Array; weights: Float32Array[]; file: Uint8Array; encode: Float32Array }>();
    const ae = await Autoencoder.create(spec);
    const h = await ae.fit(x, {
      ...fitOpts, epochs: 4,
      onEpoch: async ({ epoch }) => {
        await new Promise((r) => setTimeout(r, 1));
        seen.set(epoch, { score: ae.score(x), weights: ae.getWeights(), file: ae.save(), encode: ae.encode(x) });
        ae.calibrate(x); // sets the threshold: allowed
      },
    });
    expect(h.epochs).toBe(4);
    for (const n of [1, 3]) {
      const oracle = await Autoencoder.create(spec);
      await oracle.fit(x, { ...fitOpts, epochs: n });
      const s = seen.get(n)!;
      expect(s.score).toEqual(oracle.score(x));
      expect(s.weights).toEqual(oracle.getWeights());
      expect(s.encode).toEqual(oracle.encode(x));
      const back = await Autoencoder.load(s.file);
      expect(back.score(x)).toEqual(oracle.score(x));
    }
    // the reads did not disturb training: the end state equals a fit with no calls in onEpoch
    const quiet = await Autoencoder.create(spec);
    await quiet.fit(x, { ...fitOpts, epochs: 4 });
    expect(ae.getWeights()).toEqual(quiet.getWeights());
  });

  it('setWeights and fit inside onEpoch are refused with "fit() is running"; the fit goes on unchanged', async () => {
    const ae = await Autoencoder.create(spec);
    const errors: Error[] = [];
    await ae.fit(x, {
      ...fitOpts, epochs: 3,
      onEpoch: async () => {
        errors.push(caught(() => ae.setWeights(ae.getWeights())));
        errors.push(await rejected(() => ae.fit(x, { epochs: 1 })));
      },
    });
    expect(errors.length).toBe(6);
    for (let i = 0; i < 6; i += 2) {
      expectMessage(errors[i], /^fit\(\) is running: setWeights\(\) would change the model while it trains; call it after fit\(\) resolves/);
      expectMessage(errors[i + 1], /^fit\(\) is running: fit\(\) would change the model/);
    }
    const quiet = await Autoencoder.create(spec);
    await quiet.fit(x, { ...fitOpts, epochs: 3 });
    expect(ae.save()).toEqual(quiet.save());
    ae.setWeights(ae.getWeights()); // after fit: allowed again
  });
});

// ---- overflow: finite data, finite weights, infinite products --------------------------------------------

describe('overflow', () => {
  const spec: AutoencoderSpec = { inputDim: 4, layers: [3, 2], seed: 5 };
  // W1 [4][3] all 2: a row [+big, -big, +big, -big] sums +Infinity and -Infinity into every hidden unit
  const twos = async () => {
    const ae = await Autoencoder.create(spec);
    const w = ae.getWeights();
    w[0]!.fill(2);
    ae.setWeights(w);
    return ae;
  };

  it('score() of a finite row whose error overflows is +Infinity, never NaN (Inf - Inf inside the network)', async () => {
    const ae = await twos();
    const s = ae.score(Float32Array.of(3.4e38, -3.4e38, 3.4e38, -3.4e38, 1e30, 1e30, 1e30, 1e30, 0.5, -0.5, 0.25, 1));
    expect(s[0]).toBe(Infinity);
    expect(s[1]).toBe(Infinity);
    expect(Number.isFinite(s[2]!)).toBe(true);
    ae.threshold = 10;
    expect(Array.from(ae.detect(Float32Array.of(3.4e38, -3.4e38, 3.4e38, -3.4e38)))).toEqual([1]);
  });

  it('load() refuses a file whose finite weights overflow on rows of the model\'s own units (re-sealed CRC); the intact file loads', async () => {
    const ae = await Autoencoder.create({ inputDim: 4, layers: [3, 2], loss: 'bce', normalize: 'minmax', seed: 4 });
    await ae.fit(Float32Array.from({ length: 96 }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.7)), { epochs: 2 });
    const bytes = ae.save();
    const f = parseFile(bytes);
    const at = bytes.length - 4 - 4 * f.floats.length;
    const bad = bytes.slice();
    // W1 [4][3] and W2 [3][2] all 1e30 (after the normalizer's 8 floats; b1 between them): any row with
    // a positive hidden unit reaches 1e60 in the latent code
    for (const [from, n] of [[8, 12], [23, 6]] as const) for (let i = 0; i < n; i++) new DataView(bad.buffer).setFloat32(at + 4 * (from + i), 1e30, true);
    expectMessage(await rejected(() => Autoencoder.load(fixCrc(bad))), /the model file is corrupted: its weights overflow float32: on rows within \+-8 in normalized units layer 2's values could reach beyond 3\.4e38 \(bounded from the values' sizes/);
    expect((await Autoencoder.load(bytes)).score(Float32Array.of(0.5, 0.5, 0.5, 0.5))[0]).toBe(ae.score(Float32Array.of(0.5, 0.5, 0.5, 0.5))[0]);
  });

  it('setWeights() refuses weights that overflow, with the same words, and leaves the model as it was', async () => {
    const ae = await Autoencoder.create(spec);
    const x = Float32Array.of(0.1, -0.2, 0.3, 0.4);
    const before = ae.score(x), weights = ae.getWeights();
    const huge = ae.getWeights();
    huge[0]!.fill(1e30);
    huge[2]!.fill(1e30);
    expectMessage(caught(() => ae.setWeights(huge)), /^setWeights\(\): its weights overflow float32: .*; the weights are as they were$/);
    expect(ae.score(x)).toEqual(before);
    expect(ae.getWeights()).toEqual(weights);
    ae.setWeights(ae.getWeights().map((w) => w.map((v) => v * 1.5))); // ordinary weights still go in
  });

  it('metadata whose toJSON() gives no object (a Date, a boxed number, undefined) is refused, not saved as a file load() refuses', async () => {
    const ae = await Autoencoder.create(spec);
    ae.metadata = { keep: 1 };
    for (const m of [new Date(0), new Number(2), { toJSON: () => undefined }, { toJSON: () => [1] }]) {
      expectMessage(caught(() => { ae.metadata = m as never; }), /^metadata must be a plain JSON object or null, got .*, which JSON writes as /);
    }
    expect(ae.metadata).toEqual({ keep: 1 });
    ae.metadata = { when: new Date(0) } as never; // inside an object a Date is a string, as JSON has it
    expect((await Autoencoder.load(ae.save())).metadata).toEqual({ when: '1970-01-01T00:00:00.000Z' });
  });

  it('addNoise() refuses NaN, Infinity and float64 values beyond float32, as every data call does', async () => {
    expectMessage(await rejected(() => addNoise(Float64Array.of(0, NaN), { std: 0.1 })), /^addNoise\(\): x has NaN at index 1: values must be finite float32/);
    expectMessage(await rejected(() => addNoise(Float64Array.of(1e300), { std: 0.1 })), /^addNoise\(\): x has 1e\+300 at index 0/);
    expectMessage(await rejected(() => addNoise(Float32Array.of(1, -Infinity), { std: 0.1 })), /x has -Infinity at index 1/);
  });
});
