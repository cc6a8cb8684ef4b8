// format-v1.test.ts: model files of format 1, saved by the code before issue 11 (commit 266e2f9,
// tests/fixtures/make-format-v1.mjs), still load after the format bump and score the same: the
// stored probe's scores and codes, as that code computed them, bit for bit (same kernels, same order),
// but for the dense model's: its tanh layers, whose approximation changed on 2026-12-02 (Eigen's 13/6
// rational, <= 6.4 ulp, to a 9/8 one, <= 6.35 ulp: assembly/math.ts), so its scores and codes are held
// within 2e-6 of the stored ones (a misread file would be off by far more).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Autoencoder } from 'autoencoder';
import { ROOT } from './helpers.js';

const dir = `${ROOT}tests/fixtures/`;
const expected = JSON.parse(readFileSync(`${dir}format-v1.json`, 'utf8')) as {
  models: Record<string, { file: string; probe: { rows: number; cols: number }; x: number[]; threshold: number | null; score: number[]; encode: number[] }>;
};

describe('format 1 files (saved before issue 11) load and score the same', () => {
  for (const [name, m] of Object.entries(expected.models)) {
    it(`${name}: ${m.file}`, async () => {
      const bytes = new Uint8Array(readFileSync(`${dir}${m.file}`));
      expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true)).toBe(1); // it is a format 1 file
      const ae = await Autoencoder.load(bytes);
      expect(ae.threshold).toBe(m.threshold);
      const x = Float32Array.from(m.x);
      expect(x.length).toBe(m.probe.rows * m.probe.cols);
      const same = (got: Float32Array, want: number[]) => {
        if (name !== 'dense') return expect(Array.from(got)).toEqual(want);
        expect(got.length).toBe(want.length);
        got.forEach((v, i) => expect(Math.abs(v - want[i]!), `${i}: ${v} against ${want[i]}`).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(want[i]!))));
      };
      const score = ae.score(x);
      same(score, m.score);
      same(ae.encode(x), m.encode);
      // saved again, it is a format 2 file that loads to the same scores
      const again = ae.save();
      expect(new DataView(again.buffer).getUint32(8, true)).toBe(2);
      expect(Array.from((await Autoencoder.load(again)).score(x))).toEqual(Array.from(score));
      if (name === 'dense') expect(ae.normalizerFitted).toBe(true);
    });
  }
});
