// The trimmed loss (fit option `trim`, assembly/trim.ts). Oracle: with one batch holding every row
// and trim = k/R, the step must equal a step on the R - k rows alone, where the k left out are the
// rows with the largest reconstruction error at the starting weights, which score() (a separate
// code path) ranks. Equal up to float rounding: the kept rows' gradient is scaled by R/kept after
// the mean over R rows instead of being a mean over kept rows.
import { describe, expect, it } from 'vitest';
import { Autoencoder, AutoencoderError } from 'autoencoder';
import { lowRank } from './data.js';

const R = 64, D = 6;
const x = lowRank(R, D, 7);
// a few rows far off the low-rank structure (distinct, so no two rows tie)
for (const r of [3, 17, 40, 41]) for (let c = 0; c < D; c++) x[r * D + c] = 4 * ((r + c) % 3 - 1) + 2 + r / 64;
// sgd, not adam: adam's first step is about lr * sign(g), which float rounding flips where g is ~0
const one = { epochs: 1, batchSize: R, shuffle: false, validationSplit: 0, earlyStopping: false, optimizer: 'sgd', learningRate: 0.1, trim: 0 } as const;
const flat = (w: Float32Array[]) => w.flatMap((a) => [...a]);

describe('fit({ trim })', () => {
  for (const k of [4, 10]) {
    it(`trim ${k}/${R}: one full-batch step equals a step on the rows it keeps`, async () => {
      const spec = { inputDim: D, layers: [5, 2], seed: 3 };
      const trimmed = await Autoencoder.create(spec);
      const s0 = trimmed.score(x);
      // left out: rows whose error is above the (k+1)-th largest (rows tied with it are kept)
      const cut = Float32Array.from(s0).sort()[R - k - 1]!;
      const dropped = new Set(Array.from(s0, (_, i) => i).filter((i) => s0[i]! > cut));
      expect(dropped.size).toBe(k); // no tie at the cutoff in these data
      await trimmed.fit(x, { ...one, trim: k / R });

      const keptRows = new Float64Array((R - k) * D);
      let j = 0;
      for (let r = 0; r < R; r++) if (!dropped.has(r)) keptRows.set(x.subarray(r * D, (r + 1) * D), D * j++);
      const kept = await Autoencoder.create(spec);
      await kept.fit(keptRows, one);
      const full = await Autoencoder.create(spec);
      await full.fit(x, one);

      const a = flat(trimmed.getWeights()), b = flat(kept.getWeights()), c = flat(full.getWeights());
      const maxDiff = (p: number[], q: number[]) => p.reduce((m, v, i) => Math.max(m, Math.abs(v - q[i]!)), 0);
      expect(maxDiff(a, b)).toBeLessThan(1e-6);
      expect(maxDiff(a, c)).toBeGreaterThan(1e-4); // the trim changed the step
    });
  }

  it('fewer than one row to leave out is no trim, bit for bit; the default is the documented 0.05', async () => {
    const make = () => Autoencoder.create({ inputDim: D, seed: 5 });
    const fitted = async (o: { trim?: number }) => { const m = await make(); await m.fit(x, { epochs: 3, ...o }); return m; };
    const none = await fitted({ trim: 0 }), under = await fitted({ trim: 1 / 32 - 1e-3 }); // batch 32: floor(0.99) = 0 rows
    expect(under.score(x)).toEqual(none.score(x));
    const dflt = await fitted({}), doc = await fitted({ trim: 0.05 });
    expect(dflt.score(x)).toEqual(doc.score(x));
    expect(dflt.score(x)).not.toEqual(none.score(x));
    const a = none;
    for (const bad of [-0.1, 0.6, Number.NaN, '0.1']) {
      await expect(a.fit(x, { trim: bad as number })).rejects.toThrow(AutoencoderError);
      await expect(a.fit(x, { trim: bad as number })).rejects.toThrow(/trim/);
    }
  });
});
