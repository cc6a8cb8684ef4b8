// w5.mjs: W5, the physical limit of wasm SIMD on this machine and how close this package's GEMM
// gets to it, in one process:
//   1. the peak sweep of peak/peak.mjs (a separate WAT micro-kernel module: independent f32x4
//      mul+add accumulators, 4/8/12/16; the best GFLOP/s over calls and accumulator counts);
//   2. this package's GEMM, m x n x k of workloads.json, through the raw export ae_gemm of
//      build/kernels-test.wasm (the tests' module: its asserts check the arguments once a call;
//      instantiated here with dist/bindings/wasm.js instantiateKernel;
//      buffers from the Kernel's alloc), checked bit for bit against ae_gemm_scalar and against a
//      float64 product; `calls` timed calls after warmup: median and best GFLOP/s;
//   3. paired rounds: the machine is a shared VM whose vCPU can lose throughput to a co-tenant on
//      the same physical core (no steal time, no lost CPU time shows it), so a GEMM median and a
//      peak taken at different moments drift apart. Each of `peak.calls` rounds times one call of
//      the best peak kernel and then GEMM calls back to back; the per-round ratio GEMM / peak shares
//      the machine's state, and its median is the "% of peak" the table judges.
//   node tools/bench/w5.mjs [--quick]   prints `@@RESULT <json>` (common.mjs)
import { readFileSync } from 'node:fs';
import { ROOT, loadWorkloads, main, median, quickOnly, summary, timeCalls, uniform } from './common.mjs';
import { peak } from './peak/peak.mjs';

const QUICK = quickOnly('node tools/bench/w5.mjs', "W5: the wasm SIMD f32x4 mul+add peak and this package's GEMM, paired; prints `@@RESULT <json>`");
const W = loadWorkloads(QUICK);

main(async () => {
  const p = await peak(W);
  const { instance, ...peakResult } = p;

  const { instantiateKernel } = await import(`${ROOT}dist/bindings/wasm.js`);
  // the tests' module (build/kernels-test.wasm: the shipped kernels plus the raw ae_gemm this script calls;
  // dist/bindings/wasm.js is not mangled, so it calls the long export names)
  const k = await instantiateKernel(await WebAssembly.compile(readFileSync(`${ROOT}build/kernels-test.wasm`)));
  const { m: M, n: N, k: K, calls } = W.W5.gemm;
  const A = uniform(M, K, W.seed, 50), B = uniform(K, N, W.seed, 51);
  const a = k.alloc(M * K * 4), b = k.alloc(K * N * 4), c = k.alloc(M * N * 4), c2 = k.alloc(M * N * 4);
  k.f32(a, M * K).set(A);
  k.f32(b, K * N).set(B);
  // C = A.B: A row-major (row stride K, column stride 1, in elements), no bias (mode 0), linear (act 0)
  const gemm = () => k.x.ae_gemm(M, N, K, a, K, 1, b, N, c, N, 0, 0, 0);
  gemm();
  // correct: the same bits as the scalar kernel (same sum order), and close to a float64 product
  k.x.ae_gemm_scalar(M, N, K, a, K, 1, b, N, c2, N, 0, 0, 0);
  const C = k.f32(c, M * N).slice(), C2 = k.f32(c2, M * N);
  let sameBits = true;
  for (let i = 0; i < C.length; i++) if (!Object.is(C[i], C2[i])) { sameBits = false; break; }
  let rel = 0;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let l = 0; l < K; l++) s += A[i * K + l] * B[l * N + j];
      rel = Math.max(rel, Math.abs(C[i * N + j] - s) / Math.abs(s));
    }
  }
  const flops = 2 * M * N * K;
  const gf = (ms) => flops / (ms / 1000) / 1e9;
  const ms = await timeCalls(gemm, 3, calls);

  // paired rounds: one call of the best peak kernel, then GEMM calls for about as long
  const best = p.peak.accumulators;
  const kernel = instance.exports[`peak${best}`];
  const iters = W.W5.peak.iters_per_call;
  const perGemm = Math.max(1, Math.round(median(ms)));
  const rounds = [];
  for (let r = 0; r < W.W5.peak.calls; r++) {
    let t0 = performance.now();
    kernel(iters);
    const peakS = (performance.now() - t0) / 1000;
    const gms = [];
    const n = Math.max(3, Math.round((peakS * 1000) / perGemm));
    for (let i = 0; i < n; i++) {
      t0 = performance.now();
      gemm();
      gms.push(performance.now() - t0);
    }
    const peakGf = (iters * best * 8) / peakS / 1e9, gemmGf = gf(median(gms));
    rounds.push({ peak_gflops: peakGf, gemm_gflops: gemmGf, ratio: gemmGf / peakGf });
  }
  return {
    ...peakResult,
    gemm: {
      m: M, n: N, k: K, ...summary(ms),
      gflops: gf(median(ms)),
      gflops_best: gf(Math.min(...ms)),
      same_bits_as_scalar: sameBits,
      max_rel_err_vs_f64: rel,
    },
    paired: { accumulators: best, rounds, ratio_median: median(rounds.map((r) => r.ratio)) },
    reference: {
      ok: peakResult.reference.ok && sameBits && rel < 1e-5, maxDiff: rel,
      against: 'peak: its float32 recurrence; GEMM: ae_gemm_scalar bits and a float64 product (relative)',
    },
    memory: { wasm_bytes: k.x.memory.buffer.byteLength },
    versions: { ...peakResult.versions, kernelsWasmBytes: readFileSync(`${ROOT}dist/build/kernels.wasm`).length },
  };
});
