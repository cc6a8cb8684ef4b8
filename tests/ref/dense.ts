// Dense (fully connected) layer and whole-network forward/backward for the reference.
// Layout: W is [I][O] row-major (Keras layout; PyTorch's nn.Linear stores W^T), b is [O],
// X is [B][I], Y = act(X·W + b) is [B][O]. Backward is the chain rule:
// dZ = dA ⊙ act'(a), dX = dZ·W^T, dW = X^T·dZ, db = column sums of dZ
// (same quantities PyTorch autograd produces for nn.Linear followed by the activation).

import { actBackwardFromOutput, actForward } from './act.js';
import { bceSigmoidGradZ, lossGrad, lossValue } from './loss.js';

function need(arr: ArrayLike<number>, len: number, what: string): void {
  if (arr.length !== len) throw new Error(`${what}: expected length ${len}, got ${arr.length}`);
}

export function denseForward(
  x: ArrayLike<number>, B: number, I: number, O: number,
  W: ArrayLike<number>, b: ArrayLike<number>, act: string,
): { z: Float64Array; a: Float64Array } {
  need(x, B * I, 'x'); need(W, I * O, 'W'); need(b, O, 'b');
  const z = new Float64Array(B * O);
  const a = new Float64Array(B * O);
  for (let r = 0; r < B; r++) {
    for (let o = 0; o < O; o++) {
      let s = b[o]!;
      for (let i = 0; i < I; i++) s += x[r * I + i]! * W[i * O + o]!;
      z[r * O + o] = s;
      a[r * O + o] = actForward(act, s);
    }
  }
  return { z, a };
}

/** Backward given dZ (d loss / d pre-activation) directly. */
export function denseBackwardFromDZ(
  x: ArrayLike<number>, B: number, I: number, O: number,
  W: ArrayLike<number>, dZ: ArrayLike<number>,
): { dX: Float64Array; dW: Float64Array; db: Float64Array } {
  need(x, B * I, 'x'); need(W, I * O, 'W'); need(dZ, B * O, 'dZ');
  const dX = new Float64Array(B * I);
  const dW = new Float64Array(I * O);
  const db = new Float64Array(O);
  for (let r = 0; r < B; r++) {
    for (let o = 0; o < O; o++) {
      const g = dZ[r * O + o]!;
      db[o]! += g;
      for (let i = 0; i < I; i++) {
        dX[r * I + i]! += g * W[i * O + o]!;
        dW[i * O + o]! += x[r * I + i]! * g;
      }
    }
  }
  return { dX, dW, db };
}

/** Backward given dA (d loss / d output) and the layer output a. */
export function denseBackward(
  x: ArrayLike<number>, B: number, I: number, O: number,
  W: ArrayLike<number>, a: ArrayLike<number>, dA: ArrayLike<number>, act: string,
): { dX: Float64Array; dW: Float64Array; db: Float64Array; dZ: Float64Array } {
  need(a, B * O, 'a'); need(dA, B * O, 'dA');
  const dZ = new Float64Array(B * O);
  for (let k = 0; k < B * O; k++) dZ[k] = dA[k]! * actBackwardFromOutput(act, a[k]!);
  return { ...denseBackwardFromDZ(x, B, I, O, W, dZ), dZ };
}

/** sizes = [n0, n1, ..., nL]; acts[l] is layer l's activation; params = [W1, b1, ..., WL, bL]. */
export type RefNet = { sizes: number[]; acts: string[]; params: Float64Array[] };

function checkNet(net: RefNet): number {
  const L = net.sizes.length - 1;
  if (L < 1 || net.acts.length !== L || net.params.length !== 2 * L) throw new Error('malformed RefNet');
  for (let l = 0; l < L; l++) {
    need(net.params[2 * l]!, net.sizes[l]! * net.sizes[l + 1]!, `W${l + 1}`);
    need(net.params[2 * l + 1]!, net.sizes[l + 1]!, `b${l + 1}`);
  }
  return L;
}

/** Forward pass keeping pre-activations too: zs[l], as[l] are layer l's [B][sizes[l+1]] outputs. */
export function netForwardFull(net: RefNet, x: ArrayLike<number>, B: number): { zs: Float64Array[]; as: Float64Array[] } {
  const L = checkNet(net);
  const zs: Float64Array[] = [];
  const as: Float64Array[] = [];
  let h: ArrayLike<number> = x;
  for (let l = 0; l < L; l++) {
    const { z, a } = denseForward(h, B, net.sizes[l]!, net.sizes[l + 1]!, net.params[2 * l]!, net.params[2 * l + 1]!, net.acts[l]!);
    zs.push(z); as.push(a); h = a;
  }
  return { zs, as };
}

/** Layer outputs (post-activation), one per layer; the last one is the network output. Input not included. */
export function netForward(net: RefNet, x: ArrayLike<number>, B: number): Float64Array[] {
  return netForwardFull(net, x, B).as;
}

/**
 * Mean loss of the network output against target, and its gradient wrt every parameter
 * (grads in the same order as params). When the last activation is 'sigmoid' and the loss
 * is 'bce', the last layer uses the fused gradient dZ = (p - t)/N wrt the pre-sigmoid z
 * instead of dA·a(1-a), exactly as BCEWithLogits-style fusion does.
 */
export function netLossAndGrads(
  net: RefNet, x: ArrayLike<number>, target: ArrayLike<number>, B: number, loss: string,
): { loss: number; grads: Float64Array[] } {
  const L = checkNet(net);
  const { as } = netForwardFull(net, x, B);
  const out = as[L - 1]!;
  const value = lossValue(loss, out, target);
  const grads: Float64Array[] = new Array<Float64Array>(2 * L);
  let dZ: Float64Array;
  if (net.acts[L - 1] === 'sigmoid' && loss === 'bce') {
    dZ = bceSigmoidGradZ(out, target);
  } else {
    const dA = lossGrad(loss, out, target);
    dZ = new Float64Array(dA.length);
    for (let k = 0; k < dA.length; k++) dZ[k] = dA[k]! * actBackwardFromOutput(net.acts[L - 1]!, out[k]!);
  }
  for (let l = L - 1; l >= 0; l--) {
    const I = net.sizes[l]!, O = net.sizes[l + 1]!;
    const input: ArrayLike<number> = l === 0 ? x : as[l - 1]!;
    const { dX, dW, db } = denseBackwardFromDZ(input, B, I, O, net.params[2 * l]!, dZ);
    grads[2 * l] = dW; grads[2 * l + 1] = db;
    if (l > 0) {
      const prev = as[l - 1]!, act = net.acts[l - 1]!;
      dZ = new Float64Array(dX.length);
      for (let k = 0; k < dX.length; k++) dZ[k] = dX[k]! * actBackwardFromOutput(act, prev[k]!);
    }
  }
  return { loss: value, grads };
}
