// load-path.test.ts: load(path) in Node (and, through child processes, Deno and Bun) reads a model
// file's floats straight into the model's wasm memory. Oracles: the saved model itself (its save() bytes
// and scores, which load(path) must give back bit for bit) and load(bytes) on the same file, whose
// accept/refuse decision and message load(path) must repeat for any corruption of the file (fast-check).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderLite, SeriesDetector, addNoise, randomMatrix, setFileOpener, setNativeCrc32, type AutoencoderSpec, type Crc32 } from 'autoencoder';
import { nodeFileOpener, runtimeCrc32 } from '../bindings/node-load.js';
import { fixCrc, parseFile } from './data.js';
import { ROOT, expectMessage, rejected } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'autoencoder-load-path-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hex = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
let n = 0;
const put = (bytes: Uint8Array) => { const p = join(dir, `m${n++}.ae`); writeFileSync(p, bytes); return p; };

/** The message load() gives for `bytes`, or null when it loads them. */
async function outcome(load: () => Promise<Autoencoder | AutoencoderLite>): Promise<string | null> {
  try {
    (await load()).dispose();
    return null;
  } catch (e) {
    expectMessage(e);
    return (e as Error).message;
  }
}

describe('load(path) gives the model that was saved', () => {
  const models: [string, () => Promise<Autoencoder>][] = [
    ['dense, normalized, calibrated, with metadata', async () => {
      const ae = await Autoencoder.create({ inputDim: 12, layers: [8, 3], normalize: 'standard', seed: 3, ensemble: false });
      const x = await randomMatrix(80, 12, { seed: 4 });
      await ae.fit(x, { epochs: 4 });
      ae.calibrate(x);
      ae.metadata = { columns: Array.from({ length: 12 }, (_, i) => `c${i}`) };
      return ae;
    }],
    ['the default subsample ensemble with its density codes', async () => {
      const ae = await Autoencoder.create({ inputDim: 6, normalize: 'standard', seed: 5 });
      await ae.fit(await randomMatrix(300, 6, { seed: 6 }));
      return ae;
    }],
    ['a 2-D conv denoiser (batchNorm state)', async () => {
      const spec: AutoencoderSpec = {
        inputShape: [8, 8, 1],
        encoder: [{ type: 'conv2d', filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'relu' }, { type: 'batchNorm' }],
        decoder: [{ type: 'conv2dTranspose', filters: 1, kernel: 3, strides: 2, padding: 'same', activation: 'sigmoid' }],
        loss: 'mse', seed: 7,
      };
      const ae = await Autoencoder.create(spec);
      const x = await randomMatrix(32, 64, { seed: 8 });
      await ae.fit(await addNoise(x, { std: 0.1, seed: 9 }), { target: x, epochs: 2, batchSize: 8 });
      return ae;
    }],
  ];
  for (const [name, make] of models) {
    it(name, async () => {
      const ae = await make();
      const bytes = ae.save();
      const p = put(bytes);
      const x = await randomMatrix(5, ae.inputDim, { seed: 10 });
      const want = ae.score(x);
      for (const source of [p, pathToFileURL(p)]) {
        const back = await Autoencoder.load(source);
        expect(same(back.save(), bytes)).toBe(true);
        expect(hex(back.score(x))).toBe(hex(want));
        back.dispose();
      }
      const lite = await AutoencoderLite.load(p);
      expect(hex(lite.score(x))).toBe(hex(want));
      lite.dispose();
      ae.dispose();
    });
  }

  // (on the built package, as tests/threads.test.ts: the pool's module is loaded next to dist's index.js)
  it('with threads: the same model, and a failed threaded load leaves no worker thread behind', async () => {
    const D = await import('../dist/bindings/node.js');
    const ae = await D.Autoencoder.create({ inputDim: 40, layers: [32, 8], seed: 11, ensemble: false });
    await ae.fit(await D.randomMatrix(200, 40, { seed: 12 }), { epochs: 2 });
    const bytes = ae.save();
    const p = put(bytes);
    const t = await D.Autoencoder.load(p, { threads: 2 });
    expect(same(t.save(), bytes)).toBe(true);
    t.dispose();
    if (!existsSync('/proc/self/task')) return;   // (Linux: the process's threads)
    const tasks = () => readdirSync('/proc/self/task').length;
    const settle = async (want: number) => { for (let i = 0; i < 100 && tasks() > want; i++) await new Promise((r) => setTimeout(r, 20)); return tasks(); };
    const before = await settle(0);
    const bad = Uint8Array.from(bytes);
    bad[bad.length - 40] = bad[bad.length - 40]! ^ 1;
    const q = put(bad);
    // the checksum fails after the pool started: by path (the fast path, then load(bytes)) and by bytes
    for (const source of [q, bad]) {
      const e = await rejected(() => D.Autoencoder.load(source, { threads: 2 }));
      expect(e).toBeInstanceOf(D.AutoencoderError);
      expect(e.message).toMatch(/checksum does not match/);
    }
    expect(await settle(before)).toBe(before);
    ae.dispose();
  });
});

