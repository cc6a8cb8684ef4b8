// fd.ts: central finite differences, the oracle that proves the reference's own gradients.
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
