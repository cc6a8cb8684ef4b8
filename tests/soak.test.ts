// soak.test.ts: many short-lived models and one long-lived model, watching memory.
// 1. CYCLES create/fit/score/save/load/score/dispose cycles of a tiny model (1 epoch): every cycle
//    must give the same bits as the first (same seed, same data: the library is deterministic) and
//    the loaded copy must score the same bits as the original; process RSS after a forced GC must
//    not grow by more than RSS_BOUND. Each cycle makes two wasm instances (create, load) with their
//    own memory (64 KiB each here), so a leak of instances or memories would be 2 x CYCLES x 64 KiB =
//    1.25 GiB; 64 MiB leaves room for V8's heap and code caches settling while catching any per-cycle
//    leak above ~3 KiB per cycle.
// 2. SCORES score() calls on one model with a batch of the same size: its wasm memory must not
//    grow at all (every call's I/O is released: the I/O stack returns to its mark), and RSS after a
//    forced GC must not grow by more than RSS_BOUND (the returned arrays are garbage).
// GC: v8.setFlagsFromString('--expose-gc') then vm.runInNewContext('gc') gives a gc() without
// changing how vitest starts its workers.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderError } from 'autoencoder';

const CYCLES = 10_000;
const SCORES = 100_000;
const RSS_BOUND = 64 * 2 ** 20;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const mib = (b: number) => (b / 2 ** 20).toFixed(1);
function settledRss(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().rss;
}
const wasmBytes = (ae: Autoencoder) => (ae as unknown as { k: { memory: WebAssembly.Memory } }).k.memory.buffer.byteLength;
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

const D = 6;
const x = Float32Array.from({ length: 16 * D }, (_, i) => Math.sin(0.37 * i) + 0.2 * Math.cos(2.1 * i));
const probe = x.subarray(0, 4 * D);

describe('soak', () => {
  it(`${CYCLES} create/fit/score/save/load/dispose cycles: the same bits every cycle, RSS bounded`, async () => {
    let first: { score: string; bytes: string } | null = null;
    const cycle = async () => {
      const ae = await Autoencoder.create({ inputDim: D, layers: [4, 2], normalize: 'standard', seed: 5 });
      await ae.fit(x, { epochs: 1, batchSize: 8 });
      const s = bits(ae.score(probe));
      const bytes = ae.save();
      const copy = await Autoencoder.load(bytes);
      const s2 = bits(copy.score(probe));
      ae.dispose();
      copy.dispose();
      expect(() => copy.score(probe)).toThrow(AutoencoderError);
      return { score: s, copyScore: s2, bytes: Buffer.from(bytes).toString('hex') };
    };
    // warm-up: the first cycles compile the module and JIT the bindings
    for (let i = 0; i < 50; i++) {
      const r = await cycle();
      first ??= { score: r.score, bytes: r.bytes };
    }
    const rss0 = settledRss();
    const t0 = performance.now();
    let mismatches = 0;
    for (let i = 0; i < CYCLES; i++) {
      const r = await cycle();
      if (r.score !== first!.score || r.copyScore !== first!.score || r.bytes !== first!.bytes) mismatches++;
    }
    const ms = performance.now() - t0;
    const rss1 = settledRss();
    console.log(`soak cycles: ${CYCLES} cycles in ${(ms / 1000).toFixed(1)} s; RSS after GC ${mib(rss0)} -> ${mib(rss1)} MiB (growth ${mib(rss1 - rss0)} MiB, bound ${mib(RSS_BOUND)} MiB); mismatching cycles ${mismatches}`);
    expect(mismatches).toBe(0);
    expect(rss1 - rss0).toBeLessThan(RSS_BOUND);
  }, 300_000);

  it(`${SCORES} score() calls on one model: wasm memory does not grow, RSS bounded`, async () => {
    const ae = await Autoencoder.create({ inputDim: D, layers: [4, 2], normalize: 'standard', seed: 5 });
    await ae.fit(x, { epochs: 1 });
    const one = probe.subarray(0, D);
    const want = bits(ae.score(probe)), wantOne = bits(ae.score(one));
    for (let i = 0; i < 100; i++) { ae.score(probe); ae.score(one); } // warm-up (the one-row path packs its weights once)
    const wasm0 = wasmBytes(ae), rss0 = settledRss();
    const t0 = performance.now();
    let mismatches = 0;
    for (let i = 0; i < SCORES; i++) {
      // alternate a 4-row batch and a single row (two code paths), each always the same size
      const s = i % 2 ? ae.score(one) : ae.score(probe);
      if (i % 1000 < 2 && bits(s) !== (i % 2 ? wantOne : want)) mismatches++;
    }
    const ms = performance.now() - t0;
    const wasm1 = wasmBytes(ae), rss1 = settledRss();
    console.log(`soak scores: ${SCORES} score() calls in ${(ms / 1000).toFixed(1)} s; wasm memory ${wasm0} -> ${wasm1} bytes (bound: no growth); RSS after GC ${mib(rss0)} -> ${mib(rss1)} MiB (growth ${mib(rss1 - rss0)} MiB, bound ${mib(RSS_BOUND)} MiB); sampled mismatches ${mismatches}`);
    expect(mismatches).toBe(0);
    expect(wasm1).toBe(wasm0);
    expect(rss1 - rss0).toBeLessThan(RSS_BOUND);
  }, 300_000);
});
