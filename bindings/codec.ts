// codec.ts: the learned codec's container and streams. compress() encodes rows to latent codes,
// quantises each latent dimension (offset and step fitted on those rows), and rANS-codes the
// symbols with one frequency table per dimension; decompress() inverts it and decodes. Every
// number is computed in wasm (assembly/codec.ts); this file lays out bytes and checks them.
// Container (one frame; a stream is frames back to back), little-endian:
//    0  magic     4 bytes  89 41 45 5A ("\x89AEZ")
//    4  version   u8       CONTAINER_VERSION
//    5  bits      u8       2..16: S = 2^bits symbols per latent dimension
//    6  P         u8       8..16: rANS tables sum to M = 2^P
//    7  flags     u8       0: quantiser and tables stored in the container (below);
//                          1: the model's fitCodec() tables: bytes 32..40 hold their 8-byte hash, then the payload
//    8  model     8 bytes  64-bit content hash of the model: spec JSON, normalizer, weights, state
//   16  rows      u32      N
//   20  latent    u32      W, the model's latentDim
//   24  tableLen  u32      T bytes of bit-packed tables
//   28  payLen    u32      B bytes of rANS payload
//   32  qp        f32[2W]  per-dimension offset, then step: z = offset + symbol * step
//   .   tables    T bytes  per dimension: k (4 bits), then Exp-Golomb-k frequencies, 0 = a zero run
//   .   payload   B bytes  rANS state (u32), then the renormalisation bytes
//  end  crc32     u32      CRC-32 of every byte before it
// Codebook (fitCodec(), kept in the model file as base64): bits u8, P u8, kind u8 (0: a range quantiser at these bits;
// 1: the integer quantiser of a rate-trained code, which compress() without bits uses), 0 u8, qp f32[2W], tables
// (fitted with every count + 1, so they code symbols the fitting rows never produced). compress()
// uses it when that container is smaller and no latent value falls outside its range by over a quarter of it.

import { AutoencoderError, checkAttached, checkKeys, checkNumber, describe } from './errors.js';
import { MAX_DIM, type Matrix } from './spec.js';
import {
  FLAG_DENORM_OUT, FLAG_NORM_IN, codecCount, codecDecode, codecDequantize, codecEncode, codecQuantize, codecQuantizeInt, codecQuantizeWith, codecReadTables, codecTables, codecWriteTables, crc32,
  findBelow, findNonfinite, hash64Update, infer, mib, type Kernel,
} from './wasm.js';

export const CONTAINER_MAGIC = [0x89, 0x41, 0x45, 0x5a];
export const CONTAINER_VERSION = 1;
const HEAD = 32;
/** bits compress() uses when none is given (see README ## Compression: the best rate-distortion trade on MNIST). */
export const DEFAULT_BITS = 4;
/** Table entries (latent width x 2^bits) a container may use: 2^21, 24 MiB of tables in wasm. */
const MAX_TABLE = 1 << 21;
/** Each coded symbol costs at least -log2(63/64) bits (the cap on table frequencies), so a container of B
 *  payload bytes holds at most 44.02 * 8 B / W rows; with slack for the coder's 4-byte state: */
const maxRows = (payBytes: number, W: number) => Math.floor((45 * (8 * payBytes + 64)) / W);

/** Options of compress(). */
export interface CompressOptions {
  /** Quantisation bits per latent value, 2 to 16 (default 4; a model trained with a rate term rounds its code to integers when none is given). */
  bits?: number;
}

/** Options of compressStream(). */
export interface CompressStreamOptions extends CompressOptions {
  /** Rows per frame (each frame is a complete container), 1 to 2^24 (default 1024). */
  rowsPerFrame?: number;
}

