// runtimes.mjs: installs the JavaScript runtimes the conformance run and examples need, pinned, from
// npm into .runtimes/ (git-ignored), outside package-lock.json: the registry here serves only this
// platform's optional binaries, which a lock file for every platform cannot record.
// Chromium is Debian's package (/usr/bin/chromium), installed by .ci/run with apt-get; never downloaded.
// Usage: node tools/runtimes.mjs  (prints the paths as JSON); import { runtimes } from './runtimes.mjs'.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';

export const PINNED = { deno: '2.9.6', bun: '1.4.5', workerd: '1.20261117.1', 'playwright-core': '1.65.1' };
const root = new URL('..', import.meta.url).pathname;
export const dir = `${root}.runtimes`;

/** Installs what is missing; returns the binaries' paths (chromium null when not installed). */
export function runtimes() {
  const bin = (n) => `${dir}/node_modules/.bin/${n}`;
  const missing = Object.keys(PINNED).filter((p) => !existsSync(`${dir}/node_modules/${p}/package.json`));
  if (missing.length) {
    mkdirSync(dir, { recursive: true });
    if (!existsSync(`${dir}/package.json`)) writeFileSync(`${dir}/package.json`, '{ "private": true }\n');
    const specs = missing.map((p) => `${p}@${PINNED[p]}`);
    console.error(`installing ${specs.join(' ')} into .runtimes/ ...`);
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

if (import.meta.url === `file://${process.argv[1]}`) {
  new Command('node tools/runtimes.mjs')
    .description('installs the pinned runtimes (deno, bun, workerd, playwright-core) into .runtimes/ and prints their paths as JSON')
    .parse();
  console.log(JSON.stringify(runtimes(), null, 2));
}
