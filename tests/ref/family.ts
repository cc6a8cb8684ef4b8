// family.ts: the float64 reference of the dense autoencoder family (issue 11), forward only, written
// from the conventions: sparse L1 and KL penalties on z, the VAE's [mean, logVar] head, the
// reparameterised z = mu + exp(logVar/2) eps (eps given), its KL / inputDim weighted by beta,
// the 1/2 on a VAE's mse, a conditional VAE's [x, c] and [z, c], and the rate term (the code's bits under a unit
// Laplace prior, rate * sum|z| / (ln 2 inputDim) a row, with the decoder reading z + u - 1/2, u given). Gradients come from central
// finite differences of this forward (fd.ts), so they are independent of any backward code.
import { actDerivative, actForward } from './act.js';
import { elementLoss } from './loss.js';

export interface FamilySpec {
  inputDim: number; layers: number[]; activation: string; latentActivation: string; outputActivation: string; loss: string;
  sparsity?: { l1: number } | { kl: { rho: number; weight: number } };
  variational?: { beta: number };
  conditionDim?: number;
  contractive?: number;
  rate?: number;
}

/** y[R][O] = act(x[R][I] W[I][O] + b); `pre` receives the pre-activations when given. */
function dense(x: Float64Array, R: number, I: number, O: number, W: ArrayLike<number>, b: ArrayLike<number>, act: string, pre?: Float64Array): Float64Array {
  const y = new Float64Array(R * O);
  for (let r = 0; r < R; r++) {
    for (let o = 0; o < O; o++) {
      let s = b[o]!;
      for (let i = 0; i < I; i++) s += x[r * I + i]! * W[i * O + o]!;
      if (pre) pre[r * O + o] = s;
      y[r * O + o] = actForward(act, s);
    }
  }
  return y;
}

/** ||dz/dx||_F^2 of row r through the encoder layers (pre-activations, weights, widths, activations). */
function jacobianNorm2(layers: { pre: Float64Array; W: ArrayLike<number>; I: number; O: number; act: string }[], r: number, D: number): number {
  let J: number[][] = Array.from({ length: D }, (_, i) => Array.from({ length: D }, (_, d) => (i === d ? 1 : 0)));
  for (const l of layers) {
    J = Array.from({ length: l.O }, (_, o) => {
      const s = actDerivative(l.act, l.pre[r * l.O + o]!);
      return Array.from({ length: D }, (_, d) => s * J.reduce((acc, row, i) => acc + l.W[i * l.O + o]! * row[d]!, 0));
    });
  }
  return J.flat().reduce((a, v) => a + v * v, 0);
}

function concat(a: Float64Array, A: number, c: ArrayLike<number>, K: number, R: number): Float64Array {
  const y = new Float64Array(R * (A + K));
  for (let r = 0; r < R; r++) {
    for (let j = 0; j < A; j++) y[r * (A + K) + j] = a[r * A + j]!;
    for (let j = 0; j < K; j++) y[r * (A + K) + A + j] = c[r * K + j]!;
  }
  return y;
}

/** The loss terms (as added, weighted) of R rows: weights are getWeights() order, eps[R][L] the VAE's draws. */
export function familyTerms(s: FamilySpec, weights: ArrayLike<number>[], x: ArrayLike<number>, R: number,
  opts: { eps?: ArrayLike<number>; cond?: ArrayLike<number>; u?: ArrayLike<number> } = {}): Record<string, number> {
  const D = s.inputDim, K = s.conditionDim ?? 0, nEnc = s.layers.length, L = s.layers[nEnc - 1]!;
  const widths = [D, ...s.layers, ...s.layers.slice(0, -1).reverse(), D];
  let h: Float64Array = Float64Array.from(x);
  let w = D;
  if (K) { h = concat(h, D, opts.cond!, K, R); w = D + K; }
  let wi = 0;
  let z: Float64Array = h;
  const terms: Record<string, number> = {};
  const enc: { pre: Float64Array; W: ArrayLike<number>; I: number; O: number; act: string }[] = [];
  for (let i = 0; i < widths.length - 1; i++) {
    const last = i === widths.length - 2, latent = i === nEnc - 1;
    const out = latent && s.variational ? 2 * L : widths[i + 1]!;
    const act = latent ? s.latentActivation : last ? s.outputActivation : s.activation;
    const pre = new Float64Array(R * out);
    if (i < nEnc) enc.push({ pre, W: weights[wi]!, I: w, O: out, act });
    h = dense(h, R, w, out, weights[wi]!, weights[wi + 1]!, act, pre);
    wi += 2;
    w = out;
    if (latent) {
      if (s.variational) {
        let kl = 0;
        z = new Float64Array(R * L);
        for (let r = 0; r < R; r++) {
          for (let j = 0; j < L; j++) {
            const mu = h[r * 2 * L + j]!, lv = h[r * 2 * L + L + j]!;
            kl += -0.5 * (1 + lv - mu * mu - Math.exp(lv));
            z[r * L + j] = mu + Math.exp(lv / 2) * opts.eps![r * L + j]!;
          }
        }
        terms.kl = (s.variational.beta / D) * kl / R;
        h = z;
        w = L;
      } else z = h;
      if (s.sparsity && 'l1' in s.sparsity) terms.sparsity = s.sparsity.l1 * z.reduce((a, v) => a + Math.abs(v), 0) / R;
      if (s.sparsity && 'kl' in s.sparsity) {
        const { rho, weight } = s.sparsity.kl;
        let pen = 0;
        for (let j = 0; j < L; j++) {
          let m = 0;
          for (let r = 0; r < R; r++) m += z[r * L + j]!;
          m = Math.min(Math.max(m / R, 1e-7), 1 - 1e-7);
          pen += rho * Math.log(rho / m) + (1 - rho) * Math.log((1 - rho) / (1 - m));
        }
        terms.sparsity = weight * pen;
      }
      if (s.contractive !== undefined) {
        let c = 0;
        for (let r = 0; r < R; r++) c += jacobianNorm2(enc, r, D);
        terms.contractive = s.contractive * c / R;
      }
      if (s.rate !== undefined) {
        terms.rate = s.rate * z.reduce((a, v) => a + Math.abs(v), 0) / (Math.LN2 * D * R);
        h = z.map((v, i) => v + opts.u![i]! - 0.5);
      }
      if (K) { h = concat(h, L, opts.cond!, K, R); w = L + K; }
    }
  }
  let rec = 0;
  for (let i = 0; i < R * D; i++) rec += elementLoss(s.loss, h[i]!, x[i]!);
  terms.reconstruction = (s.variational && s.loss === 'mse' ? 0.5 : 1) * rec / (R * D);
  return terms;
}
