// fuzz.ts: the long fuzz run, `npm run fuzz -- --cases 200000 [--seed N] [--explore] [--asserts]`: the
// same properties as tests/fuzz/fuzz.test.ts (tests/fuzz/properties.ts), more cases, any seed. Prints
// the outcome table; exits 1 when a property failed (its shrunk counterexample is printed) or
// anything crashed. --explore collects every finding not in KNOWN_DEFECTS instead of stopping at
// the first (for triage: the table lists each kind with its first example). --asserts runs the
// library on build/kernels-test.wasm, whose kernels check their preconditions (a scratch too small,
// a bad stride): a violated one traps, which the table counts as a crash; as vitest's fuzz test does.
import { Command, InvalidArgumentError } from 'commander';
import { runAll } from '../tests/fuzz/properties.js';

const int = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${what} must be a non-negative integer`);
  return n;
};

const program = new Command('fuzz')
  .description('fuzz load() and the public API of autoencoder with fast-check')
  .option('--cases <n>', 'cases in total across the properties', int('cases'), 10_000)
  .option('--seed <n>', 'fast-check seed (the same seed replays the same cases)', int('seed'), Date.now() % 2 ** 31)
  .option('--explore', 'collect findings not in KNOWN_DEFECTS instead of failing on the first', false)
  .option('--asserts', "run on build/kernels-test.wasm, the kernels with their preconditions checked (npm run build first)", false)
  .parse();

const { asserts, ...o } = program.opts<{ cases: number; seed: number; explore: boolean; asserts: boolean }>();
// the tests' setup file installs the loader of build/kernels-test.wasm, as vitest's fuzz test runs
if (asserts) await import('../tests/setup-kernels.js');
const t0 = performance.now();
console.log(`fuzz: ${o.cases} cases, seed ${o.seed}${o.explore ? ' (explore)' : ''}${asserts ? ', on the asserting kernels' : ''}`);
const { tally, failures } = await runAll({ ...o, onProgress: (name) => console.error(`  ${name} done at ${((performance.now() - t0) / 1000).toFixed(1)} s`) });
console.log(tally.table());
console.log(`\n${((performance.now() - t0) / 1000).toFixed(1)} s`);
for (const f of failures) console.log(`\nFAILED ${f}`);
const crashes = [...tally.rows.values()].reduce((a, r) => a + r.crashes, 0);
process.exitCode = failures.length || crashes ? 1 : 0;
