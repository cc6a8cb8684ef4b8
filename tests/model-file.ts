// model-file.ts: writing damaged or edited model files for tests (layout from the bindings/format.ts
// header comment). No vitest import, so tools/fuzz.ts (tsx) can load it too.
import * as zlib from 'node:zlib';

/** CRC-32 (node:zlib's where the runtime has it, else a table CRC written here). */
export function crc32(bytes: Uint8Array): number {
  const z = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
  if (typeof z === 'function') return z(bytes) >>> 0;
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = table[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Writes the trailing CRC-32 (over every byte but the last 4) in place, so only a deliberate edit is wrong. */
export function sealCrc(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 4) return bytes;
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

/**
 * A copy of a model file whose JSON header `edit` changed (it gets the parsed header and may mutate
 * it or return a new one), space-padded to 4 bytes, with the length fields and the CRC made right.
 */
export function withHeader<H>(bytes: Uint8Array, edit: (h: H) => H | void): Uint8Array {
  const jsonLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(20, true);
  const parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + jsonLen))) as H;
  const h = edit(parsed) ?? parsed;
  const raw = new TextEncoder().encode(JSON.stringify(h));
  const padded = new Uint8Array(Math.ceil(raw.length / 4) * 4).fill(0x20);
  padded.set(raw);
  const floats = bytes.subarray(24 + jsonLen, bytes.length - 4);
  const out = new Uint8Array(24 + padded.length + floats.length + 4);
  out.set(bytes.subarray(0, 24));
  out.set(padded, 24);
  out.set(floats, 24 + padded.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(16, out.length, true);
  dv.setUint32(20, padded.length, true);
  return sealCrc(out);
}

/**
 * Small SeriesDetector options whose counts are taken modulo divisors of 640 (history 128, suppress 40,
 * blocks of 2), its errors modulo 600 (likelihoodHistory 200, predictionAverage 3), its alarms modulo 8:
 * the state fuzz (tests/fuzz/properties.ts) and the counters' move back (tests/series-rebase.test.ts).
 */
export const SMALL_SERIES = { window: 8, layers: [8, 3], warmup: 32, retrainEvery: 48, history: 128, trainWindows: 64, firstEpochs: 3, epochs: 1, likelihoodHistory: 200, minHistory: 10, suppress: 40, context: 8, contextSpan: 32, memory: 8, resolution: [2, 4] };

/** A SeriesDetector state with its JSON header replaced by `head` (a value, or JSON text as it is), its length field and checksum made right. */
export function seriesWithHeader(bytes: Uint8Array, head: unknown): Uint8Array {
  const hl = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  const h = new TextEncoder().encode(typeof head === 'string' ? head : JSON.stringify(head));
  const out = new Uint8Array(bytes.length - hl + h.length);
  out.set(bytes.subarray(0, 12));
  new DataView(out.buffer).setUint32(8, h.length, true);
  out.set(h, 12);
  out.set(bytes.subarray(12 + hl), 12 + h.length);
  return sealCrc(out);
}

/** Byte offsets of the state blocks (SeriesDetector.save() of SMALL_SERIES: the detector's, then its coarser resolutions', then its shape resolutions'), found by their layout fields (S: bindings/wasm.ts's offsets). */
export function seriesStateBlocks(b: Uint8Array, S: { W: number; H: number; LL: number; BYTES: number }): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const at: number[] = [];
  for (let p = 12; p + S.BYTES < b.length; p++) {
    if (dv.getInt32(p + S.W, true) === SMALL_SERIES.window && dv.getInt32(p + S.H, true) === SMALL_SERIES.history && dv.getInt32(p + S.LL, true) === SMALL_SERIES.likelihoodHistory) at.push(p);
  }
  return at;
}
