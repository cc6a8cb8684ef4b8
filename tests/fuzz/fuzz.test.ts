// fuzz.test.ts: the CI-sized fuzz run (FUZZ_CASES cases over the properties of ./properties.ts,
// fixed seed so a failure replays). Prints the outcome table; fails on any finding that no
// KNOWN_DEFECTS entry explains (with fast-check's shrunk counterexample), and on any crash.
// The long run is `npm run fuzz -- --cases 200000` (tools/fuzz.ts), the same properties.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tally, apiProperty, budgets, loadBytesProperty, loadJsonProperty, makeSeeds, makeSeriesSeed, seriesStateProperty, type Seed, type SeriesSeed } from './properties.js';

const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20240601);
const b = budgets(CASES);
// (each property's time limit grows with its cases: 1.2-1.5 ms a hostile-call sequence here, so FUZZ_CASES past about
// 700,000 would run the API's past a fixed 300 s, as THREADS_FUZZ_RUNS=3000 ran the threads fuzz past its own)
const limit = (cases: number) => Math.max(300_000, cases * 5);

describe('fuzz', () => {
  const tally = new Tally();
  let seeds: Seed[];
  let series: SeriesSeed;
  beforeAll(async () => { seeds = await makeSeeds(); series = await makeSeriesSeed(); });

  it(`load() of ${b.bytes} mutated model files (bit flips, overwrites, truncation, splices; CRC fixed or not)`, async () => {
    await fc.assert(loadBytesProperty(seeds, tally), { numRuns: b.bytes, seed: SEED });
  }, limit(b.bytes));

  it(`load() of ${b.json} files with an edited JSON header (valid length fields and CRC)`, async () => {
    await fc.assert(loadJsonProperty(seeds, tally), { numRuns: b.json, seed: SEED });
  }, limit(b.json));

  it(`${b.api} sequences of hostile calls on the public API`, async () => {
    await fc.assert(apiProperty(seeds, tally), { numRuns: b.api, seed: SEED });
  }, limit(b.api));

  it(`SeriesDetector.load() of ${b.series} edited states (fields set to hostile values, bytes overwritten; CRC fixed or not)`, async () => {
    await fc.assert(seriesStateProperty(series, tally), { numRuns: b.series, seed: SEED });
  }, limit(b.series));

  it('prints the table; no crashes anywhere', () => {
    console.log(`fuzz: ${CASES} cases, seed ${SEED}\n${tally.table()}`);
    const rows = [...tally.rows.values()];
    expect(rows.reduce((a, r) => a + r.tried, 0)).toBeGreaterThanOrEqual(CASES);
    expect(rows.reduce((a, r) => a + r.crashes, 0), 'crashes (traps, non-Error throws)').toBe(0);
  });
});
