// webkit.mjs: the conformance workload in WebKit (Safari's engine: WebKitGTK in Debian's epiphany-browser, GNOME Web),
// for run.mjs. Epiphany has no headless mode, so it runs on a virtual display (xvfb-run, Debian's xvfb) with a
// D-Bus session of its own (dbus-run-session) and a private, temporary profile (--private-instance); the page is
// the one firefox.mjs serves (posted.mjs WORKLOAD_PAGE), which POSTs its results. WebKitGTK's web process sandbox
// (bubblewrap) cannot start in this VM as root, so it is turned off for this local, test-only page
// (WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS=1). WebKitGTK is built without SharedArrayBuffer, even on a cross-origin
// isolated page (Safari has it there), so the workload runs with JavaScriptCore's own option for it on (SAB_ENV),
// and its threaded fits run on JavaScriptCore's wasm threads and atomics.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { posted, postedWorkload, printRun } from './posted.mjs';

/** Why runWebKit cannot run here (the commands it needs that are not installed), or null. */
export function webkitMissing() {
  const need = { '/usr/bin/epiphany': 'epiphany-browser', '/usr/bin/xvfb-run': 'xvfb', '/usr/bin/dbus-run-session': 'dbus' };
  const missing = Object.entries(need).filter(([path]) => !existsSync(path));
  return missing.length ? `${missing.map(([path]) => path).join(', ')} not installed (apt-get install ${missing.map(([, pkg]) => pkg).join(' ')})` : null;
}

/** Why WebKit cannot be driven here (webkitMissing(), or WebKitWebDriver not installed), or null: hidden.mjs's WebKit run. */
export function webkitDriverMissing() {
  const why = webkitMissing();
  if (why || existsSync('/usr/bin/WebKitWebDriver')) return why;
  return '/usr/bin/WebKitWebDriver not installed (apt-get install webkit2gtk-driver)';
}

/** WebKitGTK's and Epiphany's versions, e.g. 'webkitgtk 2.50.6 (epiphany 43.1)'. */
function webkitVersion() {
  const pkg = (name) => { try { return execFileSync('dpkg-query', ['-W', '-f=${Version}', name], { encoding: 'utf8' }).replace(/-.*/, ''); } catch { return 'unknown'; } };
  return `webkitgtk ${pkg('libwebkit2gtk-4.1-0')} (epiphany ${pkg('epiphany-browser')})`;
}

/**
 * Opens `path` of a site served from `site` (cross-origin isolated) in Epiphany (WebKitGTK) on a virtual display, and
 * resolves with the JSON the page POSTs to /__result (see posted.mjs); firefox.mjs inFirefox's twin.
 */
export async function inWebKit(site, path, { timeoutMs = 180_000, what = 'the page', sab = false, tries = 1 } = {}) {
  const why = webkitMissing();
  if (why) throw new Error(`inWebKit: ${why}`);
  return await posted(site, path, (url) => ({
    // (the first free display from a random number: tests launching at once would otherwise all try 99 first)
    command: 'xvfb-run',
    args: ['-a', '-n', String(100 + Math.floor(Math.random() * 9000)), 'dbus-run-session', '--', 'epiphany', '--private-instance', url],
    env: { WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS: '1', NO_AT_BRIDGE: '1', ...(sab ? SAB_ENV : {}) },
  }), { timeoutMs, what: `${what} in WebKit`, tries });
}

/**
 * JavaScriptCore's own option for SharedArrayBuffer (JSC options read JSC_<name> from the environment): WebKitGTK is
 * built without it by default, where Safari has it on cross-origin isolated pages; with it, the pages' threaded fits
 * run on JavaScriptCore's wasm threads and atomics (inWebKit's `sab`).
 */
export const SAB_ENV = { JSC_useSharedArrayBuffer: '1' };

/** Runs the conformance workload in WebKitGTK; returns { runtime, digests, losses, ... } like run-cli.mjs. */
export async function runWebKit(timeoutMs = 300_000) {
  const why = webkitMissing();
  if (why) throw new Error(`runWebKit: ${why}`);
  return await postedWorkload('WebKit', (site, path, what) => inWebKit(site, path, { timeoutMs, what, sab: true }), webkitVersion);
}

if (import.meta.url === `file://${process.argv[1]}`) await printRun(() => runWebKit());
