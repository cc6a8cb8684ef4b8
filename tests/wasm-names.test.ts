// tools/wasm-names.mjs (dist/'s short export names): checked against WebAssembly.Module.exports, the
// engine's own reading of the export section, and against the module's other sections byte for byte.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

type Names = {
  exportsOf: (b: Uint8Array) => { name: string; kind: number; index: number }[];
  renameExports: (b: Uint8Array, map: Record<string, string>) => Uint8Array<ArrayBuffer>;
  withoutExports: (b: Uint8Array) => Uint8Array;
};
const names = async () => (await import(pathToFileURL(`${ROOT}tools/wasm-names.mjs`).href)) as Names;

describe('tools/wasm-names.mjs', () => {
  const wasm = readFileSync(`${ROOT}build/kernels.wasm`);
  it('reads the export section as the engine does', async () => {
    const { exportsOf } = await names();
    const engine = WebAssembly.Module.exports(new WebAssembly.Module(wasm)).map((e) => e.name);
    expect(exportsOf(wasm).map((e) => e.name)).toEqual(engine);
  });
  it('renames exports and nothing else; an empty map gives the same bytes', async () => {
    const { exportsOf, renameExports, withoutExports } = await names();
    expect(Buffer.from(renameExports(wasm, {})).equals(wasm)).toBe(true);
    const map = { ae_abi_version: 'v', ae_crc32: '~1', not_an_export: 'x' };
    const out = renameExports(wasm, map);
    const engine = WebAssembly.Module.exports(new WebAssembly.Module(out)).map((e) => e.name);
    expect(engine).toEqual(exportsOf(wasm).map((e) => (e.name === 'ae_abi_version' ? 'v' : e.name === 'ae_crc32' ? '~1' : e.name)));
    expect(Buffer.from(withoutExports(out)).equals(withoutExports(wasm))).toBe(true);
    const x = (await WebAssembly.instantiate(new WebAssembly.Module(out), {})).exports as Record<string, () => number>;
    const y = (await WebAssembly.instantiate(new WebAssembly.Module(wasm), {})).exports as Record<string, () => number>;
    expect(x.v!()).toBe(y.ae_abi_version!());
  });
  it('refuses a map that gives two exports one name', async () => {
    const { renameExports } = await names();
    expect(() => renameExports(wasm, { ae_seed: 'memory' })).toThrow(/two exports named memory/);
  });
});
