// format.ts: the model file. Pure bytes, no file-system assumptions; the same state always
// gives the same bytes. Layout (little-endian):
//   0  magic     8 bytes  89 41 45 4E 43 0D 0A 1A  ("\x89AENC\r\n\x1a", PNG-style)
//   8  format    u32      FORMAT_VERSION (2; format 1, written before issue 11, is read too: the same
//                         layout, without the variant keys of the spec and without `scoreBy`)
//  12  abi       u32      the wasm ABI version that wrote it (informational)
//  16  length    u32      total bytes, checksum included
//  20  jsonLen   u32      bytes of the JSON header
//  24  json      UTF-8, padded with spaces to a multiple of 4: spec, threshold, counts
//   .  floats    f32[]    normalizer shift[inputDim], scale[inputDim] (if normalize != 'none'), then
//                         params layer by layer (Keras layouts: dense W[in][out], conv K[kh][kw][in][out],
//                         transposed conv K[kh][kw][out][in], then bias; batchNorm gamma, beta), then
//                         the non-trainable state (batchNorm moving mean and variance)
//  end crc32     u32      CRC-32 of every byte before it

import { AutoencoderError, F32_MAX, checkAttached, describe } from './errors.js';
import { resolveSpec, type ResolvedSpec } from './spec.js';

export const MAGIC = [0x89, 0x41, 0x45, 0x4e, 0x43, 0x0d, 0x0a, 0x1a];
export const FORMAT_VERSION = 2;
export const HEADER = 24;
/** The largest model file create() allows: about the largest typed array browsers allocate (2 GiB). */
export const FILE_MAX_BYTES = 2 ** 31 - 1;
/** Smallest normal float32, 2^-126: the least a normalizer scale may be (1/scale stays finite). */
export const F32_MIN_NORMAL = 2 ** -126;

export interface ModelHeader {
  spec: ResolvedSpec;
  threshold: number | null;
  normalizerFitted: boolean;
  params: number;
  state: number;
  /** The user's JSON metadata (e.g. the CLI's training columns), or null. */
  metadata: Record<string, unknown> | null;
  /** The score the threshold applies to, when not the reconstruction error (a VAE calibrated by 'kl' or 'elbo'). */
  scoreBy?: { by: 'kl' | 'elbo'; samples: number; seed: number } | null;
  /** The codec tables fitCodec() fitted (bindings/codec.ts), base64; absent in files of models without. */
  codec?: string | null;
  /** A sharded (conv) model's shards of each training batch when not the default 4 (the create option); absent otherwise. */
  shards?: number | null;
}

/** Bytes of a model file for `h`, with `floats` normalizer + param floats. */
export function fileBytes(jsonLen: number, floats: number): number {
  return HEADER + jsonLen + floats * 4 + 4;
}

/** JSON header text, keys in a fixed order, padded to a multiple of 4 bytes. */
export function headerJson(h: ModelHeader): Uint8Array {
  const s = h.spec;
  // the variant keys only where the model has them (a plain model's spec reads as in format 1)
  const family = {
    ...(s.sparsity ? { sparsity: s.sparsity } : {}),
    ...(s.variational ? { variational: s.variational } : {}),
    ...(s.conditionDim ? { conditionDim: s.conditionDim } : {}),
    ...(s.contractive !== undefined ? { contractive: s.contractive } : {}),
    ...(s.rate !== undefined ? { rate: s.rate } : {}),
    ...(s.ensemble ? { ensemble: s.ensemble } : {}),
  };
  const spec = s.inputShape
    ? { inputShape: s.inputShape, encoder: s.encoder, decoder: s.decoder, loss: s.loss, normalize: s.normalize, seed: s.seed, ...family }
    : {
      inputDim: s.inputDim, layers: s.layers, activation: s.activation, latentActivation: s.latentActivation,
      outputActivation: s.outputActivation, loss: s.loss, normalize: s.normalize, seed: s.seed, ...family,
    };
  // JSON writes NaN and Infinity as null: every number written must be finite (the threshold and the
  // spec are checked where they are set, metadata when assigned), or the file would not read back
  const json = JSON.stringify({
    format: 'autoencoder', kind: s.inputShape ? 'graph' : 'dense', spec,
    threshold: h.threshold, normalizerFitted: h.normalizerFitted, params: h.params,
    ...(h.state ? { state: h.state } : {}),
    ...(h.metadata ? { metadata: h.metadata } : {}),
    ...(h.scoreBy ? { scoreBy: h.scoreBy } : {}),
    ...(h.codec ? { codec: h.codec } : {}),
    ...(h.shards ? { shards: h.shards } : {}),
  }, (key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new AutoencoderError(`save(): the model's ${key || 'header'} is ${describe(v)}, which a model file cannot carry (JSON has no NaN or Infinity)`);
    return v;
  });
  const raw = new TextEncoder().encode(json);
  const out = new Uint8Array(Math.ceil(raw.length / 4) * 4).fill(0x20);
  out.set(raw);
  return out;
}

