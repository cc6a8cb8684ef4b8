// graph.ts: the Keras-like layer spec (inputShape + encoder + decoder), its defaults, and shape
// inference down to the layer table the kernels run. Shapes are per sample, channels last:
// [length, channels] for 1-D layers, [height, width, channels] for 2-D. Defaults are Keras's:
// strides 1 (pooling: the pool size), padding 'valid', activation 'linear'.
// Only names, shapes and ranges here: no numbers about data.

import { AutoencoderError, checkArray, checkKeys, checkName, checkNumber, describe } from './errors.js';
import { ACT_IDS, OP, type LayerPlan } from './wasm.js';

type Activation = keyof typeof ACT_IDS;

export const LAYER_TYPES = Object.freeze(['dense', 'conv1d', 'conv1dTranspose', 'conv2d', 'conv2dTranspose', 'maxPool1d', 'maxPool2d',
  'upSampling1d', 'upSampling2d', 'dropout', 'flatten', 'reshape', 'batchNorm'] as const);
export type LayerType = typeof LAYER_TYPES[number];

/** One layer of `encoder` / `decoder`, as Keras names its arguments. */
export interface LayerSpec {
  type: LayerType;
  /** dense: output width (on the last axis). */
  units?: number;
  /** conv: output channels. */
  filters?: number;
  /** conv: kernel size, a number or [h, w] ([k] for 1-D). */
  kernel?: number | number[];
  /** conv and pooling: strides (default 1; pooling: the pool size). */
  strides?: number | number[];
  /** conv and pooling: 'valid' (default) or 'same'. */
  padding?: 'valid' | 'same';
  /** Default 'linear'. */
  activation?: Activation;
  /** maxPool: window (default 2). */
  pool?: number | number[];
  /** upSampling: factor (default 2), nearest neighbour. */
  size?: number | number[];
  /** dropout: fraction of inputs zeroed while training. */
  rate?: number;
  /** reshape: the new per-sample shape (one entry may be -1). */
  shape?: number[];
  /** batchNorm: moving-average momentum (default 0.99). */
  momentum?: number;
  /** batchNorm: added to the variance (default 1e-3). */
  epsilon?: number;
}

const KEYS: Record<LayerType, string[]> = {
  dense: ['units', 'activation'],
  conv1d: ['filters', 'kernel', 'strides', 'padding', 'activation'],
  conv2d: ['filters', 'kernel', 'strides', 'padding', 'activation'],
  conv1dTranspose: ['filters', 'kernel', 'strides', 'padding', 'activation'],
  conv2dTranspose: ['filters', 'kernel', 'strides', 'padding', 'activation'],
  maxPool1d: ['pool', 'strides', 'padding'],
  maxPool2d: ['pool', 'strides', 'padding'],
  upSampling1d: ['size'],
  upSampling2d: ['size'],
  dropout: ['rate'],
  flatten: [],
  reshape: ['shape'],
  batchNorm: ['momentum', 'epsilon'],
};

const MAX = 1 << 20;

/** One layer with every default filled in, as stored in the model file. */
export type ResolvedLayer = LayerSpec & { type: LayerType };

