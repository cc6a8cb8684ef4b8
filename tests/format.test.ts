// The model file, read with the test's own parser (tests/data.ts parseFile, written from the layout
// in the README / bindings/format.ts header) and checked with node:zlib's CRC-32 as the oracle. Every
// damaged file must be refused by load() with an AutoencoderError whose message fits the damage
// (empty / not a model file / truncated / corrupted / newer version), never a WebAssembly.RuntimeError.
import * as zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderError } from 'autoencoder';
import { crc32, fixCrc, flat, lowRank, parseFile, rand } from './data.js';

const MAGIC = [0x89, 0x41, 0x45, 0x4e, 0x43, 0x0d, 0x0a, 0x1a];
const D = 6;
const x = Float32Array.from(lowRank(80, D, 4, { scale: 3, offset: 2 }));

let ae: Autoencoder;
let bytes: Uint8Array;
beforeAll(async () => {
  ae = await Autoencoder.create({ inputDim: D, layers: [5, 2], normalize: 'standard', activation: 'tanh', seed: 17 });
  await ae.fit(x, { epochs: 5 });
  ae.calibrate(x, { quantile: 0.95 });
  bytes = ae.save();
});

async function loadError(b: unknown): Promise<Error> {
  try {
    await Autoencoder.load(b as Uint8Array);
  } catch (e) {
    return e as Error;
  }
  throw new Error('load() accepted the damaged file');
}
function expectMessage(e: Error, re: RegExp): void {
  expect(e).toBeInstanceOf(Error);
  expect(e).not.toBeInstanceOf(WebAssembly.RuntimeError);
  expect(e, String(e)).toBeInstanceOf(AutoencoderError);
  expect(e.message).toMatch(re);
}
const setU32 = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(at, v, true);

// ---- layout --------------------------------------------------------------------------------------------

