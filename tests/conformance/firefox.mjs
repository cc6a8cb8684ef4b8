// firefox.mjs: the conformance workload in headless Firefox (Debian's firefox-esr: SpiderMonkey, a third engine
// beside V8 (Node, Deno, Chromium, workerd) and JavaScriptCore (Bun)), for run.mjs.
// The page is bundled as chromium.mjs bundles its page (esbuild, platform 'browser', 'autoencoder' resolving to
// dist/bindings/browser.js) and served cross-origin isolated (threads). No driver: playwright drives only its own
// patched Firefox builds, which are downloads; so Firefox is started on the page's URL with a temp profile, and the
// page POSTs what runWorkload() returned (or its error) to the server, which ends the run; with it, as the Chromium
// page does, whether a 0 ms interval ran in fit()'s turns (TIMER_TURNS, checkTimerTurns). Everything lands in a
// temp dir, removed at the end.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ISOLATED, TIMER_TURNS, checkTimerTurns, serveDir, stageSite } from './chromium.mjs';

/** Debian's Firefox ESR, or null. */
export const FIREFOX = ['/usr/bin/firefox-esr', '/usr/bin/firefox'].find((p) => existsSync(p)) ?? null;

const ENTRY = `
import * as lib from 'autoencoder';
import { runWorkload } from './workload.mjs';
const post = (body) => fetch('/__result', { method: 'POST', body: JSON.stringify(body) });
${TIMER_TURNS}
try {
  if (!globalThis.crossOriginIsolated) throw new Error('the page is not cross-origin isolated: the threaded fits cannot run');
  await post({ result: await runWorkload(lib), timerTurns: await window.__timerTurns() });
} catch (e) {
  await post({ error: String((e && e.stack) || e) });
}
`;

// a quiet profile: no first-run pages, updates, telemetry or default-browser check
const PREFS = `
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.aboutwelcome.enabled", false);
user_pref("startup.homepage_welcome_url", "");
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("app.update.disabledForTesting", true);
user_pref("app.normandy.enabled", false);
user_pref("browser.safebrowsing.update.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
`;

/** The binary's version, e.g. '140.12.0esr' (`firefox-esr --version`). */
export function firefoxVersion(binary = FIREFOX) {
  return execFileSync(binary, ['--version'], { encoding: 'utf8', env: { ...process.env, MOZ_HEADLESS: '1' } }).trim().split(/\s+/).pop();
}

/**
 * Opens `${url}` of a site served from `site` (cross-origin isolated) in headless Firefox with a temp profile, and
 * resolves with the JSON the page POSTs to /__result; rejects if Firefox exits first or `timeoutMs` passes. Firefox
 * and the server are closed and the profile removed either way.
 */
export async function inFirefox(site, path, { binary = FIREFOX, timeoutMs = 180_000, what = 'the page' } = {}) {
  if (!binary) throw new Error('inFirefox: /usr/bin/firefox-esr is not installed (apt-get install firefox-esr)');
  const profile = mkdtempSync(join(tmpdir(), 'autoencoder-firefox-profile-'));
  writeFileSync(join(profile, 'user.js'), PREFS);
  let server = null, child = null;
  try {
    let report;
    const reported = new Promise((resolve) => { report = resolve; });
    server = await serveDir(site, 0, ISOLATED, (p, body) => { if (p === '/__result') report(JSON.parse(body)); });
    let stderr = '';
    child = spawn(binary, ['--headless', '--no-remote', '--profile', profile, `${server.url}${path}`],
      { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, MOZ_HEADLESS: '1' } });
    child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ exited: `${signal ?? code}` })));
    const timer = new Promise((resolve) => setTimeout(resolve, timeoutMs, { timeout: true }).unref());
    const r = await Promise.race([reported, exited, timer]);
    if (r.timeout) throw new Error(`${what} did not report from Firefox in ${timeoutMs / 1000} s${stderr ? `\n${stderr}` : ''}`);
    if (r.exited) throw new Error(`Firefox exited (${r.exited}) before ${what} reported${stderr ? `\n${stderr}` : ''}`);
    return r;
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      try { process.kill(-child.pid, 'SIGTERM'); } catch {}
      if (!(await Promise.race([gone.then(() => true), new Promise((r) => setTimeout(r, 5_000, false))]))) {
        try { process.kill(-child.pid, 'SIGKILL'); } catch {}
        await gone;
      }
    }
    await server?.close();
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  }
}

/** Runs the conformance workload in headless Firefox; returns { runtime, digests, losses, ... } like run-cli.mjs. */
export async function runFirefox(binary = FIREFOX, timeoutMs = 180_000) {
  if (!binary) throw new Error('runFirefox: /usr/bin/firefox-esr is not installed (apt-get install firefox-esr)');
  const site = mkdtempSync(join(tmpdir(), 'autoencoder-firefox-'));
  try {
    await stageSite(site, { 'app.js': ENTRY }, '<!doctype html>\n<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>autoencoder conformance (Firefox)</title></head>\n<body><script type="module" src="./app.js"></script></body></html>\n');
    const r = await inFirefox(site, '/index.html', { binary, timeoutMs, what: 'the workload' });
    if (r.error) throw new Error(`the workload failed in Firefox: ${r.error}`);
    // (the user agent says 140.0; the binary its full version)
    return { ...r.result, runtime: `firefox ${firefoxVersion(binary)}`, turns: `${r.result.turns}; ${checkTimerTurns(r.timerTurns)}` };
  } finally {
    rmSync(site, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = Date.now();
  const r = await runFirefox();
  console.error(`${r.runtime}: ${Date.now() - t0} ms`);
  console.log(JSON.stringify(r));
}
