// global-setup.ts: builds dist/ once before any test file runs, when a source is newer than the
// build (npm test has just built, so then it does nothing). Test files never build on their own
// while others run: tools/build.mjs starts by deleting dist/.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'data' && e.name !== 'out') t = Math.max(t, newest(p)); }
    else if (/\.(ts|mjs|js|json|html)$/.test(e.name)) t = Math.max(t, statSync(join(ROOT, p)).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  const marker = join(ROOT, 'dist/tools/cli.js');
  const sources = Math.max(...['assembly', 'bindings', 'tools', 'examples'].map(newest));
  if (!existsSync(marker) || statSync(marker).mtimeMs < sources) {
    execFileSync(process.execPath, [join(ROOT, 'tools/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  }
}
