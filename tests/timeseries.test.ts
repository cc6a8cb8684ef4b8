// The Keras "Timeseries anomaly detection using an Autoencoder" example (examples/timeseries-conv1d.ts)
// on NAB's two artificial series, with a reduced budget: 8 epochs instead of at most 50. The
// assertions are properties of a working detector, not numbers copied from one run; each was checked
// to hold for seeds 1, 2 and 3 (set TIMESERIES_SEED to try another).
//   art_daily_jumpsup's anomaly is a raised stretch, rows 2988-3095 (NAB labels row 2988, window
//   rows 2787-3189); the windows that contain all of it are 2808-2988, those that touch it 2701-3095.
import { describe, expect, it } from 'vitest';
import { TIME_STEPS, meanStd, runTimeseries } from '../examples/timeseries-conv1d.js';

const SEED = Number(process.env.TIMESERIES_SEED ?? 1);
const EPOCHS = 8;
const JUMP = [2988, 3095] as const;

describe('examples/timeseries-conv1d (Keras conv1d autoencoder on NAB)', () => {
  it(`seed ${SEED}, ${EPOCHS} epochs: trains, and flags the jump and nothing outside NAB's window`, async () => {
    const r = await runTimeseries({ seed: SEED, epochs: EPOCHS });
    const h = r.history;
    console.log(`timeseries: seed ${SEED}, ${h.epochs} epochs, loss ${h.loss.at(-1)!.toFixed(4)}, val loss ${h.valLoss.at(-1)!.toFixed(4)}, ` +
      `threshold ${r.threshold.toFixed(4)}, ${r.flaggedWindows.length} windows, points ${r.points[0]}-${r.points.at(-1)} (${r.points.length}), ` +
      `fit ${(r.ms.fit / 1000).toFixed(1)} s`);

    // the recipe: 3,745 windows of [288, 1] per file, Keras's 9,505 parameters
    expect(TIME_STEPS).toBe(288);
    expect([r.nTrainWindows, r.nTestWindows, r.nPoints]).toEqual([3745, 3745, 4032]);
    expect(r.paramCount).toBe(9505);
    // z-normalisation uses pandas' std (ddof 1)
    const ms = meanStd(Float64Array.of(1, 2, 3, 4));
    expect(ms.mean).toBe(2.5);
    expect(ms.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(r.normalization.std).toBeGreaterThan(0);

    // training converges: finite, the loss falls by far more than the noise between epochs
    expect(h.loss.length).toBe(h.epochs);
    expect(h.valLoss.length).toBe(h.epochs);
    expect([...h.loss, ...h.valLoss].every(Number.isFinite)).toBe(true);
    expect(h.loss.at(-1)!).toBeLessThan(h.loss[0]! / 5);
    expect(Math.min(...h.valLoss)).toBeLessThan(h.valLoss[0]!);
    expect(h.bestEpoch).toBe(h.epochs);        // restoreBest false (as Keras): the last epoch's weights

    // the threshold (the largest training-window MAE) and the test scores are sane
    expect(r.threshold).toBeGreaterThan(0);
    expect(Number.isFinite(r.threshold)).toBe(true);
    expect(r.testScores.every((s) => Number.isFinite(s) && s >= 0)).toBe(true);

    // every window that holds the whole jump scores well above the threshold
    for (let w = JUMP[1] - TIME_STEPS + 1; w <= JUMP[0]; w++) {
      expect(r.flags[w], `window ${w}`).toBe(1);
      expect(r.testScores[w]!).toBeGreaterThan(1.5 * r.threshold);
    }
    // and most flagged windows touch the jump
    const touching = r.flaggedWindows.filter((w) => w + TIME_STEPS - 1 >= JUMP[0] && w <= JUMP[1]).length;
    expect(r.flaggedWindows.length - touching).toBeLessThanOrEqual(0.1 * r.flaggedWindows.length);

    // points: at least one, all inside NAB's window (both the every-covering-window rule and the Keras
    // code's i-287..i-1 variant); they start within an hour of the labelled row and cover most of the jump
    for (const pts of [r.points, r.pointsKeras]) {
      expect(pts.length).toBeGreaterThan(0);
      for (const p of pts) {
        expect(p).toBeGreaterThanOrEqual(r.nab.startRow);
        expect(p).toBeLessThanOrEqual(r.nab.endRow);
      }
      expect(pts[0]! - r.nab.point.row).toBeGreaterThanOrEqual(-12);
      expect(pts[0]! - r.nab.point.row).toBeLessThanOrEqual(12);
      const inJump = pts.filter((p) => p >= JUMP[0] && p <= JUMP[1]).length;
      expect(inJump).toBeGreaterThanOrEqual(0.9 * (JUMP[1] - JUMP[0] + 1));
    }
    expect([r.nab.startRow, r.nab.endRow, r.nab.point.row]).toEqual([2787, 3189, 2988]);
  }, 120_000);
});