describe('load(path) refuses what load(bytes) refuses, with the same message', () => {
  it('for any change to the file: flipped bytes, cut short, grown (fast-check)', async () => {
    const ae = await Autoencoder.create({ inputDim: 10, layers: [6, 2], normalize: 'minmax', seed: 13, ensemble: false });
    await ae.fit(await randomMatrix(60, 10, { seed: 14 }), { epochs: 2 });
    ae.threshold = 0.5;
    const base = ae.save();
    ae.dispose();
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
      fc.oneof(fc.constant(null), fc.nat()),
      fc.uint8Array({ maxLength: 8 }),
      fc.boolean(),
      async (flips, cut, extra, reseal) => {
        let b: Uint8Array = Uint8Array.from(base);
        for (const [at, x] of flips) b[at % b.length] = b[at % b.length]! ^ x;
        if (cut !== null) b = b.subarray(0, cut % (b.length + 1));
        if (extra.length) { const g = new Uint8Array(b.length + extra.length); g.set(b); g.set(extra, b.length); b = g; }
        if (reseal && b.length >= 28) b = fixCrc(b);   // past the checksum: the header and values' own checks
        const p = put(b);
        const byBytes = await outcome(() => Autoencoder.load(Uint8Array.from(b)));
        expect(await outcome(() => Autoencoder.load(p))).toBe(byBytes);
        rmSync(p);
      },
    ), { numRuns: 150, seed: 20261203 });
  });

  it('a value no model can hold, behind a matching checksum', async () => {
    const ae = await Autoencoder.create({ inputDim: 4, layers: [3], seed: 15, ensemble: false });
    const bad = ae.save();
    new DataView(bad.buffer).setFloat32(24 + parseFile(bad).jsonLen + 8, Number.NaN, true);
    const p = put(fixCrc(bad));
    const e = await rejected(() => Autoencoder.load(p));
    expectMessage(e, /the model file is corrupted: .*NaN/);
    expect(e.message).toBe((await rejected(() => Autoencoder.load(fixCrc(bad)))).message);
    ae.dispose();
  });

  it('a path that is not a readable file, and a runtime without files', async () => {
    expectMessage(await rejected(() => Autoencoder.load(join(dir, 'no-such.ae'))), /cannot read the file .*no-such\.ae \(ENOENT/, /check the path/);
    expectMessage(await rejected(() => Autoencoder.load(dir)), /cannot read the file .* \(not a regular file\)/);
    expectMessage(await rejected(() => SeriesDetector.load(join(dir, 'no-such.sd'))), /cannot read the file/);
    expectMessage(await rejected(() => Autoencoder.load(42 as unknown as Uint8Array)), /takes the Uint8Array that save\(\) returned or, in Node, Bun and Deno, the file's path, got 42/);
    setFileOpener(null);   // as in browsers and workerd
    try {
      expectMessage(await rejected(() => Autoencoder.load(join(dir, 'm0.ae'))), /takes a file path only in Node, Bun and Deno; here pass the file's bytes/);
    } finally {
      setFileOpener(nodeFileOpener);
    }
  });
});

// Where the runtime has a native CRC-32 that is cheap to reach (Node's node:zlib, Bun's Bun.hash:
// node-load.ts runtimeCrc32, which the Node and Bun entry gives setNativeCrc32), load(path) and load(bytes)
// check files with it; save() seals with the kernels' CRC, so each file read back here crosses the two
// (tests/kernels.test.ts also checks the kernels' CRC against node:zlib's). Without one (Deno, browsers,
// workerd, older Node) the kernels' checks: the same models and the same refusals.
describe("the model file's checksum on load: the runtime's native CRC-32 where it has one, else the kernels'", () => {
  const hasNative = typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule === 'function';
  const withCrc = async (find: (() => Crc32 | null) | null, body: () => Promise<void>) => {
    setNativeCrc32(find);
    try { await body(); } finally { setNativeCrc32(runtimeCrc32); }
  };
  const model = async () => {
    const ae = await Autoencoder.create({ inputDim: 10, layers: [6, 2], normalize: 'minmax', seed: 21, ensemble: false });
    await ae.fit(await randomMatrix(60, 10, { seed: 22 }), { epochs: 2 });
    const bytes = ae.save();
    const row = await randomMatrix(3, 10, { seed: 23 });
    const score = hex(ae.score(row));
    ae.dispose();
    return { bytes, row, score };
  };

  it.skipIf(!hasNative)("Node has zlib's crc32, and load(path) and load(bytes) sum the whole file with it [needs Node >= 20.16]", async () => {
    const { bytes, row, score } = await model();
    const zlib = runtimeCrc32();
    expect(typeof zlib).toBe('function');
    const p = put(bytes);
    let summed = 0;
    await withCrc(() => (d, prev) => { summed += d.length; return zlib!(d, prev); }, async () => {
      for (const source of [p, Uint8Array.from(bytes)]) {
        summed = 0;
        const back = await Autoencoder.load(source);
        expect(summed, typeof source).toBe(bytes.length - 4);
        expect(hex(back.score(row))).toBe(score);
        expect(hex(back.save())).toBe(hex(bytes));
        back.dispose();
      }
    });
  });

  it('bad hooks get clear errors, and a model loads once the hook is sound again', async () => {
    expectMessage(await rejected(async () => setNativeCrc32(42 as unknown as null)), /setNativeCrc32\(\) takes a function .* got 42/);
    expectMessage(await rejected(async () => setFileOpener('fs' as unknown as null)), /setFileOpener\(\) takes a function .* got a string "fs"/);
    const { bytes } = await model();
    const p = put(bytes);
    await withCrc(() => 'crc' as unknown as Crc32, async () => {
      for (const source of [p, Uint8Array.from(bytes)]) {
        expectMessage(await rejected(() => Autoencoder.load(source)), /setNativeCrc32\(\) returned a string "crc": it must return a CRC-32 function/);
      }
    });
    (await Autoencoder.load(p)).dispose();
  });

  it("without one: the kernels' CRC, the same models, and load(path) refuses what load(bytes) refuses (fast-check)", async () => {
    const { bytes: base, row, score } = await model();
    await withCrc(null, async () => {
      for (const source of [put(base), Uint8Array.from(base)]) {
        const back = await Autoencoder.load(source);
        expect(hex(back.score(row))).toBe(score);
        back.dispose();
      }
      await fc.assert(fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (flips, reseal) => {
          let b: Uint8Array = Uint8Array.from(base);
          for (const [at, x] of flips) b[at % b.length] = b[at % b.length]! ^ x;
          if (reseal) b = fixCrc(b);
          const p = put(b);
          const byBytes = await outcome(() => Autoencoder.load(Uint8Array.from(b)));
          if (!reseal) expect(byBytes).not.toBeNull();   // (a flipped byte is always caught: by the envelope's checks or the CRC)
          expect(await outcome(() => Autoencoder.load(p))).toBe(byBytes);
          rmSync(p);
        },
      ), { numRuns: 60, seed: 20261204 });
    });
  });
});

