// fd.ts: central finite differences, the oracle that proves the reference's own gradients, and the
// seeded test PRNG the reference tests draw their inputs from.
// g[i] = (f(x + h e_i) - f(x - h e_i)) / 2h: truncation error h^2 f'''/6, rounding ~ 1e-16 |f| / h.

/** Central-difference gradient of f at x (x is restored after each probe). */
export function fdGrad(f: () => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i]!;
    x[i] = x0 + h; const fp = f();
    x[i] = x0 - h; const fm = f();
    x[i] = x0;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/** Test-local PRNG (xorshift32, integer code): uniform in [lo, hi). */
export function rng(seed: number): (lo?: number, hi?: number) => number {
  let s = seed >>> 0 || 1;
  return (lo = 0, hi = 1) => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return lo + (hi - lo) * (s / 4294967296);
  };
}

/** n values drawn from r in [lo, hi). */
export function randArray(r: ReturnType<typeof rng>, n: number, lo: number, hi: number): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = r(lo, hi);
  return a;
}
