// run.mjs: `npm run conformance`. Runs tests/conformance/workload.mjs in Node (the one running this, and
// the LTS lines 22, 24 and 26 from npm: tools/runtimes.mjs NODE_LINES), Deno, Bun, headless Chromium,
// headless Firefox (SpiderMonkey: firefox.mjs), WebKit (WebKitGTK in Epiphany on xvfb: webkit.mjs) and
// workerd, prints the digest table (output x runtime) and fails, naming the runtime and the first
// differing output, unless every runtime produced the same bits as Node.
// Runtimes come from tools/runtimes.mjs (npm, pinned); the browsers are Debian's packages (chromium,
// firefox-esr, epiphany-browser with xvfb and dbus), which .ci/run installs: where one is absent (a dev
// machine without root), its column is skipped with the reason on the line.
// Node's digests are then compared with tests/conformance/golden.json, so a change of any output
// bit shows in review: `node tests/conformance/run.mjs --update-golden` rewrites it (say why in the commit).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { nodeLines, runtimes } from '../../tools/runtimes.mjs';

const here = new URL('.', import.meta.url).pathname;
const paths = runtimes();

function cli(cmd, args) {
  const out = execFileSync(cmd, [...args, `${here}run-cli.mjs`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 120_000 });
  return JSON.parse(out.trim().split('\n').pop());
}

const results = [];
const skipped = [];
const t0 = Date.now();
results.push(cli(paths.node, []));
for (const [alias, { binary, reason }] of Object.entries(nodeLines())) {
  if (binary) results.push(cli(binary, []));
  else skipped.push(`${alias}: SKIPPED, ${reason}`);
}
results.push(cli(paths.deno, ['run', '--quiet']));   // no permission flags: the deno entry's source import needs none
results.push(cli(paths.bun, []));
if (paths.chromium) {
  const { runChromium } = await import('./chromium.mjs');
  results.push(await runChromium(paths));
} else {
  skipped.push('chromium: SKIPPED, /usr/bin/chromium is not installed (apt-get install chromium; .ci/run does)');
}
const { FIREFOX, runFirefox } = await import('./firefox.mjs');
if (FIREFOX) results.push(await runFirefox(FIREFOX));
else skipped.push('firefox: SKIPPED, /usr/bin/firefox-esr is not installed (apt-get install firefox-esr; .ci/run does)');
const { runWebKit, webkitMissing } = await import('./webkit.mjs');
const noWebKit = webkitMissing();
if (!noWebKit) results.push(await runWebKit());
else skipped.push(`webkit: SKIPPED, ${noWebKit}; .ci/run installs them`);
const { runWorkerd } = await import('./workerd.mjs');
results.push(await runWorkerd(paths));

const base = results[0];
const keys = Object.keys(base.digests);
const short = (d) => (d ? d.slice(0, 12) : '(missing)');
console.log(`conformance: ${keys.length} outputs x ${results.length} runtimes (${Date.now() - t0} ms)`);
const width = (r) => Math.max(14, r.runtime.length);
console.log(['output'.padEnd(46), ...results.map((r) => r.runtime.padEnd(width(r)))].join(' '));
for (const k of keys) console.log([k.padEnd(46), ...results.map((r) => short(r.digests[k]).padEnd(width(r)))].join(' '));
for (const s of skipped) console.log(s);
for (const r of results) console.log(`threads in ${r.runtime}: ${r.threads ?? 'not run'}`);
for (const r of results) console.log(`fit()'s turns in ${r.runtime}: ${r.turns ?? 'not run'}`);
let failed = 0;
for (const r of results.slice(1)) {
  const bad = keys.find((k) => r.digests[k] !== base.digests[k]);
  if (bad) {
    failed++;
    console.log(`MISMATCH: ${r.runtime} differs from ${base.runtime} first at ${bad} (${short(r.digests[bad])} vs ${short(base.digests[bad])})`);
  }
}
const goldenPath = `${here}golden.json`;
if (process.argv.includes('--update-golden')) {
  writeFileSync(goldenPath, JSON.stringify(base.digests, null, 1) + '\n');
  console.log(`golden: wrote ${keys.length} digests to tests/conformance/golden.json`);
} else {
  const golden = JSON.parse(readFileSync(goldenPath, 'utf8'));
  const changed = [...new Set([...Object.keys(golden), ...keys])].filter((k) => golden[k] !== base.digests[k]);
  if (changed.length) {
    failed++;
    console.log(`GOLDEN: ${changed.length} outputs differ from tests/conformance/golden.json: ${changed.slice(0, 6).join(', ')}${changed.length > 6 ? ', ...' : ''} (if deliberate, rerun with --update-golden and say why in the commit)`);
  } else console.log(`golden: all ${keys.length} digests match tests/conformance/golden.json`);
}
console.log(`${results.length - failed} passed, ${failed} failed${skipped.length ? `, ${skipped.length} skipped` : ''}`);
process.exit(failed ? 1 : 0);