/** What the codec needs from a model (bindings/index.ts builds it around the model's kernel). */
export interface CodecModel {
  k: Kernel;
  /** The model's complete spec, hashed as JSON. */
  spec: unknown;
  normalized: boolean;
  inputDim: number;
  latentDim: number;
  /** The model's fitCodec() codebook, or null. */
  codebook: Uint8Array | null;
  /** A model trained with a rate term (spec `rate`): without `bits`, its code is quantised to integers (step 1). */
  integer: boolean;
  /** Stages rows of `cols` floats in the kernel's I/O stack (checked finite). */
  put(x: Matrix, cols: number, what: string): { ptr: number; rows: number };
}

const hex = (b: Uint8Array) => Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');

/** The model's 64-bit content hash (spec, normalizer, params, state), computed in wasm. */
function modelHash(m: CodecModel): Uint8Array {
  const k = m.k;
  const mark = k.mark();
  try {
    const st = k.alloc(8);
    k.u8(st, 8).fill(0);
    const spec = new TextEncoder().encode(JSON.stringify(m.spec));
    const sp = k.alloc(spec.length);
    k.u8(sp, spec.length).set(spec);
    hash64Update(k, st, sp, spec.length);
    const D = m.inputDim;
    if (m.normalized) {
      hash64Update(k, st, k.normA, D * 4);
      hash64Update(k, st, k.normB, D * 4);
    }
    hash64Update(k, st, k.params, k.nParams * 4);
    hash64Update(k, st, k.state, k.nState * 4);
    return k.u8(st, 8).slice();
  } finally {
    k.release(mark);
  }
}

/** The bits an options object asks for; 0: the integer quantiser (a rate-trained model given no bits). */
function checkBits(options: unknown, keys: string[], where: string, integer: boolean): number {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new AutoencoderError(`${where} options must be an object such as { bits: ${DEFAULT_BITS} }, got ${describe(options)}`);
  }
  checkKeys(`${where} options`, options, keys);
  const o = options as CompressOptions;
  if (o.bits == null && integer) return 0;   // (null as undefined: the default, as for every option)
  return checkNumber('bits', o.bits ?? DEFAULT_BITS, 2, 16, true);
}

function checkTable(W: number, bits: number, where: string): void {
  if (W * 2 ** bits > MAX_TABLE) {
    throw new AutoencoderError(`${where}: a latent of ${W} values at ${bits} bits needs ${W} x 2^${bits} frequency-table entries, more than the ${MAX_TABLE} the codec allows: use bits <= ${Math.max(2, Math.floor(Math.log2(MAX_TABLE / W)))} or a smaller latent`);
  }
}

/**
 * Stages rows, encodes them and quantises the latent codes (qp fitted on them; bits 0: the integer quantiser, whose
 * bits the codes' span decides): pointers in the I/O stack, and the bits.
 */
function latentSymbols(m: CodecModel, x: Matrix, bits: number, where: string) {
  const k = m.k, W = m.latentDim;
  if (bits) checkTable(W, bits, where);
  const { ptr, rows: N } = m.put(x, m.inputDim, 'x');
  if (2 * N * W + 8 > 2 ** 31 - 1) throw new AutoencoderError(`${where}: ${N} rows of ${W} latent values are too many for one call: pass fewer rows per call, or use compressStream()`);
  const z = k.alloc(N * W * 4);
  infer(k, ptr, N, 0, k.plan!.latent, z, FLAG_NORM_IN);
  const bad = findNonfinite(k, z, N * W);
  if (bad >= 0) {
    throw new AutoencoderError(`${where}: the model's latent code of row ${Math.floor(bad / W)} has ${describe(k.f32(z + bad * 4, 1)[0])} at value ${bad % W}: the input overflows this model (normalize the inputs or retrain)`);
  }
  const qp = k.alloc(W * 8), sym = k.alloc(N * W * 2);
  if (bits) codecQuantize(k, z, N, W, bits, qp, sym);
  else {
    // (a rate-trained code: each value rounded to an integer, offset by its dimension's rounded minimum)
    bits = codecQuantizeInt(k, z, N, W, qp);
    if (bits < 0) throw new AutoencoderError(`${where}: a latent dimension of these rows spans more than 2^16 integers, more than the integer quantiser codes (rows far unlike the training rows, or a model trained with a tiny rate): pass { bits } to quantise each dimension's range instead`);
    checkTable(W, bits, where);
    codecQuantizeWith(k, z, N, W, bits, qp, sym);
  }
  // a dimension whose span is near float32's whole range: its top symbol's offset + top x step (the step rounded up
  // to float32) can overflow, and decompress() would give Infinity for finite rows
  const back = k.alloc(N * W * 4);
  codecDequantize(k, sym, N, W, qp, back);
  const over = findNonfinite(k, back, N * W);
  if (over >= 0) {
    throw new AutoencoderError(`${where}: latent value ${over % W} of these rows spans about the whole float32 range (row ${Math.floor(over / W)}: ${describe(k.f32(z + over * 4, 1)[0])}), so its quantised values would overflow: scale the inputs down (normalize: 'standard') or retrain`);
  }
  return { N, z, qp, sym, bits };
}