describe('layout of a saved model', () => {
  it('magic, version, ABI, length, JSON length; little-endian; total size from the spec', () => {
    const f = parseFile(bytes);
    expect(f.magic).toEqual(MAGIC);
    expect(f.version).toBe(2); // format 2 since issue 11 (format 1 files still load: tests/format-v1.test.ts)
    expect(Number.isInteger(f.abi) && f.abi >= 1).toBe(true);
    expect(f.length).toBe(bytes.length);
    expect(f.jsonLen % 4).toBe(0);
    // floats: normalizer shift[D] and scale[D], then every parameter
    expect(f.floats.length).toBe(2 * D + ae.paramCount);
    expect(bytes.length).toBe(24 + f.jsonLen + 4 * (2 * D + ae.paramCount) + 4);
    expect(bytes.length % 4).toBe(0);
  });

  it(`the stored CRC is the CRC-32 of every byte before it (oracle: ${typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? 'node:zlib crc32' : 'table CRC in tests/data.ts, this Node has no zlib.crc32'})`, () => {
    const f = parseFile(bytes);
    expect(f.crc).toBe(crc32(bytes.subarray(0, bytes.length - 4)));
    // the oracle itself: the CRC-32 check value of "123456789" is 0xCBF43926
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('the JSON header is valid JSON (space-padded) holding the spec, threshold, normalizer state and parameter count', () => {
    const f = parseFile(bytes);
    const raw = bytes.subarray(24, 24 + f.jsonLen);
    const end = raw.lastIndexOf(0x7d); // '}'
    expect([...raw.subarray(end + 1)].every((b) => b === 0x20)).toBe(true);
    expect(f.header).toEqual({
      format: 'autoencoder', kind: 'dense', spec: ae.spec, threshold: ae.threshold, normalizerFitted: true, params: ae.paramCount,
    });
    expect(f.header.spec).toEqual({
      inputDim: D, layers: [5, 2], activation: 'tanh', latentActivation: 'linear', outputActivation: 'linear',
      loss: 'mse', normalize: 'standard', seed: 17,
    });
  });

  it('the float section holds the weights exactly as getWeights() returns them, after the normalizer', () => {
    const f = parseFile(bytes);
    expect(f.floats.slice(2 * D)).toEqual(flat(ae.getWeights()));
    expect(f.floats.slice(D, 2 * D).every((s) => s > 0)).toBe(true); // population std of real data
  });

  it('without a normalizer there is no normalizer section; an unfitted one is stored as the identity', async () => {
    const plain = await Autoencoder.create({ inputDim: D, layers: [3] });
    const p = parseFile(plain.save());
    expect(p.floats.length).toBe(plain.paramCount);
    expect(p.header.threshold).toBeNull();
    const unfitted = await Autoencoder.create({ inputDim: D, layers: [3], normalize: 'minmax' });
    const u = parseFile(unfitted.save());
    expect(u.header.normalizerFitted).toBe(false);
    expect([...u.floats.slice(0, 2 * D)]).toEqual([...new Array(D).fill(0), ...new Array(D).fill(1)]);
  });

  it('the same state saves to the same bytes, twice', () => {
    expect(ae.save()).toEqual(bytes);
  });

  it('metadata: written into the JSON header as given, read back by load(); absent when null', async () => {
    const m = await Autoencoder.create({ inputDim: D, layers: [3] });
    expect(m.metadata).toBeNull();
    expect(parseFile(m.save()).header).not.toHaveProperty('metadata');
    m.metadata = { columns: ['a', 'b', 'ü'], excluded: ['label'], n: 3 };
    const f = parseFile(m.save());
    expect(f.header.metadata).toEqual({ columns: ['a', 'b', 'ü'], excluded: ['label'], n: 3 });
    expect((await Autoencoder.load(m.save())).metadata).toEqual({ columns: ['a', 'b', 'ü'], excluded: ['label'], n: 3 });
    const copy = m.metadata!;
    (copy.columns as string[]).push('x'); // a copy: changing it does not change the model
    expect(m.metadata!.columns).toEqual(['a', 'b', 'ü']);
    for (const bad of [[1], 'text', 5, new Float32Array(2), { x: NaN }, { x: Infinity }, { f: () => 1 }, { b: 1n }]) {
      expect(() => { m.metadata = bad as never; }).toThrow(AutoencoderError);
    }
    expect(m.metadata!.n).toBe(3); // a refused value leaves the old one
  });
});

// ---- damaged files ---------------------------------------------------------------------------------------

describe('load() refuses damaged files with a fitting message', () => {
  it('an empty Uint8Array', async () => {
    expectMessage(await loadError(new Uint8Array(0)), /the model file is empty \(0 bytes\): it was not written completely; save it again/);
  });

  it('random bytes are not a model file', async () => {
    for (const [seed, n] of [[1, 1], [2, 7], [3, 8], [4, 100], [5, 4096]] as const) {
      const r = rand(seed);
      const junk = Uint8Array.from({ length: n }, () => Math.floor(r.u() * 256));
      expectMessage(await loadError(junk), /not an autoencoder model file: the magic bytes are wrong/);
    }
    expectMessage(await loadError(new TextEncoder().encode('{"format":"autoencoder"}')), /not an autoencoder model file/);
    expectMessage(await loadError(new Uint8Array(100)), /not an autoencoder model file/);
  });

  it('truncated in the header, the JSON, the floats, or by its last byte', async () => {
    const f = parseFile(bytes);
    const floatsAt = 24 + f.jsonLen;
    const cuts = {
      'inside the magic': 4, 'after the magic': 8, 'in the version': 10, 'after the length': 20, 'just short of a header': 27,
      'in the JSON': 24 + Math.floor(f.jsonLen / 2), 'after the JSON': floatsAt, 'in the floats': floatsAt + 4 * D + 3,
      'in the CRC': bytes.length - 2, 'by the last byte': bytes.length - 1,
    };
    const wrong: string[] = [];
    for (const [where, len] of Object.entries(cuts)) {
      const e = await loadError(bytes.slice(0, len));
      expect(e).toBeInstanceOf(AutoencoderError);
      if (!/^the model file is truncated: .*\b\d+ bytes.*save it again/.test(e.message)) wrong.push(`cut ${where} (${len} bytes): ${e.message}`);
    }
    expect(wrong, wrong.join('\n')).toEqual([]);
  });

  it('one flipped bit anywhere: header, JSON, padding, normalizer, weights, CRC', async () => {
    const f = parseFile(bytes);
    const floatsAt = 24 + f.jsonLen, n = bytes.length;
    const positions: [string, number, number][] = [
      ['magic[0]', 0, 7], ['magic[3]', 3, 0], ['magic[7]', 7, 4],
      ['version lsb', 8, 0], ['version bit 1', 8, 1], ['version byte 1', 9, 3], ['version msb', 11, 7],
      ['abi', 12, 2], ['length lsb', 16, 2], ['length byte 1', 17, 0], ['length msb', 19, 7],
      ['json length', 20, 5], ['json "{"', 24, 1], ['json middle', 24 + (f.jsonLen >> 1), 6],
      ['json padding / last byte', floatsAt - 1, 0], ['normalizer shift', floatsAt + 1, 3],
      ['normalizer scale exponent', floatsAt + 4 * D + 3, 6], ['first weight', floatsAt + 8 * D, 0],
      ['middle weight', floatsAt + 4 * (2 * D + (ae.paramCount >> 1)) + 2, 5], ['last bias sign', n - 5, 7],
      ['crc lsb', n - 4, 0], ['crc msb', n - 1, 7],
    ];
    const results: string[] = [];
    for (const [where, at, bit] of positions) {
      const bad = bytes.slice();
      bad[at]! ^= 1 << bit;
      const e = await loadError(bad);
      expect(e).toBeInstanceOf(AutoencoderError);
      expect(e).not.toBeInstanceOf(WebAssembly.RuntimeError);
      if (!/corrupted|truncated|not an autoencoder model file/.test(e.message)) results.push(`${where} (byte ${at}, bit ${bit}): ${e.message}`);
    }
    // every single-bit error must be reported as damage, not as something the user should act on otherwise
    expect(results, results.join('\n')).toEqual([]);
  });

  it('many random multi-byte corruptions: always an AutoencoderError, never a crash', async () => {
    const r = rand(99);
    for (let i = 0; i < 150; i++) {
      const bad = bytes.slice();
      const k = 1 + Math.floor(r.u() * 4);
      for (let j = 0; j < k; j++) bad[Math.floor(r.u() * bad.length)] = Math.floor(r.u() * 256);
      if (bad.every((b, idx) => b === bytes[idx])) continue;
      const e = await loadError(bad);
      expectMessage(e, /model file|format version/);
    }
  });

  it('extra trailing bytes', async () => {
    for (const extra of [1, 4, bytes.length]) {
      const joined = new Uint8Array(bytes.length + extra);
      joined.set(bytes);
      if (extra === bytes.length) joined.set(bytes, bytes.length);
      expectMessage(await loadError(joined), new RegExp(`the model file has ${extra} unexpected bytes after its end \\(${bytes.length} bytes\\): it is corrupted or two files were joined`));
    }
  });

  it('a newer format version (CRC fixed up so only the version is wrong): upgrade', async () => {
    for (const v of [3, 4, 100]) {
      const newer = bytes.slice();
      setU32(newer, 8, v);
      expectMessage(await loadError(fixCrc(newer)), new RegExp(`the model file has format version ${v}, newer than this package reads \\(2\\): upgrade autoencoder`));
    }
    const zero = bytes.slice();
    setU32(zero, 8, 0);
    expectMessage(await loadError(fixCrc(zero)), /invalid format version 0: the file is corrupted/);
  });

  it('a valid checksum over a bad header (hand-edited files): corrupted, or a kind this version cannot read', async () => {
    const withJson = (edit: (h: Record<string, unknown>) => unknown) => {
      const f = parseFile(bytes);
      const h = JSON.parse(f.json) as Record<string, unknown>;
      const edited = edit(h);
      const text = new TextEncoder().encode(typeof edited === 'string' ? edited : JSON.stringify(h));
      if (text.length > f.jsonLen) throw new Error('edited header too long for the test');
      const out = bytes.slice();
      out.fill(0x20, 24, 24 + f.jsonLen);
      out.set(text, 24);
      return fixCrc(out);
    };
    expectMessage(await loadError(withJson(() => '{"format":')), /corrupted: its header is not valid JSON/);
    expectMessage(await loadError(withJson((h) => { h.format = 'other'; })), /corrupted: its header is not an autoencoder header/);
    expectMessage(await loadError(withJson((h) => { h.kind = 'conv'; })), /holds a 'conv' model, which this package version cannot read: upgrade autoencoder/);
    expectMessage(await loadError(withJson((h) => { (h.spec as Record<string, unknown>).activation = 'gelu'; })), /corrupted: its spec is invalid \(unknown activation "gelu"/);
    expectMessage(await loadError(withJson((h) => { (h.spec as Record<string, unknown>).layers = [4, 2]; })), /corrupted/);
    expectMessage(await loadError(withJson((h) => { h.params = 5; })), /corrupted/);
    expectMessage(await loadError(withJson((h) => { h.threshold = 'high'; })), /corrupted: its threshold is a string "high", not a float32 number/);
    expectMessage(await loadError(withJson((h) => { delete h.normalizerFitted; })), /corrupted: its header lacks params or normalizerFitted/);
    for (const bad of [0, 17, 2.5, '8']) {
      expectMessage(await loadError(withJson((h) => { h.shards = bad; h.threshold = null; })), /corrupted: its shards is .*, not an integer from 1 to 16/);
    }
    const badLen = bytes.slice();
    setU32(badLen, 20, 6);
    expectMessage(await loadError(fixCrc(badLen)), /corrupted: bad header length 6/);
  });

  it('a valid checksum over non-finite weights or a zero scale: refused as corrupted', async () => {
    const f = parseFile(bytes);
    const floatsAt = 24 + f.jsonLen;
    const nanWeight = bytes.slice();
    new DataView(nanWeight.buffer).setFloat32(floatsAt + 4 * (2 * D + 3), NaN, true);
    expectMessage(await loadError(fixCrc(nanWeight)), /corrupted/);
    const zeroScale = bytes.slice();
    new DataView(zeroScale.buffer).setFloat32(floatsAt + 4 * D, 0, true);
    expectMessage(await loadError(fixCrc(zeroScale)), /corrupted/);
  });

  it('an argument that is not a Uint8Array says what to pass', async () => {
    for (const notBytes of [bytes.buffer, [...bytes], null, undefined, new DataView(bytes.buffer), 42]) {
      expectMessage(await loadError(notBytes), /Autoencoder\.load\(\) takes the Uint8Array that save\(\) returned or, in Node, Bun and Deno, the file's path, got /);
    }
    // a string is a file's path (tests/load-path.test.ts): one that is not there says so
    expectMessage(await loadError('no-such-model.ae'), /cannot read the file no-such-model\.ae \(ENOENT/);
  });

  it('a failed load does not disturb other models or later loads', async () => {
    const s = ae.score(x);
    await loadError(bytes.slice(0, 50));
    await loadError(new Uint8Array(3));
    expect(ae.score(x)).toEqual(s);
    const back = await Autoencoder.load(bytes);
    expect(back.score(x)).toEqual(s);
    expect(back.threshold).toBe(ae.threshold);
  });
});
