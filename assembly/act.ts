// act.ts: elementwise activations, forward in place and backward from the saved output.
// Every derivative here is written in terms of the activation's OUTPUT a (relu: a > 0, tanh:
// 1 - a^2, sigmoid: a (1 - a), elu: a + 1 below zero), so forward keeps only its output and no
// pre-activation cache. Backward overwrites dA with dZ = dA * f'(a) (overwrite policy).
// leakyRelu slope 0.01 and elu alpha 1 follow PyTorch's defaults.

import { f32_exp_scalar, f32_exp_simd, f32_sigmoid_scalar, f32_sigmoid_simd, f32_sigmoid_simd_x2, f32_tanh_scalar, f32_tanh_simd, f32_tanh_simd_x2, f32_tanh_simd_x4 } from './math';

export const ACT_LINEAR: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_LEAKY_RELU: i32 = 2;
export const ACT_ELU: i32 = 3;
export const ACT_TANH: i32 = 4;
export const ACT_SIGMOID: i32 = 5;
export const ACT_COUNT: i32 = 6;

const LEAKY: f32 = 0.01;

/**
 * max(x, +0) lane by lane with f32x4.max's bits (x > 0: x; -0 and below: +0; NaN: a NaN) in two
 * instructions, where V8 spends about eight (four on the FP ports) on f32x4.max's NaN and signed-zero
 * rules: pmax(x, 0) (x < 0 ? 0 : x, one maxps), then + 0, which turns the -0 that pmax keeps into +0
 * and changes nothing else. Relu follows every conv and most dense layers, so this is on every path.
 */
// @ts-ignore: decorator
@inline export function relu_v128(x: v128): v128 {
  const z = v128.xor(x, x);   // +0 in every lane (shorter in the module than a v128.const, twice per use)
  return f32x4.add(f32x4.pmax(x, z), z);
}

// @ts-ignore: decorator
@inline export function act_simd(act: i32, x: v128): v128 {
  switch (act) {
    case ACT_RELU: return relu_v128(x);
    case ACT_LEAKY_RELU: return f32x4.max(x, f32x4.mul(x, f32x4.splat(LEAKY)));
    case ACT_ELU: {
      const e = f32x4.sub(f32_exp_simd(f32x4.min(x, f32x4.splat(0))), f32x4.splat(1));
      return v128.bitselect(x, e, f32x4.gt(x, f32x4.splat(0)));
    }
    case ACT_TANH: return f32_tanh_simd(x);
    case ACT_SIGMOID: return f32_sigmoid_simd(x);
    default: return x;
  }
}

// @ts-ignore: decorator
@inline export function act_scalar(act: i32, x: f32): f32 {
  switch (act) {
    case ACT_RELU: return max<f32>(x, 0);
    case ACT_LEAKY_RELU: return max<f32>(x, x * LEAKY);
    case ACT_ELU: return x > 0 ? x : f32_exp_scalar(min<f32>(x, 0)) - <f32>1;
    case ACT_TANH: return f32_tanh_scalar(x);
    case ACT_SIGMOID: return f32_sigmoid_scalar(x);
    default: return x;
  }
}

/** f(x) for one vector / one value, out of line: the one copy of each activation's code that
 *  act_forward and the GEMM's fused store share (relu, the common case, stays inline in both).
 *  asc's AS112 ("exchange of v128 values") fires on any non-inline function declared `export`,
 *  even one only imported by gemm.ts and never a module export (abi.ts exports scalars only;
 *  tests/abi.test.ts checks the list), so asconfig.json disables that one warning code. */
export function act_v128(act: i32, x: v128): v128 { return act_simd(act, x); }
export function act_f32(act: i32, x: f32): f32 { return act_scalar(act, x); }