/** Counts symbols and builds tables (smooth: every count + 1); pointers in the I/O stack. */
function buildTables(k: Kernel, sym: number, N: number, W: number, bits: number, smooth: boolean) {
  const S = 2 ** bits;
  const cnt = k.alloc(W * S * 4), freq = k.alloc(W * S * 4), cum = k.alloc(W * (S + 1) * 4), tmp = k.alloc(S * 4);
  codecCount(k, sym, N, W, bits, cnt);
  const P = codecTables(k, cnt, N, W, bits, freq, cum, tmp, smooth);
  return { P, freq, cum, T: codecWriteTables(k, freq, W, bits, 0, true) };
}

/** The 64-bit hash of a codebook's bytes, hex. */
function codebookId(k: Kernel, cb: Uint8Array): string {
  const mark = k.mark();
  try {
    const st = k.alloc(8), p = k.alloc(cb.length);
    k.u8(st, 8).fill(0);
    k.u8(p, cb.length).set(cb);
    hash64Update(k, st, p, cb.length);
    return hex(k.u8(st, 8));
  } finally {
    k.release(mark);
  }
}

/**
 * Stages and checks a codebook (bits, P, qp, tables) in the I/O stack; the reason as a string when it
 * is not one this model can use (load() reports it as a corrupted file).
 */
function stageCodebook(m: CodecModel, cb: Uint8Array): { bits: number; P: number; qp: number; freq: number; cum: number } | string {
  const k = m.k, W = m.latentDim;
  if (cb.length < 4 + 8 * W) return `its codec tables hold ${cb.length} bytes, fewer than ${4 + 8 * W}`;
  const bits = cb[0]!, P = cb[1]!;
  if (bits < 2 || bits > 16 || P < 8 || P > 16 || W * 2 ** bits > MAX_TABLE || cb[2]! > 1 || cb[3] !== 0) return `its codec tables have bits ${bits} and precision ${P} (kind ${cb[2]}, reserved ${cb[3]})`;
  const S = 2 ** bits;
  const p = k.alloc(cb.length);
  k.u8(p, cb.length).set(cb);
  const qp = p + 4;
  if (findNonfinite(k, qp, 2 * W) >= 0 || findBelow(k, qp + 4 * W, W, 0) >= 0) return 'its codec quantiser holds values that are not finite non-negative steps';
  const freq = k.alloc(W * S * 4), cum = k.alloc(W * (S + 1) * 4);
  const st = codecReadTables(k, qp + 8 * W, cb.length - 4 - 8 * W, W, bits, P, freq, cum);
  if (st !== 0) return `its codec tables are malformed (${READ_ERRORS[st] ?? st})`;
  return { bits, P, qp, freq, cum };
}

/** Checks a codebook read from a model file: null when usable, else what is wrong. */
export function checkCodebook(m: CodecModel, cb: Uint8Array): string | null {
  const mark = m.k.mark();
  try {
    const r = stageCodebook(m, cb);
    return typeof r === 'string' ? r : null;
  } finally {
    m.k.release(mark);
  }
}