/** Writes the fixed header fields into `buf` (which holds the whole file). */
export function writeHeader(buf: Uint8Array, abi: number, json: Uint8Array): void {
  buf.set(MAGIC, 0);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  dv.setUint32(8, FORMAT_VERSION, true);
  dv.setUint32(12, abi, true);
  dv.setUint32(16, buf.byteLength, true);
  dv.setUint32(20, json.length, true);
  buf.set(json, HEADER);
}

/** Checks magic and length (the fields every format version keeps). Throws a clear error. */
export function checkEnvelope(bytes: Uint8Array, size?: number): void {
  if (!(bytes instanceof Uint8Array)) {
    throw new AutoencoderError(`Autoencoder.load() takes the Uint8Array that save() returned or, in Node, Bun and Deno, the file's path, got ${describe(bytes)}`);
  }
  checkAttached('the model file', bytes);
  const total = size ?? bytes.length;
  if (total === 0) throw new AutoencoderError('the model file is empty (0 bytes): it was not written completely; save it again');
  if (MAGIC.some((b, i) => i < total && bytes[i] !== b)) {
    throw new AutoencoderError('not an autoencoder model file: the magic bytes are wrong (expected the bytes written by save())');
  }
  if (total < HEADER + 4) {
    throw new AutoencoderError(`the model file is truncated: ${total} bytes is shorter than its ${HEADER + 4}-byte header; save it again`);
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(16, true);
  if (total < length) {
    throw new AutoencoderError(`the model file is truncated: it has ${total} bytes but its header says ${length}; copy or save it again`);
  }
  if (total > length) {
    throw new AutoencoderError(`the model file has ${total - length} unexpected bytes after its end (${length} bytes): it is corrupted or two files were joined`);
  }
}

/** The limit on a model's metadata: 1 MiB of JSON as UTF-8 (what the file holds). */
export const META_MAX = 1 << 20;
/** The UTF-8 bytes of a string: what the file holds. */
export const metaBytes = (text: string): number => new TextEncoder().encode(text).length;

/** Checks the format version of a file whose checksum matched (so a bad version is not a flipped bit). */
export function checkVersion(bytes: Uint8Array): void {
  const version = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (version > FORMAT_VERSION) {
    throw new AutoencoderError(`the model file has format version ${version}, newer than this package reads (${FORMAT_VERSION}): upgrade autoencoder`);
  }
  if (version < 1) throw new AutoencoderError(`the model file has an invalid format version ${version}: the file is corrupted`);
}

/**
 * Parses the JSON header of a file whose checksum already matched (or, for load(path), whose checksum is
 * taken next: `bytes` then holds the header alone, and `total` is the file's size).
 */
export function parseHeader(bytes: Uint8Array, total = bytes.length): ModelHeader & { floatsAt: number } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLen = dv.getUint32(20, true);
  const corrupt = (why: string) => new AutoencoderError(`the model file is corrupted: ${why}`);
  if (jsonLen % 4 !== 0 || HEADER + jsonLen + 4 > total) throw corrupt(`bad header length ${jsonLen}`);
  let h: { format?: unknown; kind?: unknown; spec?: unknown; threshold?: unknown; normalizerFitted?: unknown; params?: unknown; state?: unknown; metadata?: unknown; scoreBy?: unknown; codec?: unknown; shards?: unknown };
  try {
    h = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER, HEADER + jsonLen)));
  } catch {
    throw corrupt('its header is not valid JSON');
  }
  if (h === null || typeof h !== 'object' || h.format !== 'autoencoder') throw corrupt('its header is not an autoencoder header');
  if (h.kind !== 'dense' && h.kind !== 'graph') throw new AutoencoderError(`the model file holds a '${String(h.kind)}' model, which this package version cannot read: upgrade autoencoder`);
  let spec: ResolvedSpec;
  try {
    spec = resolveSpec(h.spec as ResolvedSpec);
  } catch (e) {
    throw corrupt(`its spec is invalid (${(e as Error).message})`);
  }
  // (a float32, as the setter stores it: a hand-edited 0.1 is 0.1f, or detect() and score > threshold would disagree)
  const threshold = h.threshold === null ? null : typeof h.threshold === 'number' ? Math.fround(h.threshold) : NaN;
  if (threshold !== null && !(Math.abs(threshold) <= F32_MAX)) throw corrupt(`its threshold is ${describe(h.threshold)}, not a float32 number`);
  const state = h.state ?? 0;
  if (typeof h.params !== 'number' || typeof h.normalizerFitted !== 'boolean' || typeof state !== 'number') throw corrupt('its header lacks params or normalizerFitted');
  const metadata = h.metadata ?? null;
  if (metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) throw corrupt('its metadata is not a JSON object');
  if (metadata !== null && metaBytes(JSON.stringify(metadata)) > META_MAX) throw corrupt('its metadata is over the 1 MiB limit');
  if (h.codec !== undefined && typeof h.codec !== 'string') throw corrupt('its codec tables are not a base64 string');
  const normFloats = spec.normalize === 'none' ? 0 : 2 * spec.inputDim;
  if (fileBytes(jsonLen, normFloats + h.params + state) !== total) {
    throw corrupt(`it should hold ${normFloats + h.params + state} floats for its spec, but its size (${total} bytes) does not match`);
  }
  const sb = h.scoreBy as { by?: unknown; samples?: unknown; seed?: unknown } | undefined;
  if (sb !== undefined && (sb === null || typeof sb !== 'object' || (sb.by !== 'kl' && sb.by !== 'elbo') || !Number.isInteger(sb.samples) || !((sb.samples as number) >= 1 && (sb.samples as number) <= 1e4)
    || !Number.isInteger(sb.seed) || !((sb.seed as number) >= 0 && (sb.seed as number) <= 0xffffffff) || !spec.variational)) throw corrupt('its scoreBy is not { by: kl | elbo, samples (1 to 10000), seed (a uint32) } of a VAE');
  const scoreBy = sb === undefined ? null : { by: sb.by as 'kl' | 'elbo', samples: sb.samples as number, seed: sb.seed as number };
  if (h.shards !== undefined && !(Number.isInteger(h.shards) && (h.shards as number) >= 1 && (h.shards as number) <= 16)) throw corrupt(`its shards is ${describe(h.shards)}, not an integer from 1 to 16`);
  return { spec, threshold, normalizerFitted: h.normalizerFitted, params: h.params, state, metadata: metadata as Record<string, unknown> | null, scoreBy, codec: (h.codec as string | undefined) ?? null, shards: (h.shards as number | undefined) ?? null, floatsAt: HEADER + jsonLen };
}
