// abi.test.ts: the shipped module's exports are exactly the list bindings/wasm.ts types (assembly/abi.ts),
// the module imports nothing, views survive memory growth between calls, and the tests' module (the one
// the other tests run on) checks the kernels' asserted preconditions.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Autoencoder } from 'autoencoder';
import { ABI_EXPORTS, ABI_EXPORT_COUNT } from '../bindings/wasm.js';
// @ts-expect-error: a plain .mjs tool, no types
import { renameExports } from '../tools/wasm-names.mjs';

const wasm = readFileSync(new URL('../build/kernels.wasm', import.meta.url));
// the raw entry points of the tests' module (assembly/abi-test.ts), never in the shipped one
const TEST_EXPORTS = ['ae_grads', 'ae_norm_invert', 'ae_gemm', 'ae_gemm_bt', 'ae_gemm_scalar', 'ae_act_forward', 'ae_act_backward',
  'ae_loss_rows', 'ae_loss_backward', 'ae_series_likelihood', 'ae_copy_canon', 'ae_kd_bytes', 'ae_conv_dk', 'ae_draws',
  'ae_normal_parts_check', 'ae_quantile_binned'];

describe('abi', () => {
  it('exports exactly the functions bindings/wasm.ts lists, plus memory', async () => {
    const mod = await WebAssembly.compile(wasm);
    const exported = WebAssembly.Module.exports(mod);
    const fns = exported.filter((e) => e.kind === 'function').map((e) => e.name).sort();
    expect(fns).toEqual([...ABI_EXPORTS].sort());
    expect(exported.filter((e) => e.kind === 'memory').map((e) => e.name)).toEqual(['memory']);
    // load() checks the count (a literal, so bundles leave the list out): it must be this module's
    expect(ABI_EXPORT_COUNT).toBe(exported.length);
    expect(ABI_EXPORT_COUNT).toBe(ABI_EXPORTS.length + 1);
  });

  it("the tests' module (build/kernels-test.wasm) is the shipped exports plus the raw kernels, and passes load()'s check", async () => {
    const mod = await WebAssembly.compile(readFileSync(new URL('../build/kernels-test.wasm', import.meta.url)));
    const fns = WebAssembly.Module.exports(mod).filter((e) => e.kind === 'function').map((e) => e.name).sort();
    expect(fns).toEqual([...ABI_EXPORTS, ...TEST_EXPORTS].sort());
    const ae = await Autoencoder.create({ inputDim: 4, layers: [3, 2], seed: 1 }, { wasm: mod });
    const shipped = await Autoencoder.create({ inputDim: 4, layers: [3, 2], seed: 1 }, { wasm: await WebAssembly.compile(wasm) });
    expect(Buffer.from(ae.save()).equals(Buffer.from(shipped.save()))).toBe(true);
    ae.dispose();
    shipped.dispose();
  });

  it("the tests' module checks the kernels' preconditions (asc without noAssert), where the shipped one does not", async () => {
    // a product whose C rows are narrower than C (ldc 4 < N 8): the tests' module traps at gemm_kblocks'
    // assert; the shipped module has no such check (its bytes are those of a build without the asserts)
    const { instantiateKernel } = await import('../bindings/wasm.js');
    const test = await instantiateKernel(await WebAssembly.compile(readFileSync(new URL('../build/kernels-test.wasm', import.meta.url))));
    const x = test.x as unknown as { ae_gemm(...a: number[]): void };
    const a = test.alloc(256), b = test.alloc(256), c = test.alloc(256);
    expect(() => x.ae_gemm(4, 8, 4, a, 4, 1, b, 8, c, 4, 0, 0, 0)).toThrow(WebAssembly.RuntimeError);
    x.ae_gemm(4, 8, 4, a, 4, 1, b, 8, c, 8, 0, 0, 0);   // the same product with ldc 8 runs
    const text = readFileSync(new URL('../build/kernels.wat', import.meta.url), 'utf8');
    const testText = readFileSync(new URL('../build/kernels-test.wat', import.meta.url), 'utf8');
    const traps = (t: string) => (t.match(/unreachable/g) ?? []).length;
    expect(traps(testText)).toBeGreaterThan(traps(text));
  });

  it("builds the tests' module with the release target's optimize and shrink levels (the standard library's log is another function at shrinkLevel 0)", () => {
    const cfg = JSON.parse(readFileSync(new URL('../asconfig.json', import.meta.url), 'utf8')) as { targets: Record<string, Record<string, unknown>> };
    const { release, test } = cfg.targets;
    expect(test!.shrinkLevel).toBe(release!.shrinkLevel);
    expect(test!.optimizeLevel).toBe(release!.optimizeLevel);
    expect(test!.noAssert).toBe(false);
    expect(release!.noAssert).toBe(true);
  });

  it('has one door: only bindings/wasm.ts calls the exports, and it has a call for each (the threaded loader aside)', () => {
    const dir = new URL('../bindings/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    expect(files).toContain('index.ts');
    for (const f of files) {
      if (f === 'wasm.ts' || f === 'threads.ts') continue;
      const calls = readFileSync(new URL(f, dir), 'utf8').match(/\bae_\w+\s*\(/g);
      expect(calls, `bindings/${f} calls the kernels' exports directly: add a verb to bindings/wasm.ts's door`).toBeNull();
    }
    const door = readFileSync(new URL('wasm.ts', dir), 'utf8');
    const missing = ABI_EXPORTS.filter((name) => !new RegExp(`\\.${name}\\(`).test(door));
    expect(missing, 'exports that bindings/wasm.ts never calls').toEqual([]);
  });

  it('refuses a module that is not these kernels, saying why', async () => {
    const other = await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); // an empty module
    await expect(Autoencoder.create({ inputDim: 4 }, { wasm: other })).rejects.toThrow(/not this package's kernels\.wasm \(it exports no memory \(0 exports\)\)/);
    // all of these kernels' exports but the ABI version's under another name (another build's names): said so,
    // not "N exports where this package's has at least N" (the message before 2026-12-04)
    const renamed = await WebAssembly.compile(renameExports(wasm, { ae_abi_version: 'ae_abi_version_of_another_build' }));
    await expect(Autoencoder.create({ inputDim: 4 }, { wasm: renamed })).rejects.toThrow(
      new RegExp(`not this package's kernels\\.wasm \\(its ${WebAssembly.Module.exports(renamed).length} exports lack this build's ABI version: another build or version\\)`));
  });

  it('has no imports (no env.abort, no JS Math)', async () => {
    expect(WebAssembly.Module.imports(await WebAssembly.compile(wasm))).toEqual([]);
  });

  it('uses SIMD and no relaxed-SIMD opcodes', () => {
    // the text form asc writes beside the binary names every instruction
    const text = readFileSync(new URL('../build/kernels.wat', import.meta.url), 'utf8');
    expect(text).toMatch(/f32x4\.mul/);
    expect(text).not.toMatch(/relaxed/);
  });

  it('gives the same results after wasm memory grows between calls', async () => {
    const ae = await Autoencoder.create({ inputDim: 8, layers: [4, 2], seed: 3 });
    const x = Float32Array.from({ length: 8 * 5 }, (_, i) => ((i * 37) % 17) / 17);
    const before = ae.score(x);
    const buffer0 = (ae as unknown as { k: { x: { memory: WebAssembly.Memory } } }).k.x.memory.buffer.byteLength;
    // 300k rows x 8 floats = 9.6 MB: forces memory.grow inside score()
    const big = new Float32Array(300_000 * 8);
    for (let r = 0; r < 300_000; r++) big.set(x.subarray((r % 5) * 8, (r % 5) * 8 + 8), r * 8);
    const s = ae.score(big);
    const buffer1 = (ae as unknown as { k: { x: { memory: WebAssembly.Memory } } }).k.x.memory.buffer.byteLength;
    expect(buffer1).toBeGreaterThan(buffer0);
    for (let r = 0; r < 10; r++) expect(s[r]).toBe(before[r % 5]);
    expect(s[299_999]).toBe(before[299_999 % 5]);
    expect(ae.score(x)).toEqual(before);
  });

  it('a model loaded to score holds no training blocks, and can still train (they are planned on first fit)', async () => {
    const mem = (ae: Autoencoder) => (ae as unknown as { k: { x: { memory: WebAssembly.Memory } } }).k.x.memory.buffer.byteLength;
    const created = await Autoencoder.create({ inputDim: 400, layers: [200, 50], seed: 4 });
    const x = Float32Array.from({ length: 400 * 40 }, (_, i) => ((i * 7919) % 1009) / 1009);
    await created.fit(x, { epochs: 2, validationSplit: 0, earlyStopping: false });
    const bytes = created.save();
    const loaded = await Autoencoder.load(bytes);
    // params 100k floats: gradients, two moments and two snapshots would add ~2 MB
    expect(mem(loaded)).toBeLessThan(mem(created) - 1_500_000);
    expect(loaded.score(x)).toEqual(created.score(x));
    // the same next epoch from the same state, whether the blocks were planned at create() or now
    const again = await Autoencoder.load(bytes);
    const h1 = await loaded.fit(x, { epochs: 1, shuffle: false, validationSplit: 0, earlyStopping: false });
    const h2 = await again.fit(x, { epochs: 1, shuffle: false, validationSplit: 0, earlyStopping: false });
    expect(h1.loss).toEqual(h2.loss);
    expect(loaded.save()).toEqual(again.save());
    const h3 = await created.fit(x, { epochs: 1, shuffle: false, validationSplit: 0, earlyStopping: false });
    expect(h3.loss).toEqual(h1.loss);
  });
});
