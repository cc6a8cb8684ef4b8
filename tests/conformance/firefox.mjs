// firefox.mjs: the conformance workload in headless Firefox (Debian's firefox-esr: SpiderMonkey, a third engine
// beside V8 (Node, Deno, Chromium, workerd) and JavaScriptCore (Bun)), for run.mjs.
// The page is bundled as chromium.mjs bundles its page (esbuild, platform 'browser', 'autoencoder' resolving to
// dist/bindings/browser.js) and served cross-origin isolated (threads). No driver: playwright drives only its own
// patched Firefox builds, which are downloads; so Firefox is started on the page's URL with a temp profile, and the
// page POSTs what runWorkload() returned (or its error) to the server, which ends the run; with it, as the Chromium
// page does, whether a 0 ms interval ran in fit()'s turns (TIMER_TURNS, checkTimerTurns). Everything lands in a
// temp dir, removed at the end.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { posted, postedWorkload, printRun } from './posted.mjs';

/** Debian's Firefox ESR, or null. */
export const FIREFOX = ['/usr/bin/firefox-esr', '/usr/bin/firefox'].find((p) => existsSync(p)) ?? null;


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

/** A temp profile dir with the quiet prefs; the caller removes it. */
export function firefoxProfile() {
  const profile = mkdtempSync(join(tmpdir(), 'autoencoder-firefox-profile-'));
  writeFileSync(join(profile, 'user.js'), PREFS);
  return profile;
}

/** The binary's version, e.g. '153.8.0esr' (`firefox-esr --version`). */
export function firefoxVersion(binary = FIREFOX) {
  return execFileSync(binary, ['--version'], { encoding: 'utf8', env: { ...process.env, MOZ_HEADLESS: '1' } }).trim().split(/\s+/).pop();
}

/**
 * Opens `path` of a site served from `site` (cross-origin isolated) in headless Firefox with a temp profile, and
 * resolves with the JSON the page POSTs to /__result (see posted.mjs).
 */
export async function inFirefox(site, path, { binary = FIREFOX, timeoutMs = 180_000, what = 'the page', tries = 1 } = {}) {
  if (!binary) throw new Error('inFirefox: /usr/bin/firefox-esr is not installed (apt-get install firefox-esr)');
  const profile = firefoxProfile();
  try {
    return await posted(site, path, (url) => ({ command: binary, args: ['--headless', '--no-remote', '--profile', profile, url], env: { MOZ_HEADLESS: '1' } }), { timeoutMs, what: `${what} in Firefox`, tries });
  } finally {
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  }
}

/** Runs the conformance workload in headless Firefox; returns { runtime, digests, losses, ... } like run-cli.mjs. */
export async function runFirefox(binary = FIREFOX, timeoutMs = 180_000) {
  if (!binary) throw new Error('runFirefox: /usr/bin/firefox-esr is not installed (apt-get install firefox-esr)');
  // (the user agent gives the major version only, e.g. 153.0; the binary its full version)
  return await postedWorkload('Firefox', (site, path, what) => inFirefox(site, path, { binary, timeoutMs, what }), () => `firefox ${firefoxVersion(binary)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await printRun(() => runFirefox());