/** y[i] = f(y[i]) for i < n, in place. y: n floats. */
export function act_forward(act: i32, y: usize, n: i32): void {
  if (act == ACT_LINEAR) return;
  let i = 0;
  if (act == ACT_RELU) {
    for (; i + 4 <= n; i += 4) {
      const p = y + (<usize>i << 2);
      v128.store(p, relu_v128(v128.load(p)));
    }
  } else if (act == ACT_TANH || act == ACT_SIGMOID) {
    // inline, two vectors per pass (independent chains, each constant loaded once for both): tanh and
    // sigmoid are the costly activations (small dense layers; image and [0, 1] outputs), where a call
    // and a switch per vector showed in the profile (sigmoid that way: 60 against 51.5 us for tab30's
    // shape with sigmoid everywhere, batch 256)
    const tanh = act == ACT_TANH;
    if (tanh) for (; i + 16 <= n; i += 16) f32_tanh_simd_x4(y + (<usize>i << 2));
    for (; i + 8 <= n; i += 8) {
      const p = y + (<usize>i << 2);
      if (tanh) f32_tanh_simd_x2(p);
      else f32_sigmoid_simd_x2(p);
    }
    for (; i + 4 <= n; i += 4) {
      const p = y + (<usize>i << 2);
      v128.store(p, tanh ? f32_tanh_simd(v128.load(p)) : f32_sigmoid_simd(v128.load(p)));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const p = y + (<usize>i << 2);
      v128.store(p, act_v128(act, v128.load(p)));
    }
  }
  for (; i < n; i++) {
    const p = y + (<usize>i << 2);
    store<f32>(p, act_f32(act, load<f32>(p)));
  }
}

// f'(a) as a function of the output a: the one table of derivatives.
// @ts-ignore: decorator
@inline function dact_simd(act: i32, a: v128): v128 {
  const one = f32x4.splat(1);
  switch (act) {
    case ACT_RELU: return v128.and(one, f32x4.gt(a, f32x4.splat(0)));
    case ACT_LEAKY_RELU: return v128.bitselect(one, f32x4.splat(LEAKY), f32x4.gt(a, f32x4.splat(0)));
    case ACT_ELU: return v128.bitselect(one, f32x4.add(a, one), f32x4.gt(a, f32x4.splat(0)));
    case ACT_TANH: return f32x4.sub(one, f32x4.mul(a, a));
    case ACT_SIGMOID: return f32x4.mul(a, f32x4.sub(one, a));
    default: return one;
  }
}

// @ts-ignore: decorator
@inline export function dact_scalar(act: i32, a: f32): f32 {
  switch (act) {
    case ACT_RELU: return a > 0 ? <f32>1 : <f32>0;
    case ACT_LEAKY_RELU: return a > 0 ? <f32>1 : LEAKY;
    case ACT_ELU: return a > 0 ? <f32>1 : a + <f32>1;
    case ACT_TANH: return <f32>1 - a * a;
    case ACT_SIGMOID: return a * (<f32>1 - a);
    default: return 1;
  }
}

/** f''(z) written in terms of the output a = f(z) (the contractive penalty's gradient needs it). */
export function d2act_scalar(act: i32, a: f32): f32 {
  switch (act) {
    case ACT_ELU: return a > 0 ? <f32>0 : a + <f32>1;
    case ACT_TANH: return <f32>-2 * a * (<f32>1 - a * a);
    case ACT_SIGMOID: return a * (<f32>1 - a) * (<f32>1 - <f32>2 * a);
    default: return 0;   // linear, relu, leakyRelu: piecewise linear
  }
}

/** d[i] *= f'(a[i]) for i < n: turns dA into dZ. d, a: n floats. */
export function act_backward(act: i32, d: usize, a: usize, n: i32): void {
  if (act == ACT_LINEAR) return;
  let i = 0;
  if (act == ACT_RELU) {
    // relu (every conv and most dense layers) in its own loop, two vectors a pass: the same mask and multiply
    // as dact_simd's, without the switch on act at every vector that the loop below runs
    const one = f32x4.splat(1), z = f32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const p = d + (<usize>i << 2), q = a + (<usize>i << 2);
      const m0 = v128.and(one, f32x4.gt(v128.load(q), z)), m1 = v128.and(one, f32x4.gt(v128.load(q, 16), z));
      v128.store(p, f32x4.mul(v128.load(p), m0));
      v128.store(p, f32x4.mul(v128.load(p, 16), m1), 16);
    }
  }
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(d + off, f32x4.mul(v128.load(d + off), dact_simd(act, v128.load(a + off))));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(d + off, load<f32>(d + off) * dact_scalar(act, load<f32>(a + off)));
  }
}
