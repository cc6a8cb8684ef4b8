// peak.mjs: W5's physical limit of wasm SIMD on this machine, as a separate micro-kernel module
// (nothing here ships or touches assembly/). For each accumulator count n of workloads.json
// (4, 8, 12, 16) it writes a WebAssembly text function whose loop body updates n independent f32x4
// accumulators, acc_i = f32x4.add(f32x4.mul(acc_i, m), c), i.e. one f32x4.mul + one f32x4.add per
// accumulator per iteration (8 flops: 4 lanes x 2), the same mul + add pair (no FMA, no relaxed
// SIMD) the package's GEMM is made of. The chains are independent, so with enough of them the loop
// is bound by the CPU's SIMD mul/add throughput rather than their latency; too many spill registers.
// The text is assembled at run time with binaryen's JS API (binaryen.parseText + emitBinary, no
// optimization passes; binaryen is assemblyscript's own dependency, so already installed), then
// instantiated and called `calls` times with `iters_per_call` iterations (after one short warmup
// call, so V8's optimizing tier runs the timed calls). GFLOP/s = iters * n * 8 / s; the peak is the
// best over calls and accumulator counts. Each function returns lane 0 of the accumulators' sum,
// checked against the same float32 recurrence computed here in JS (the loop really ran).
//   node tools/bench/peak/peak.mjs [--quick]    prints `@@RESULT <json>` (../common.mjs); W5 itself runs
//   from ../w5.mjs, which imports this sweep and times this package's GEMM beside it
import binaryen from 'binaryen';
import { loadWorkloads, main, median, quickOnly } from '../common.mjs';

const M = 0.9999, C = 0.0001;   // acc -> acc * M + C converges to C / (1 - M) = 1: no overflow, no denormals
const init = (i) => (i + 1) * 0.01;

/** The WebAssembly text of one kernel with n accumulators: (param iters i32) (result f32). */
export function kernelWat(n) {
  const ids = Array.from({ length: n }, (_, i) => i);
  let sum = '(local.get $a0)';
  for (let i = 1; i < n; i++) sum = `(f32x4.add ${sum} (local.get $a${i}))`;
  return `
  (func $peak${n} (export "peak${n}") (param $iters i32) (result f32)
    (local $m v128) (local $c v128) ${ids.map((i) => `(local $a${i} v128)`).join(' ')}
    (local.set $m (f32x4.splat (f32.const ${M})))
    (local.set $c (f32x4.splat (f32.const ${C})))
    ${ids.map((i) => `(local.set $a${i} (f32x4.splat (f32.const ${init(i)})))`).join('\n    ')}
    (loop $l
      ${ids.map((i) => `(local.set $a${i} (f32x4.add (f32x4.mul (local.get $a${i}) (local.get $m)) (local.get $c)))`).join('\n      ')}
      (local.set $iters (i32.sub (local.get $iters) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $iters) (i32.const 0))))
    (f32x4.extract_lane 0 ${sum}))`;
}

/** Assembles the module text into wasm bytes (SIMD enabled, validated, not optimized). */
export function assemble(text) {
  const mod = binaryen.parseText(text);
  try {
    mod.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128);
    if (!mod.validate()) throw new Error('the peak kernel module does not validate');
    return mod.emitBinary();
  } finally {
    mod.dispose();
  }
}

/** What peak<n>(iters) must return: the same recurrence in float32, summed as the kernel sums. */
function expected(n, iters) {
  const f = Math.fround, m = f(M), c = f(C);
  const accs = [];
  for (let i = 0; i < n; i++) {
    let a = f(init(i));
    for (let k = 0; k < iters; k++) a = f(f(a * m) + c);
    accs.push(a);
  }
  return accs.reduce((s, a, i) => (i === 0 ? a : f(s + a)));
}

/** The peak module's instance (one function per accumulator count) and its size in bytes. */
export async function peakModule(accumulators) {
  const bytes = assemble(`(module ${accumulators.map(kernelWat).join('\n')})`);
  const { instance } = await WebAssembly.instantiate(bytes);
  return { instance, bytes: bytes.length };
}

/** The sweep of workloads.json `W` (loadWorkloads): every accumulator count, `calls` calls each; GFLOP/s per call and the best. */
export async function peak(W) {
  const { accumulators, iters_per_call: iters, calls } = W.W5.peak;
  const { instance, bytes: moduleBytes } = await peakModule(accumulators);
  const rows = [];
  for (const n of accumulators) {
    const fn = instance.exports[`peak${n}`];
    fn(10_000);   // warmup: tier-up to V8's optimizing compiler
    const gflops = [];
    let value = 0;
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      value = fn(iters);
      const s = (performance.now() - t0) / 1000;
      gflops.push((iters * n * 8) / s / 1e9);
    }
    const want = expected(n, iters);
    rows.push({ accumulators: n, gflops_best: Math.max(...gflops), gflops_median: median(gflops), value, expected: want, ok: Object.is(value, want) });
  }
  const best = rows.reduce((a, r) => (r.gflops_best > a.gflops_best ? r : a));
  return {
    peak: { gflops: best.gflops_best, accumulators: best.accumulators, iters_per_call: iters, calls, rows, module_bytes: moduleBytes },
    reference: { ok: rows.every((r) => r.ok), against: 'the float32 recurrence recomputed in JS' },
    versions: { node: process.version, v8: process.versions.v8 },
    instance,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const W = loadWorkloads(quickOnly('node tools/bench/peak/peak.mjs', "W5's wasm SIMD peak alone (f32x4 mul+add, 4-16 accumulators); prints `@@RESULT <json>`"));
  main(async () => {
    const { instance: _, ...r } = await peak(W);
    return r;
  });
}
