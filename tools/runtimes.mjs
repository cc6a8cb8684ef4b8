// runtimes.mjs: installs the JavaScript runtimes the conformance run and examples need, pinned, from
// npm into .runtimes/ (git-ignored), outside package-lock.json: the registry here serves only this
// platform's optional binaries, which a lock file for every platform cannot record.
// Chromium, Firefox ESR and Epiphany (WebKit) are Debian's packages, installed by .ci/run with apt-get; never downloaded.
// Usage: node tools/runtimes.mjs  (prints the paths as JSON); import { runtimes } from './runtimes.mjs'.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';

export const PINNED = { deno: '2.9.6', bun: '1.4.5', workerd: '1.20261123.1', 'playwright-core': '1.65.2' };
const root = new URL('..', import.meta.url).pathname;
export const dir = `${root}.runtimes`;

/** Installs what is missing; returns the binaries' paths (chromium null when not installed). */
export function runtimes() {
  const bin = (n) => `${dir}/node_modules/.bin/${n}`;
  // (all four at once when one is missing or not the pinned version: an npm install without --save prunes what
  // the folder's package.json does not list, so installing one alone would remove the others)
  const stale = Object.keys(PINNED).filter((p) => installedVersion(`${dir}/node_modules/${p}`) !== PINNED[p]);
  if (stale.length) {
    mkdirSync(dir, { recursive: true });
    if (!existsSync(`${dir}/package.json`)) writeFileSync(`${dir}/package.json`, '{ "private": true }\n');
    const specs = Object.keys(PINNED).map((p) => `${p}@${PINNED[p]}`);
    console.error(`installing ${specs.join(' ')} into .runtimes/ (${stale.map((p) => `${p} ${installedVersion(`${dir}/node_modules/${p}`) ?? 'missing'}`).join(', ')}) ...`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--no-package-lock', ...specs],
      { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' } });
  }
  return {
    node: process.execPath,
    deno: bin('deno'),
    bun: bin('bun'),
    workerd: bin('workerd'),
    playwrightCore: `${dir}/node_modules/playwright-core/index.mjs`,
    chromium: existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null,
  };
}

/** The version in the package.json of the package installed at `at`, or null where there is none. */
function installedVersion(at) {
  try {
    return JSON.parse(readFileSync(`${at}/package.json`, 'utf8')).version ?? null;
  } catch {
    return null;
  }
}

/**
 * The Node release lines the conformance run checks besides the Node that runs it (Node 20 here, whose
 * support ended in April 2026; 22, 24 and 26 are the LTS lines of December 2026): npm's node-<os>-<arch> packages,
 * which hold the official binaries, pinned. Each goes into a folder of its own (.runtimes/node22/, ...):
 * an npm install into .runtimes/ itself would prune what runtimes() installed there without saving it.
 */
export const NODE_LINES = { node22: '22.23.5', node24: '24.22.3', node26: '26.12.1' };

/**
 * Installs what is missing of NODE_LINES; returns each line's binary, or null with the reason where this
 * platform has no such package or the install failed (the conformance run then skips that column, saying why).
 */
export function nodeLines() {
  const os = { linux: 'linux', darwin: 'darwin' }[process.platform];
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
  const out = {};
  for (const [line, version] of Object.entries(NODE_LINES)) {
    if (!os || !arch) { out[line] = { binary: null, reason: `no npm package of Node's binaries is used for ${process.platform}-${process.arch} here` }; continue; }
    const pkg = `node-${os}-${arch}`, at = `${dir}/${line}`, binary = `${at}/node_modules/${pkg}/bin/node`;
    if (!existsSync(binary) || installedVersion(`${at}/node_modules/${pkg}`) !== version) {
      mkdirSync(at, { recursive: true });
      if (!existsSync(`${at}/package.json`)) writeFileSync(`${at}/package.json`, '{ "private": true }\n');
      console.error(`installing ${pkg}@${version} into .runtimes/${line}/ ...`);
      try {
        execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--no-package-lock', `${pkg}@${version}`], { cwd: at, stdio: ['ignore', 'ignore', 'inherit'] });
      } catch (e) {
        out[line] = { binary: null, reason: `npm install ${pkg}@${version} failed (${e.message.split('\n')[0]})` };
        continue;
      }
    }
    out[line] = existsSync(binary) ? { binary, reason: null } : { binary: null, reason: `${binary} is missing after npm install ${pkg}@${version}` };
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  new Command('node tools/runtimes.mjs')
    .description('installs the pinned runtimes (deno, bun, workerd, playwright-core, and the Node release lines 22, 24 and 26) into .runtimes/ and prints their paths as JSON')
    .parse();
  console.log(JSON.stringify({ ...runtimes(), nodeLines: nodeLines() }, null, 2));
}