it('SeriesDetector.load(path) continues where the saved detector stopped', async () => {
  const d = await SeriesDetector.create();
  const v = Array.from({ length: 700 }, (_, i) => Math.sin(i / 7) + (i % 97 === 0 ? 3 : 0));
  d.pushMany(v.slice(0, 500));
  const p = join(dir, 'd.sd');
  writeFileSync(p, d.save());
  const back = await SeriesDetector.load(p);
  expect(hex(back.pushMany(v.slice(500)))).toBe(hex(d.pushMany(v.slice(500))));
  back.dispose();
  d.dispose();
});

// Deno and Bun run tests/conformance/load-path.mjs on a file this process wrote: the same save() bytes
// and score as here; Deno without --allow-read says which flag it needs.
describe('load(path) in Deno and Bun', () => {
  const rt = existsSync(join(ROOT, '.runtimes/node_modules/.bin/deno')) && existsSync(join(ROOT, 'dist/bindings/deno.js'));
  it.skipIf(!rt)('the same model as in Node', async () => {
    if (!rt) return;
    const ae = await Autoencoder.create({ inputDim: 16, layers: [8, 4], normalize: 'standard', seed: 17, ensemble: false });
    await ae.fit(await randomMatrix(100, 16, { seed: 18 }), { epochs: 3 });
    const sub = join(dir, 'rt');
    mkdirSync(sub, { recursive: true });
    const p = join(sub, 'model.ae');
    writeFileSync(p, ae.save());
    const row = await randomMatrix(1, 16, { seed: 19 });
    const want = `${hex(ae.save()).length} ${hex(ae.score(row))}`;
    const script = join(ROOT, 'tests/conformance/load-path.mjs');
    // a copy with one float's byte flipped: refused for its checksum, by the runtime's native CRC where it has one
    const bad = Uint8Array.from(readFileSync(p));
    bad[bad.length - 40]! ^= 0x01;
    const q = join(sub, 'corrupted.ae');
    writeFileSync(q, bad);
    const refusal = await outcome(() => Autoencoder.load(Uint8Array.from(bad)));
    expect(refusal).toMatch(/checksum does not match/);
    const run = (cmd: string, args: string[], extra: string[] = []) => execFileSync(cmd, [...args, script, p, hex(row), ...extra], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }).trim().split('\n').pop()!;
    const bin = (b: string) => join(ROOT, '.runtimes/node_modules/.bin', b);
    const savedHex = hex(readFileSync(p));
    // native: Bun.hash.crc32 in Bun, node:zlib's in Node 20.16+; Deno takes the kernels' (its node:zlib costs a cold start about 18 ms)
    const nodeNative = typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule === 'function';
    for (const [name, cmd, args, native] of [['deno', bin('deno'), ['run', '--quiet', '--allow-read'], null], ['bun', bin('bun'), [], 'bunCrc32'], ['node', process.execPath, [], nodeNative ? 'crc32' : null]] as const) {
      const out = JSON.parse(run(cmd, [...args], [q]));
      expect(out.saved === savedHex, `${name} save() after load(path)`).toBe(true);
      expect(`${out.saved.length} ${out.score}`, name).toBe(want);
      expect(out.native, `${name}: a native CRC-32`).toBe(native);
      expect(out.corrupt, `${name}: the corrupted copy`).toBe(refusal);
    }
    const denied = JSON.parse(run(bin('deno'), ['run', '--quiet']));
    expect(denied.error).toMatch(/cannot read the file .*model\.ae .*--allow-read/);
    ae.dispose();
  }, 120_000);
});