/** fitCodec(): the codebook (quantiser and smoothed tables) fitted on rows x inputDim. Call inside io(). */
export function fitCodebook(m: CodecModel, x: Matrix, options: CompressOptions = {}): Uint8Array {
  const want = checkBits(options, ['bits'], 'fitCodec()', m.integer);
  const k = m.k, W = m.latentDim;
  const { N, qp, sym, bits } = latentSymbols(m, x, want, 'fitCodec()');
  const t = buildTables(k, sym, N, W, bits, true);
  const len = 4 + 8 * W + t.T, out = k.alloc(len);
  // (byte 2: 1 for the integer quantiser's codebook, which compress() without bits uses; 0 for one at these bits)
  k.u8(out, 4).set([bits, t.P, want ? 0 : 1, 0]);
  k.u8(out + 4, 8 * W).set(k.u8(qp, 8 * W));
  codecWriteTables(k, t.freq, W, bits, out + 4 + 8 * W, false);
  return k.u8(out, len).slice();
}

/** Base64 of bytes (codebooks in the model file's JSON header), chunked so large ones do not overflow the stack. */
export function toBase64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return btoa(s);
}

/** Bytes of base64 text, or null when it is not base64. */
export function fromBase64(s: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** compress(): rows x inputDim -> one container. Call inside the model's io(). */
export function compressRows(m: CodecModel, x: Matrix, options: CompressOptions = {}): Uint8Array {
  const want = checkBits(options, ['bits'], 'compress()', m.integer);
  const k = m.k, W = m.latentDim;
  const hash = modelHash(m);
  const q = latentSymbols(m, x, want, 'compress()');
  const { N, z, qp, sym } = q;
  let bits = q.bits;
  const own = buildTables(k, sym, N, W, bits, false);
  const cap = 2 * N * W + 8, pay = k.alloc(cap);
  let B = codecEncode(k, sym, N, W, bits, own.P, own.freq, own.cum, pay, cap);
  let T = own.T, P = own.P, flags = 0, body = 8 * W + T;
  // the model's fitCodec() tables at these bits (or, for the integer quantiser, its integer ones at their own bits),
  // when they give the smaller container (no quantiser or tables stored)
  let cbId = '';
  const cb = m.codebook && (want ? m.codebook[0] === bits && m.codebook[2] === 0 : m.codebook[2] === 1) ? stageCodebook(m, m.codebook) : null;
  if (cb !== null && typeof cb !== 'string') {
    const sym2 = k.alloc(N * W * 2), pay2 = k.alloc(cap);
    // (only when no latent value lies more than a quarter of the fitted range outside it: clamping those,
    // rows unlike the training rows, say an anomaly, would lose far more than the bytes saved)
    const far = codecQuantizeWith(k, z, N, W, cb.bits, cb.qp, sym2);
    const B2 = far === 0 ? codecEncode(k, sym2, N, W, cb.bits, cb.P, cb.freq, cb.cum, pay2, cap) : Infinity;
    if (8 + B2 < body + B) {
      flags = 1; B = B2; T = 0; P = cb.P; body = 8; bits = cb.bits;
      k.u8(pay + cap - B, B).set(k.u8(pay2 + cap - B, B));
      cbId = codebookId(k, m.codebook!);
    }
  }
  const total = HEAD + body + B + 4;
  const f = k.alloc(total);
  const dv = new DataView(k.u8(f, total).buffer, f, total);
  k.u8(f, 4).set(CONTAINER_MAGIC);
  dv.setUint8(4, CONTAINER_VERSION);
  dv.setUint8(5, bits);
  dv.setUint8(6, P);
  dv.setUint8(7, flags);
  k.u8(f + 8, 8).set(hash);
  dv.setUint32(16, N, true);
  dv.setUint32(20, W, true);
  dv.setUint32(24, T, true);
  dv.setUint32(28, B, true);
  if (flags === 1) {
    k.u8(f + HEAD, 8).set(cbId.match(/../g)!.map((h) => parseInt(h, 16)));
  } else {
    k.u8(f + HEAD, 8 * W).set(k.u8(qp, 8 * W));
    codecWriteTables(k, own.freq, W, bits, f + HEAD + 8 * W, false);
  }
  k.u8(f + HEAD + body, B).set(k.u8(pay + cap - B, B));
  new DataView(k.u8(f, total).buffer, f, total).setUint32(total - 4, crc32(k, f, total - 4), true);
  return k.u8(f, total).slice();
}

const READ_ERRORS: Record<number, string> = {
  [-1]: 'its frequency tables end early',
  [-2]: 'its frequency tables hold a malformed code',
  [-3]: 'a zero run in its frequency tables runs past the alphabet',
  [-4]: 'a frequency in its tables exceeds the limit',
  [-5]: 'a frequency table does not sum to its declared total',
  [-6]: 'its frequency tables are followed by unused bytes',
  [-7]: 'its payload ends before all symbols are decoded',
  [-8]: 'its payload does not end where its last symbol does',
};

/** The most rows of `D` floats one frame may hold: 2^24, and one Float32Array's 2 GiB. */
const maxFrameRows = (D: number) => Math.min(2 ** 24, Math.floor((2 ** 31 - 1) / (4 * D)));

/**
 * Total bytes of the frame starting at `at` (from its header), or a clear error; needs HEAD bytes.
 * Used by decompress() and by decompressStream() to cut frames out of a byte stream.
 */
export function frameLength(bytes: Uint8Array, at: number, label: string): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + at, bytes.length - at);
  if (bytes[at + 4]! > CONTAINER_VERSION) {
    throw new AutoencoderError(`${label} has container version ${bytes[at + 4]}, newer than this package reads (${CONTAINER_VERSION}): upgrade autoencoder`);
  }
  const corrupt = (why: string) => new AutoencoderError(`${label} is corrupted: ${why}`);
  if (bytes[at + 4] === 0) throw corrupt('its container version is 0');
  // the fields the length is made of, bounded as compress() writes them, so that a damaged one is named at once and a
  // stream does not wait (holding all that follows) for a frame of the length it declares
  const bits = bytes[at + 5]!, flags = bytes[at + 7]!;
  const N = dv.getUint32(16, true), W = dv.getUint32(20, true), T = dv.getUint32(24, true), B = dv.getUint32(28, true);
  if (flags !== 0 && flags !== 1) throw corrupt(`unknown flags ${flags}`);
  if (bits < 2 || bits > 16) throw corrupt(`its bits field is ${bits}, not 2 to 16`);
  // (another model's width is left to decodeFrame, which names that model by its hash first)
  if (W < 1 || W > MAX_DIM) throw corrupt(`it declares latent codes of ${W} values, more than any model's (at most ${MAX_DIM})`);
  // (a dimension's tables: a 4-bit k, then an Exp-Golomb code of at most 33 bits an entry)
  if (flags === 0 && T > Math.ceil((W * (4 + 2 ** bits * 33)) / 8)) throw corrupt(`its tables declare ${T} bytes, more than ${W} x 2^${bits} entries can take`);
  if (N < 1 || N > maxRows(B, W)) throw corrupt(`it declares ${N} rows, which ${B} payload bytes cannot hold (at most ${maxRows(B, W)})`);
  if (B > 2 * N * W + 8) throw corrupt(`its payload declares ${B} bytes, more than ${N} rows of ${W} codes take (at most ${2 * N * W + 8})`);
  return HEAD + (flags === 1 ? 8 : 8 * W + T) + B + 4;
}

