// The products' A pack (assembly/gemm.ts pack_a, bindings/wasm.ts apackBytes): laid out with a model's activations,
// 128 rows of its widest packed K (at most 128 KB), none for a model no wider than 32; the pack changes no bit:
// a fit with it and a fit without it save the same bytes.

import { describe, expect, it } from 'vitest';
import { Autoencoder } from 'autoencoder';
import { Rng, kernelOf } from './helpers.js';

function rows(n: number, d: number, seed: number): Float32Array {
  return new Rng(seed).f32(n * d, 0, 1);
}

describe('the A pack', () => {
  it('a model no wider than 32 goes without it: a small model stays in two pages of wasm memory', async () => {
    const small = await Autoencoder.create({ inputDim: 8, layers: [4], ensemble: false, seed: 3 });
    await small.fit(rows(64, 8, 1), { epochs: 1, batchSize: 16 });
    expect(kernelOf(small).memoryBytes).toBeLessThanOrEqual(131072);
    small.dispose();
  });

  it.each([
    ['dense 96 -> 48 -> 8 (forward and dX products packed)', { inputDim: 96, layers: [48, 8], ensemble: false, seed: 5 }, 96],
    ['conv2d 8x8, 40 filters (Winograd and patch products)', {
      inputDim: 64, inputShape: [8, 8, 1], ensemble: false, seed: 5,
      encoder: [{ type: 'conv2d', filters: 40, kernel: 3, padding: 'same', activation: 'relu' }, { type: 'maxPool2d' }],
      decoder: [{ type: 'conv2dTranspose', filters: 40, kernel: 3, strides: 2, padding: 'same', activation: 'relu' },
        { type: 'conv2d', filters: 1, kernel: 3, padding: 'same', activation: 'sigmoid' }],
    }, 64],
  ] as const)('%s: a fit with the pack saves the bytes of a fit without it', async (_, spec, d) => {
    const x = rows(200, d, 7);
    const saved: Uint8Array[] = [];
    for (const pack of [true, false]) {
      const m = await Autoencoder.create(spec as never);
      const k = kernelOf(m);
      if (!pack) {
        // the layout sets the pack again on every capacity change (setCapacity): this model's never gets one
        const x = k.x as unknown as { ae_workspace(p: number, apack: number, at: number): number };
        const set = x.ae_workspace.bind(x);
        const none = (p: number) => set(p, 0, 0);
        (k as unknown as { x: unknown }).x = new Proxy(k.x, { get: (t, name) => (name === 'ae_workspace' ? none : Reflect.get(t, name)) });
        set(k.ws, 0, 0);
      }
      await m.fit(x, { epochs: 2, batchSize: 40 });
      saved.push(m.save());
      m.dispose();
    }
    expect(Buffer.from(saved[0]!).equals(Buffer.from(saved[1]!))).toBe(true);
  });
});
