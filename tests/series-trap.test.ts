// series-trap.test.ts: a SeriesDetector whose push fails inside the kernels (a wasm trap, made here by pointing its
// model's weights outside the wasm memory) after its state has begun to change. The points are part consumed then,
// so the detector must say so with an AutoencoderError, not the engine's RuntimeError, and refuse every later call
// (save() included: its state would be a mix) instead of scoring on from a broken state; dispose() still works, and
// its last save() resumes bit for bit as the detector that never failed. Bad input before such a failure still
// leaves the detector usable. The oracle is a second detector fed the same points that never failed.

import { describe, expect, it } from 'vitest';
import { AutoencoderError, SeriesDetector, type Autoencoder, type SeriesOptions } from 'autoencoder';
import { kernelOf } from './helpers.js';
import { C } from '../bindings/wasm.js';

const OPTS: SeriesOptions = { window: 8, layers: [6, 2], warmup: 48, retrainEvery: 40, history: 200, trainWindows: 100, firstEpochs: 4, epochs: 2, minHistory: 10, likelihoodHistory: 100, suppress: 20 };
const wave = (n: number, from = 0) => Float64Array.from({ length: n }, (_, i) => 50 + 10 * Math.sin((i + from) / 8) + ((i + from) % 7) * 0.3);
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** Points `d`'s model (or, with `child`, its next resolution's) at weights outside the wasm memory: the next use traps. Returns the undo. */
function breakModel(d: SeriesDetector, child = false): () => void {
  const node = child ? (d as unknown as { child: SeriesDetector }).child : d;
  const k = kernelOf((node as unknown as { ae: Autoencoder }).ae);
  const p = k.getI32(k.ctx + C.PARAMS);
  k.setI32(k.ctx + C.PARAMS, 0x7ffffff0);
  return () => k.setI32(k.ctx + C.PARAMS, p);
}

/** The error fn throws (failing the test when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('SeriesDetector after a failure inside the kernels', () => {
  it('says its state is lost, refuses every later call and save(), disposes, and its last save() resumes exactly', async () => {
    const d = await SeriesDetector.create(OPTS), twin = await SeriesDetector.create(OPTS);
    d.pushMany(wave(130));
    twin.pushMany(wave(130));
    // bad input first: refused, nothing consumed, the detector goes on
    expect(thrown(() => d.push(Number.NaN))).toBeInstanceOf(AutoencoderError);
    expect(d.count).toBe(130);
    const saved = d.save();
    const undo = breakModel(d);
    const e = thrown(() => d.pushMany(wave(60, 130)));
    expect(e).toBeInstanceOf(AutoencoderError);
    expect((e as Error).message).toMatch(/pushMany\(\) failed inside the kernels \(memory access out of bounds\).*state is lost: SeriesDetector\.load\(\) its last save\(\), or create\(\) a new one/);
    // the memory mended, the detector still refuses: its state is part of one call and part of the one before
    undo();
    for (const call of [() => d.push(1), () => d.pushMany(wave(3)), () => d.save(), () => d.count]) {
      const later = thrown(call);
      expect(later).toBeInstanceOf(AutoencoderError);
      expect((later as Error).message).toMatch(/state was lost when an earlier pushMany\(\) failed inside the kernels \(memory access out of bounds\): SeriesDetector\.load\(\) its last save\(\)/);
    }
    d.dispose();
    expect((thrown(() => d.push(1)) as Error).message).toMatch(/was disposed/);
    // the way back it names: the last save() goes on as the detector that never failed
    const back = await SeriesDetector.load(saved);
    expect(bits(back.pushMany(wave(60, 130)))).toEqual(bits(twin.pushMany(wave(60, 130))));
    back.dispose();
    twin.dispose();
  });

  it('a next resolution that fails takes the detector with it, with its reason', async () => {
    const o = { ...OPTS, resolution: [2] };
    const d = await SeriesDetector.create(o);
    d.pushMany(wave(300));
    breakModel(d, true);
    const e = thrown(() => d.pushMany(wave(200, 300)));
    expect(e).toBeInstanceOf(AutoencoderError);
    expect((e as Error).message).toMatch(/^pushMany\(\) failed inside the kernels \(memory access out of bounds\) after this detector's state had begun to change/);
    // the detector itself refuses (not only by way of its next resolution's refusal)
    for (const call of [() => d.push(1), () => d.save(), () => d.count]) {
      expect((thrown(call) as Error).message).toMatch(/^this SeriesDetector's state was lost when an earlier pushMany\(\) failed inside the kernels \(memory access out of bounds\)/);
    }
    d.dispose();
  });
});
