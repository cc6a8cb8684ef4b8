// test-nodes.mjs: the whole vitest suite under each pinned Node release line (22, 24 and 26, from
// tools/runtimes.mjs nodeLines(): npm's packages of Node's own binaries), one after the other. `npm test` runs the
// suite under the Node that runs it (20 here) and the conformance run compares every output in all the lines; this
// runs everything else too (the CLI, the files, the threads, the browsers' drivers). The tests' child processes run
// under that Node as well: process.execPath, and npm through PATH, where the line's Node comes first. Prints one
// line a Node line and exits 1 if any failed. Usage: npm run test:nodes [-- --lines 24,26] [-- <vitest args>]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { NODE_LINES, nodeLines } from './runtimes.mjs';

const root = new URL('..', import.meta.url).pathname;
const cli = new Command('npm run test:nodes --')
  .description('runs the vitest suite under Node 22, 24 and 26 (pinned, installed into .runtimes/)')
  .option('--lines <list>', 'the Node lines to run, e.g. 24,26', Object.keys(NODE_LINES).map((l) => l.slice(4)).join(','))
  .argument('[vitest...]', 'passed to `vitest run` (test files, -t <name>)')
  .allowUnknownOption()
  .parse();
const wanted = cli.opts().lines.split(',').map((s) => `node${s.trim()}`);
const unknown = wanted.filter((l) => !(l in NODE_LINES));
if (unknown.length) cli.error(`--lines: ${unknown.map((l) => l.slice(4)).join(', ')} is not one of ${Object.keys(NODE_LINES).map((l) => l.slice(4)).join(', ')}`);

const lines = nodeLines();
const summary = [];
let failed = false;
for (const line of wanted) {
  const { binary, reason } = lines[line];
  if (!binary) {
    summary.push(`${line}: skipped (${reason})`);
    continue;
  }
  console.error(`\n=== vitest under ${line} (${NODE_LINES[line]}) ===`);
  const t0 = Date.now();
  const r = spawnSync(binary, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...cli.args], {
    cwd: root, stdio: 'inherit', env: { ...process.env, PATH: `${dirname(binary)}:${process.env.PATH}` },
  });
  const ok = r.status === 0;
  failed ||= !ok;
  summary.push(`${line} (${NODE_LINES[line]}): ${ok ? 'passed' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
console.log(`\n${summary.join('\n')}`);
process.exit(failed ? 1 : 0);