/** Throws unless `bytes` from `at` start with the container magic (as far as they go). */
export function checkMagic(bytes: Uint8Array, at: number, label: string): void {
  if (CONTAINER_MAGIC.some((b, i) => at + i < bytes.length && bytes[at + i] !== b)) {
    throw new AutoencoderError(at === 0
      ? `${label} is not an autoencoder container: the magic bytes are wrong (expected the bytes compress() or compressStream() wrote)`
      : `${label} (byte ${at}) does not start with the container magic bytes: ${bytes.length - at} unexpected bytes follow the last complete frame (corrupted, or other data appended)`);
  }
}

/** decompress(): one container or several back to back -> rows x inputDim. */
export function decompressFrames(m: CodecModel, bytes: Uint8Array): Float32Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new AutoencoderError(`decompress() takes the Uint8Array that compress() returned (read the file as bytes), got ${describe(bytes)}`);
  }
  checkAttached('decompress(): the container', bytes);
  if (bytes.length === 0) throw new AutoencoderError('decompress(): the container is empty (0 bytes)');
  const hash = hex(modelHash(m));
  const parts: Float32Array[] = [];
  let at = 0, total = 0;
  for (let i = 0; at < bytes.length; i++) {
    const label = i === 0 && at === 0 ? 'the container' : `frame ${i + 1} of the container`;
    const len = frameAt(bytes, at, label);
    const rows = decodeFrame(m, bytes.subarray(at, at + len), hash, label);
    parts.push(rows);
    total += rows.length;
    at += len;
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** The length of the complete frame at `at`, or a clear error (not a container, truncated). */
function frameAt(bytes: Uint8Array, at: number, label: string): number {
  checkMagic(bytes, at, label);
  const rem = bytes.length - at;
  if (rem < HEAD + 4) throw new AutoencoderError(`${label} is truncated: ${rem} bytes is shorter than a container's ${HEAD + 4}-byte header and checksum`);
  const len = frameLength(bytes, at, label);
  if (len > rem) throw new AutoencoderError(`${label} is truncated or corrupted: its header declares ${len} bytes but only ${rem} are there`);
  return len;
}

function decodeFrame(m: CodecModel, frame: Uint8Array, hash: string, label: string): Float32Array {
  const k = m.k, len = frame.length;
  const corrupt = (why: string) => new AutoencoderError(`${label} is corrupted: ${why}`);
  const mark = k.mark();
  try {
    const f = k.alloc(len);
    k.u8(f, len).set(frame);
    const dv = new DataView(frame.buffer, frame.byteOffset, len);
    if (crc32(k, f, len - 4) !== dv.getUint32(len - 4, true)) throw corrupt('its checksum does not match its contents; copy it again');
    const theirs = hex(frame.subarray(8, 16));
    if (theirs !== hash) {
      throw new AutoencoderError(`${label} was written by another model (content hash ${theirs}); this model's hash is ${hash}: decompress it with the model that compressed it (same spec, weights and normalizer)`);
    }
    let bits = frame[5]!, P = frame[6]!;
    const N = dv.getUint32(16, true), W = dv.getUint32(20, true), T = dv.getUint32(24, true), B = dv.getUint32(28, true);
    // (flags, bits, the rows and the lengths were checked by frameLength, which cut this frame out)
    const flagged = frame[7] === 1;
    if (P < 8 || P > 16) throw corrupt(`its table precision is ${P}, not 8 to 16`);
    if (W !== m.latentDim) throw corrupt(`it holds latent codes of ${W} values but this model's are ${m.latentDim}`);
    const S = 2 ** bits;
    if (W * S > MAX_TABLE) throw corrupt(`${W} x 2^${bits} table entries exceed the codec's ${MAX_TABLE}`);
    const D = m.inputDim;
    if (N * D * 4 > 2 ** 31 - 1) {
      throw new AutoencoderError(`${label} holds ${N} rows in one frame (${mib(N * D * 4)} decoded), more than one Float32Array can hold, so no call can decode it whole: compress such rows with compressStream({ rowsPerFrame }) of at most ${maxFrameRows(D)} rows`);
    }
    let qp = f + HEAD, freq: number, cum: number, pay: number;
    if (flagged) {
      const id = hex(frame.subarray(HEAD, HEAD + 8));
      const mine = m.codebook ? codebookId(k, m.codebook) : null;
      if (id !== mine) {
        throw new AutoencoderError(`${label} was coded with the frequency tables of fitCodec() (id ${id}), ${mine === null ? 'which this model does not hold' : `but this model's fitCodec() tables are ${mine}`}: decompress it with the model file saved after that fitCodec()`);
      }
      const cb = stageCodebook(m, m.codebook!);
      if (typeof cb === 'string') throw new AutoencoderError(`this model's fitCodec() tables cannot be used: ${cb}`);
      if (cb.bits !== bits || T !== 0) throw corrupt(`it declares bits ${bits} and ${T} table bytes, but the tables it names have ${cb.bits} bits and live in the model`);
      ({ qp, freq, cum, P } = cb);
      bits = cb.bits;
      pay = f + HEAD + 8;
    } else {
      if (findNonfinite(k, qp, 2 * W) >= 0 || findBelow(k, qp + 4 * W, W, 0) >= 0) throw corrupt('its quantisation offsets or steps are not finite non-negative numbers');
      freq = k.alloc(W * S * 4);
      cum = k.alloc(W * (S + 1) * 4);
      const st = codecReadTables(k, qp + 8 * W, T, W, bits, P, freq, cum);
      if (st !== 0) throw corrupt(READ_ERRORS[st] ?? `table status ${st}`);
      pay = qp + 8 * W + T;
    }
    const sym = k.alloc(N * W * 2);
    const st = codecDecode(k, pay, B, N, W, bits, P, freq, cum, sym);
    if (st !== 0) throw corrupt(READ_ERRORS[st] ?? `payload status ${st}`);
    const z = k.alloc(N * W * 4);
    codecDequantize(k, sym, N, W, qp, z);
    // (compress() never writes such codes; a forged quantiser can: decode() refuses them as input too)
    if (findNonfinite(k, z, N * W) >= 0) throw corrupt('its quantiser dequantises codes past the float32 range');
    const out = k.alloc(N * D * 4);
    infer(k, z, N, k.plan!.latent + 1, k.plan!.layers.length - 1, out, FLAG_DENORM_OUT);
    return k.f32(out, N * D).slice();
  } finally {
    k.release(mark);
  }
}

/** The model side of the streams: the public methods. */
interface StreamModel {
  readonly inputDim: number;
  compress(x: Matrix, options?: CompressOptions): Uint8Array;
  decompress(bytes: Uint8Array): Float32Array;
}

/**
 * compressStream(): rows in (Float32Array / Float64Array of whole rows, or number[][]), one container per frame out.
 * `check`: the model's check of rows as compress() takes them (shapes, value types, finite float32 values; the model's
 * put()), run on each chunk as it comes, so a bad value is named by its chunk, row and column, as the caller wrote them.
 */
export function compressStream(ae: StreamModel, options: CompressStreamOptions = {}, check: (x: Matrix, what: string) => void): TransformStream<Float32Array | Float64Array | number[][], Uint8Array> {
  // (checked here; compress() resolves a missing bits: 4, or a rate-trained model's integers)
  const bits = checkBits(options, ['bits', 'rowsPerFrame'], 'compressStream()', true);
  const D = ae.inputDim;
  // (a frame's rows in one Float32Array, to compress and to decompress)
  const perFrame = checkNumber('rowsPerFrame', options.rowsPerFrame ?? 1024, 1, maxFrameRows(D), true);
  let pending: Float32Array[] = [];
  let rows = 0, chunks = 0;
  const emit = (controller: TransformStreamDefaultController<Uint8Array>, n: number) => {
    const x = new Float32Array(n * D);
    let o = 0;
    while (o < x.length) {
      const head = pending[0]!;
      const take = Math.min(head.length, x.length - o);
      x.set(head.subarray(0, take), o);
      o += take;
      if (take === head.length) pending.shift(); else pending[0] = head.subarray(take);
    }
    rows -= n;
    controller.enqueue(ae.compress(x, bits ? { bits } : {}));
  };
  return new TransformStream({
    transform(chunk, controller) {
      checkAttached('compressStream(): a chunk', chunk);
      const typed = chunk instanceof Float32Array || chunk instanceof Float64Array;
      if (!typed && !Array.isArray(chunk)) {
        throw new AutoencoderError(`compressStream() takes chunks of rows (Float32Array, Float64Array or number[][]), got ${describe(chunk)}`);
      }
      if (typed && chunk.length % D !== 0) throw new AutoencoderError(`compressStream(): a chunk of ${chunk.length} values is not whole rows of ${D}: write rows x ${D} values per chunk`);
      if (chunk.length === 0) return;
      // (rows, row types and values checked as compress() checks them, named by the chunk: compress() of the frame
      // would name a row of the frame, and a Float64Array's 1e39 as the Infinity it becomes in float32)
      check(chunk, `compressStream(): chunk ${++chunks}`);
      let x: Float32Array;
      if (typed) x = Float32Array.from(chunk);
      else {
        x = new Float32Array(chunk.length * D);
        for (let r = 0; r < chunk.length; r++) x.set(chunk[r]!, r * D);
      }
      pending.push(x);
      rows += x.length / D;
      while (rows >= perFrame) emit(controller, perFrame);
    },
    flush(controller) {
      if (rows > 0) emit(controller, rows);
      pending = [];
    },
  });
}

/** decompressStream(): container bytes in (any chunking, frames back to back), rows x inputDim out per frame. */
export function decompressStream(ae: StreamModel): TransformStream<Uint8Array, Float32Array> {
  // chunks are kept as they come and joined only once a whole frame (or a header) has arrived, so a
  // large frame in small chunks costs linear, not quadratic, copying
  let chunks: Uint8Array[] = [];
  let held = 0, need = HEAD, frames = 0;
  const label = () => `frame ${frames + 1} of the stream`;
  return new TransformStream({
    transform(chunk, controller) {
      if (!(chunk instanceof Uint8Array)) throw new AutoencoderError(`decompressStream() takes Uint8Array chunks, got ${describe(chunk)}`);
      checkAttached('decompressStream(): a chunk', chunk, HELD);
      if (chunk.length === 0) return;
      chunks.push(chunk);
      held += chunk.length;
      if (held < need) {
        if (need === HEAD) checkMagic(chunks.length === 1 ? chunk : join(chunks, held), 0, label());
        return;
      }
      const buf = join(chunks, held);
      let at = 0;
      need = HEAD;
      while (buf.length - at >= HEAD) {
        checkMagic(buf, at, label());
        const len = frameLength(buf, at, label());
        if (buf.length - at < len) { need = len; break; }
        try {
          controller.enqueue(ae.decompress(buf.subarray(at, at + len)));
        } catch (e) {
          if (e instanceof AutoencoderError) throw new AutoencoderError(e.message.replace(/^the container/, label()));
          throw e;
        }
        frames++;
        at += len;
      }
      if (at < buf.length) checkMagic(buf, at, label());
      const rest = buf.slice(at);
      chunks = rest.length ? [rest] : [];
      held = rest.length;
    },
    flush() {
      if (held > 0) throw new AutoencoderError(`the stream ends inside ${label()}: ${held} bytes of an incomplete container (truncated)`);
      if (frames === 0) throw new AutoencoderError('the stream held no container');
    },
  });
}

function join(parts: Uint8Array[], total: number): Uint8Array {
  // (decompressStream holds its chunks, not copies, until their frame is whole: one transferred since is refused)
  for (const p of parts) checkAttached('decompressStream(): a chunk it held', p, HELD);
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** How long decompressStream() needs a chunk's buffer. */
const HELD = 'the stream has decoded its frame';