/** Checks one layer's fields and fills Keras's defaults. */
export function resolveLayer(l: LayerSpec, where: string): ResolvedLayer {
  if (l === null || typeof l !== 'object' || Array.isArray(l)) throw new AutoencoderError(`${where} must be a layer object such as { type: 'dense', units: 8 }, got ${describe(l)}`);
  const type = checkName(`layer type in ${where}`, l.type, LAYER_TYPES);
  checkKeys(`${where} (${type})`, l, ['type', ...KEYS[type]]);
  const dims = type.includes('2d') ? 2 : 1;
  const pair = (what: string, v: unknown, dflt: number, lo = 1): number[] => {
    const arr = v === undefined ? [dflt] : Array.isArray(v) ? v : [v];
    if (arr.length !== 1 && arr.length !== dims) throw new AutoencoderError(`${where} (${type}): ${what} must be a number${dims > 1 ? ` or ${dims} numbers` : ''}, got ${Array.isArray(v) ? JSON.stringify(v) : describe(v)}`);
    checkArray(`${where} (${type}) ${what}`, arr, dims > 1 ? '3 or [3, 3]' : '3', 1, dims);
    const out = arr.map((x, i) => checkNumber(`${where} (${type}) ${what}[${i}]`, x, lo, MAX, true));
    return out.length === dims ? out : Array(dims).fill(out[0]);
  };
  const r: ResolvedLayer = { type };
  if (type === 'dense') {
    r.units = checkNumber(`${where} (dense) units`, l.units, 1, MAX, true);
  } else if (type.startsWith('conv')) {
    r.filters = checkNumber(`${where} (${type}) filters`, l.filters, 1, MAX, true);
    if (l.kernel === undefined) throw new AutoencoderError(`${where} (${type}) needs a kernel size, e.g. kernel: 3`);
    r.kernel = pair('kernel', l.kernel, 1);
    r.strides = pair('strides', l.strides, 1);
    r.padding = checkName(`${where} (${type}) padding`, l.padding ?? 'valid', ['valid', 'same'] as const);
  } else if (type.startsWith('maxPool')) {
    r.pool = pair('pool', l.pool, 2);
    r.strides = l.strides === undefined ? [...r.pool] : pair('strides', l.strides, 1);
    r.padding = checkName(`${where} (${type}) padding`, l.padding ?? 'valid', ['valid', 'same'] as const);
  } else if (type.startsWith('upSampling')) {
    r.size = pair('size', l.size, 2);
  } else if (type === 'dropout') {
    r.rate = checkNumber(`${where} (dropout) rate`, l.rate, 0, 0.999);
  } else if (type === 'reshape') {
    if (!Array.isArray(l.shape) || l.shape.length === 0) throw new AutoencoderError(`${where} (reshape) needs shape, e.g. shape: [7, 7, 32], got ${describe(l.shape)}`);
    checkArray(`${where} (reshape) shape`, l.shape, '[7, 7, 32]');
    r.shape = l.shape.map((x, i) => (x === -1 ? -1 : checkNumber(`${where} (reshape) shape[${i}]`, x, 1, MAX, true)));
  } else if (type === 'batchNorm') {
    r.momentum = checkNumber(`${where} (batchNorm) momentum`, l.momentum ?? 0.99, 0, 1);
    r.epsilon = checkNumber(`${where} (batchNorm) epsilon`, l.epsilon ?? 1e-3, 1e-12, 1);
  }
  if (KEYS[type].includes('activation')) r.activation = checkName(`${where} (${type}) activation`, l.activation ?? 'linear', Object.keys(ACT_IDS) as Activation[]);
  return r;
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
const fmt = (s: number[]) => `[${s.join(', ')}]`;

/** Output length and padding-before of a conv or pool window along one axis (Keras/TF alignment). */
function convAxis(n: number, k: number, s: number, same: boolean): [number, number] {
  if (!same) return [Math.floor((n - k) / s) + 1, 0];
  const out = Math.ceil(n / s);
  return [out, Math.floor(Math.max((out - 1) * s + k - n, 0) / 2)];
}

/** Output length of a transposed conv along one axis and the padding-before of its forward conv. */
function convtAxis(n: number, k: number, s: number, same: boolean): [number, number] {
  // Keras's deconv_output_length: 'valid' gives n*s + max(k - s, 0) (= (n-1)*s + k when k >= s)
  const out = same ? n * s : n * s + Math.max(k - s, 0);
  return [out, Math.floor(Math.max((n - 1) * s + k - out, 0) / 2)];
}

/** Shape inference: the layer table for a graph, and the shape after each layer. */
export function planGraph(inputShape: number[], layers: ResolvedLayer[], labels?: string[]): { plans: LayerPlan[]; shapes: number[][] } {
  let shape = [...inputShape];
  const plans: LayerPlan[] = [];
  const shapes: number[][] = [];
  layers.forEach((l, i) => {
    const where = `${labels?.[i] ?? `layer ${i}`} (${l.type})`;
    const act = ACT_IDS[l.activation ?? 'linear'];
    const rank = l.type.includes('2d') ? 3 : l.type.includes('1d') ? 2 : 0;
    if (rank && shape.length !== rank) {
      const other = l.type.replace(rank === 3 ? '2d' : '1d', rank === 3 ? '1d' : '2d');
      const hint = shape.length === (rank === 3 ? 2 : 3) ? `use ${other}, or a reshape layer before it` : 'add a reshape layer before it';
      throw new AutoencoderError(`${where} needs a ${rank}-axis input ${rank === 3 ? '[height, width, channels]' : '[length, channels]'} but gets ${fmt(shape)}: ${hint}`);
    }
    // 1-D layers are 2-D layers of height 1
    const [H, W, C] = rank === 3 ? shape as [number, number, number] : rank === 2 ? [1, shape[0]!, shape[1]!] : [1, 1, shape[shape.length - 1]!];
    const inSize = prod(shape);
    let out: number[];
    let plan: LayerPlan;
    if (l.type === 'dense') {
      out = [...shape.slice(0, -1), l.units!];
      plan = { op: OP.dense, in: inSize, out: prod(out), act, ic: C, oc: l.units! };
    } else if (l.type.startsWith('conv')) {
      const k = l.kernel as number[], s = l.strides as number[], same = l.padding === 'same';
      const [kh, kw] = rank === 3 ? k : [1, k[0]!];
      const [sh, sw] = rank === 3 ? s : [1, s[0]!];
      const axis = l.type.endsWith('Transpose') ? convtAxis : convAxis;
      const [oh, pt] = rank === 3 ? axis(H, kh!, sh!, same) : [1, 0];
      const [ow, pl] = axis(W, kw!, sw!, same);
      if (oh < 1 || ow < 1) throw new AutoencoderError(`${where}: kernel ${fmt(k)} with padding '${l.padding}' does not fit its input ${fmt(shape)}: use padding 'same' or a smaller kernel`);
      out = rank === 3 ? [oh, ow, l.filters!] : [ow, l.filters!];
      plan = { op: l.type.endsWith('Transpose') ? OP.convt : OP.conv, in: inSize, out: prod(out), act, ih: H, iw: W, ic: C, oh, ow, oc: l.filters!, kh, kw, sh, sw, pt, pl };
    } else if (l.type.startsWith('maxPool')) {
      const p = l.pool as number[], s = l.strides as number[], same = l.padding === 'same';
      const [kh, kw] = rank === 3 ? p : [1, p[0]!];
      const [sh, sw] = rank === 3 ? s : [1, s[0]!];
      const [oh, pt] = rank === 3 ? convAxis(H, kh!, sh!, same) : [1, 0];
      const [ow, pl] = convAxis(W, kw!, sw!, same);
      if (oh < 1 || ow < 1) throw new AutoencoderError(`${where}: pool ${fmt(p)} does not fit its input ${fmt(shape)}`);
      out = rank === 3 ? [oh, ow, C] : [ow, C];
      plan = { op: OP.maxpool, in: inSize, out: prod(out), act, ih: H, iw: W, ic: C, oh, ow, oc: C, kh, kw, sh, sw, pt, pl };
    } else if (l.type.startsWith('upSampling')) {
      const z = l.size as number[];
      const [sh, sw] = rank === 3 ? z : [1, z[0]!];
      out = rank === 3 ? [H * sh!, W * sw!, C] : [W * sw!, C];
      plan = { op: OP.upsample, in: inSize, out: prod(out), act, ih: H, iw: W, ic: C, oh: H * sh!, ow: W * sw!, oc: C, sh, sw };
    } else if (l.type === 'dropout') {
      out = shape;
      plan = { op: OP.dropout, in: inSize, out: inSize, act, rate: l.rate! };
    } else if (l.type === 'batchNorm') {
      out = shape;
      plan = { op: OP.batchnorm, in: inSize, out: inSize, act, ic: C, oc: C, rate: l.momentum!, eps: l.epsilon! };
    } else {
      if (l.type === 'flatten') out = [inSize];
      else {
        const want = l.shape!;
        const known = prod(want.filter((x) => x !== -1));
        if (want.filter((x) => x === -1).length > 1) throw new AutoencoderError(`${where}: at most one -1 in shape ${fmt(want)}`);
        out = want.map((x) => (x === -1 ? inSize / known : x));
        if (prod(out) !== inSize || !out.every(Number.isInteger)) {
          throw new AutoencoderError(`${where}: cannot reshape ${fmt(shape)} (${inSize} values) into ${fmt(want)}`);
        }
      }
      plan = { op: OP.copy, in: inSize, out: inSize, act };
    }
    plans.push(plan);
    shapes.push(out);
    shape = out;
  });
  return { plans, shapes };
}
