// posted.mjs: a browser without a driver, for firefox.mjs and webkit.mjs. The site is served cross-origin isolated
// (threads) on 127.0.0.1, the browser is started on the page's URL, and the page POSTs its results (JSON) to
// /__result, which ends the run. The browser's process group is ended (SIGTERM, then SIGKILL after 5 s: endGroup,
// which hidden.mjs uses too) and the server closed whatever happened.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ISOLATED, TIMER_TURNS, checkTimerTurns, serveDir, stageSite } from './chromium.mjs';

/** The conformance page for such a browser: runWorkload() and the timer-turns check, posted as { result, timerTurns }. */
const WORKLOAD_PAGE = `
import * as lib from 'autoencoder';
import { runWorkload } from './workload.mjs';
const post = (body) => fetch('/__result', { method: 'POST', body: JSON.stringify(body) });
${TIMER_TURNS}
try {
  if (!globalThis.crossOriginIsolated) throw new Error('the page is not cross-origin isolated: the threaded fits cannot run');
  await post({ result: await runWorkload(lib), timerTurns: await window.__timerTurns() });
} catch (e) {
  await post({ error: String((e && e.stack) || e) + ((e && e.stack && !String(e.stack).includes(e.message)) ? ' (' + e.message + ')' : '') });
}
`;

/**
 * Serves `site`, runs `launch(url)`'s { command, args, env } on `path`'s URL, and resolves with what the page POSTed
 * to /__result; rejects naming `what` if the browser exits first or `timeoutMs` passes (with its stderr's tail). With
 * `tries` > 1, a browser that neither reported nor exited in `timeoutMs` is closed and launched again (said on stderr).
 */
export async function posted(site, path, launch, { timeoutMs = 180_000, what = 'the page', tries = 1 } = {}) {
  let server = null, child = null;
  try {
    let report;
    const reported = new Promise((resolve) => { report = resolve; });
    server = await serveDir(site, 0, ISOLATED, (p, body) => {
      if (p !== '/__result') return;
      try {
        report(JSON.parse(body));
      } catch (e) {
        report({ error: `the page posted what is not JSON (${e.message}): ${body.slice(0, 200)}` });
      }
    });
    for (let attempt = 1; ; attempt++) {
      const { command, args, env = {} } = launch(`${server.url}${path}`);
      let stderr = '';
      child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, ...env } });
      child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
      const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ exited: `${signal ?? code}` })));
      const timer = new Promise((resolve) => setTimeout(resolve, timeoutMs, { timeout: true }).unref());
      const r = await Promise.race([reported, exited, timer]);
      if (r.timeout && attempt < tries) {
        // a browser that neither reported nor exited (seen once in about 40 WebKit launches): closed, and started again
        console.warn(`${what} did not report in ${timeoutMs / 1000} s (attempt ${attempt} of ${tries}): the browser is closed and started again${stderr ? `; its stderr:\n${stderr}` : ''}`);
        await endGroup(child);
        child = null;
        continue;
      }
      if (r.timeout) throw new Error(`${what} did not report in ${timeoutMs / 1000} s${tries > 1 ? ` in any of ${tries} launches` : ''}${stderr ? `\n${stderr}` : ''}`);
      if (r.exited) throw new Error(`the browser exited (${r.exited}) before ${what} reported${stderr ? `\n${stderr}` : ''}`);
      return r;
    }
  } finally {
    if (child) await endGroup(child);
    await server?.close();
  }
}

/**
 * Ends a browser started in a process group of its own (spawn's `detached`): `ask()` (by default SIGTERM to the
 * group; a driver's close command, say), then SIGKILL to the group if it has not exited within 5 s.
 */
export async function endGroup(child, ask = () => process.kill(-child.pid, 'SIGTERM')) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  try { await ask(); } catch {}
  if (!(await Promise.race([gone.then(() => true), new Promise((r) => setTimeout(r, 5_000, false))]))) {
    try { process.kill(-child.pid, 'SIGKILL'); } catch {}
    await gone;
  }
}

/**
 * The conformance workload in a driverless browser: WORKLOAD_PAGE staged in a temp site, opened with
 * `open(site, path, what)` (firefox.mjs inFirefox, webkit.mjs inWebKit); returns { runtime: runtime(), digests,
 * losses, ... } like run-cli.mjs, with the timer-turns check in `turns`.
 */
export async function postedWorkload(browser, open, runtime) {
  const site = mkdtempSync(join(tmpdir(), `autoencoder-${browser.toLowerCase()}-`));
  try {
    await stageSite(site, { 'app.js': WORKLOAD_PAGE }, `<!doctype html>\n<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>autoencoder conformance (${browser})</title></head>\n<body><script type="module" src="./app.js"></script></body></html>\n`);
    const r = await open(site, '/index.html', 'the workload');
    if (r.error) throw new Error(`the workload failed in ${browser}: ${r.error}`);
    return { ...r.result, runtime: runtime(), turns: `${r.result.turns}; ${checkTimerTurns(r.timerTurns)}` };
  } finally {
    rmSync(site, { recursive: true, force: true });
  }
}

/** A runner file's main block: `run()`'s result as one JSON line on stdout, its runtime and time on stderr. */
export async function printRun(run) {
  const t0 = Date.now();
  const r = await run();
  console.error(`${r.runtime}: ${Date.now() - t0} ms`);
  console.log(JSON.stringify(r));
}
