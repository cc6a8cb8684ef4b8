// One optimizer step for a single parameter array, float64, following the update rules
// written out in the PyTorch docs/source of torch.optim.SGD (momentum, dampening=0,
// nesterov=False), torch.optim.Adam and torch.optim.AdamW (decoupled weight decay).
// Pure functions: inputs are never mutated; every step returns fresh Float64Arrays
// (new weights and new optimizer state) that the caller feeds into the next step.

/** w - lr*g. */
export function sgdStep(w: ArrayLike<number>, g: ArrayLike<number>, lr: number): Float64Array {
  const out = Float64Array.from(w);
  for (let i = 0; i < out.length; i++) out[i]! -= lr * g[i]!;
  return out;
}

/**
 * SGD with momentum: buf = g on the first step (PyTorch's buffer is None then),
 * else buf = momentum*buf + g; w -= lr*buf. With a zero-filled buf both branches agree.
 */
export function momentumStep(
  w: ArrayLike<number>, g: ArrayLike<number>, buf: ArrayLike<number>, lr: number,
  momentum = 0.9, firstStep = false,
): { w: Float64Array; buf: Float64Array } {
  const nw = Float64Array.from(w);
  const nb = new Float64Array(nw.length);
  for (let i = 0; i < nw.length; i++) {
    nb[i] = firstStep ? g[i]! : momentum * buf[i]! + g[i]!;
    nw[i]! -= lr * nb[i]!;
  }
  return { w: nw, buf: nb };
}

/**
 * Adam, t = 1-based step count (already incremented). PyTorch order:
 * m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; step = lr/(1-b1^t);
 * denom = sqrt(v)/sqrt(1-b2^t) + eps; w -= step * m/denom.
 */
export function adamStep(
  w: ArrayLike<number>, g: ArrayLike<number>, m: ArrayLike<number>, v: ArrayLike<number>,
  t: number, lr: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8,
): { w: Float64Array; m: Float64Array; v: Float64Array } {
  if (!(t >= 1)) throw new Error('adam step count t must be >= 1');
  const nw = Float64Array.from(w);
  const nm = new Float64Array(nw.length);
  const nv = new Float64Array(nw.length);
  const bc1 = 1 - Math.pow(beta1, t);
  const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
  const step = lr / bc1;
  for (let i = 0; i < nw.length; i++) {
    const gi = g[i]!;
    nm[i] = beta1 * m[i]! + (1 - beta1) * gi;
    nv[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
    const denom = Math.sqrt(nv[i]!) / bc2Sqrt + eps;
    nw[i]! -= step * (nm[i]! / denom);
  }
  return { w: nw, m: nm, v: nv };
}

/** AdamW: w *= (1 - lr*weightDecay) first, then the Adam step above. */
export function adamwStep(
  w: ArrayLike<number>, g: ArrayLike<number>, m: ArrayLike<number>, v: ArrayLike<number>,
  t: number, lr: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01,
): { w: Float64Array; m: Float64Array; v: Float64Array } {
  const decayed = Float64Array.from(w);
  for (let i = 0; i < decayed.length; i++) decayed[i]! *= 1 - lr * weightDecay;
  return adamStep(decayed, g, m, v, t, lr, beta1, beta2, eps);
}
