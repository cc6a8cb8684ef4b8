// hidden.mjs: fit() in a hidden browser tab, for tests/browser-hidden.test.ts.
// A user who starts training and switches to another tab leaves the page hidden, and Chromium then
// throttles the page's timers to about one wake-up a second. fit() gives the host its turn by messages,
// not by a timer (bindings/index.ts yieldToHost), so such a fit must keep the pace of a visible one.
// playwright keeps every page it drives visible (its pages report 'visible' in a background tab, and
// it launches Chromium without background throttling), so this drives Debian's headless Chromium
// through the DevTools protocol on a pipe (--remote-debugging-pipe: NUL-terminated JSON on fds 3 and
// 4, no port and no extra package): the page is opened in a tab, a second tab is opened in front of
// it in the same window, and the first reports document.visibilityState 'hidden'.
// Firefox (Debian's firefox-esr) is driven by its own WebDriver BiDi server (--remote-debugging-port, a
// WebSocket; no driver, no extra package; Node 20's WebSocket needs --experimental-websocket, so there this
// file runs itself in a child Node with the flag): the page is opened in the first tab, a second tab is
// created and activated in front of it, and the first reports 'hidden'; headless Firefox then runs its
// chained timers about a second apart.
// WebKit (Debian's Epiphany on WebKitGTK) is driven by WebKitWebDriver (Debian's webkit2gtk-driver; WebDriver over
// HTTP) on a virtual display: a new window opened and switched to hides the page, which stays hidden when the
// driver switches back to run its scripts; WebKit runs its first 10 chained timers there at once and the rest about
// a second apart. WebKitGTK is built without SharedArrayBuffer: JavaScriptCore's own option turns it on (webkit.mjs
// SAB_ENV, as Safari has it on isolated pages), so the 2-thread fit runs there too.
// The page bundles 'autoencoder' with esbuild as chromium.mjs does, on a cross-origin isolated
// server (threads), and returns what it measured; the test compares the model bytes with Node's.
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, ISOLATED, serveDir, stageSite } from './chromium.mjs';
import { FIREFOX, firefoxProfile } from './firefox.mjs';
import { endGroup } from './posted.mjs';
import { SAB_ENV, webkitDriverMissing } from './webkit.mjs';

/** The fit the page runs in its hidden tab, and the test in Node: a dense model, seeded data, many turns. */
export const HIDDEN_FIT = {
  spec: { inputDim: 64, layers: [256, 16], seed: 4, ensemble: false },
  rows: 32768,
  cols: 64,
  dataSeed: 5,
  fit: { epochs: 2, batchSize: 32 },
};

const ENTRY = `
import * as lib from 'autoencoder';
const F = ${JSON.stringify(HIDDEN_FIT)};
const hex = async (bytes) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
// n timers, each set by the one before (the cadence a timer-driven turn would have)
const timerChain = (n) => new Promise((resolve) => { const t0 = performance.now(); let k = 0; const f = () => (++k === n ? resolve(performance.now() - t0) : setTimeout(f, 0)); setTimeout(f, 0); });
// One fit of F on \`threads\` threads. Its turns are counted by the MessageChannels fit() makes (one a turn); the
// host's own work is a message loop beside it (a channel made before the count starts), which runs only in a turn.
async function hiddenFit(threads) {
  const ae = await lib.Autoencoder.create(F.spec, { threads });
  const x = await lib.randomMatrix(F.rows, F.cols, { seed: F.dataSeed });
  const host = new MessageChannel();
  let ticks = 0, on = true;
  host.port1.onmessage = () => { ticks++; if (on) host.port2.postMessage(0); };
  const Channel = globalThis.MessageChannel;
  let turns = 0, epochs = 0;
  globalThis.MessageChannel = class extends Channel { constructor() { super(); turns++; } };
  const t0 = performance.now();
  host.port2.postMessage(0);
  try {
    await ae.fit(x, { ...F.fit, onEpoch: () => { epochs++; } });
  } finally {
    on = false;
    globalThis.MessageChannel = Channel;
  }
  const ms = performance.now() - t0;
  host.port1.close();
  const sha = await hex(ae.save());
  ae.dispose();
  return { threads, ms, turns, ticks, epochs, sha, visibility: document.visibilityState };
}
window.__fit = hiddenFit;
window.__timers = async (n) => ({ n, ms: await timerChain(n) });
window.__state = () => ({ visibility: document.visibilityState, isolated: globalThis.crossOriginIsolated === true });
window.__ready = true;
`;

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>autoencoder in a hidden tab</title></head>
<body><p>fit() in a hidden tab</p><script type="module" src="./app.js"></script></body></html>
`;

/** A DevTools-protocol client on Chromium's --remote-debugging-pipe (fd 3 in, fd 4 out, NUL-terminated JSON). */
function pipeClient(child) {
  const pending = new Map();
  let id = 0, buffered = '', dead = null;
  child.stdio[4].on('data', (chunk) => {
    buffered += chunk.toString('utf8');
    let end;
    while ((end = buffered.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
      const p = msg.id !== undefined && pending.get(msg.id);
      if (!p) continue;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
    }
  });
  child.once('exit', (code, signal) => {
    dead = new Error(`Chromium exited (${signal ?? code})`);
    for (const p of pending.values()) p.reject(dead);
    pending.clear();
  });
  return (method, params = {}, sessionId) => new Promise((resolve, reject) => {
    if (dead) return reject(dead);
    const i = ++id;
    pending.set(i, { resolve, reject, method });
    child.stdio[3].write(JSON.stringify({ id: i, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
  });
}

/**
 * What every browser's run measures, once its page is loading: waits for the page (`ready()`, default
 * `window.__ready`), fits on 1 thread there (visible), `hide()`s it behind something (`behind`, for the error),
 * waits until it reports 'hidden', then runs `timers` chained timers and the fit on 1 and 2 threads there.
 * `evaluate(expression)` resolves with the value of the page's expression (awaited when a promise).
 */
async function measureHidden(evaluate, hide, { timers, behind, ready = () => evaluate('window.__ready === true'), loadError = () => '' }) {
  for (const t0 = Date.now(); !(await ready());) {
    if (Date.now() - t0 > 30_000) throw new Error(`the page did not load in 30 s${loadError()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const before = await evaluate('window.__state()');
  const visible = await evaluate('window.__fit(1)');
  await hide();
  for (const t1 = Date.now(); (await evaluate('document.visibilityState')) !== 'hidden';) {
    if (Date.now() - t1 > 10_000) throw new Error(`the page did not become hidden behind ${behind} in 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const hidden = await evaluate('window.__state()');
  const chain = await evaluate(`window.__timers(${timers})`);
  const fits = [await evaluate('window.__fit(1)'), await evaluate('window.__fit(2)')];
  return { before, visible, hidden, timers: chain, fits, after: await evaluate('window.__state()') };
}

/**
 * Opens the page in a tab and runs its fit on 1 thread there (visible), puts a second tab in front of it, then
 * runs a chain of 10 timers (Firefox: 4, WebKit: 13) and the fit on 1 and 2 threads in the hidden tab,
 * in headless Chromium (or Firefox, WebKit: `browserName` 'firefox', 'webkit'). Returns what it measured:
 * { before, hidden, after: { visibility, isolated }, visible: Fit, timers: { n, ms }, fits: Fit[] }, where a Fit
 * is { threads, ms, turns, ticks, epochs, sha, visibility }.
 */
export async function runHidden({ chromium: executablePath }, browserName = 'chromium') {
  if (browserName === 'firefox') return await runHiddenFirefox();
  if (browserName === 'webkit') return await runHiddenWebKit();
  if (!executablePath) throw new Error('runHidden: /usr/bin/chromium is not installed (apt-get install chromium)');
  const dir = mkdtempSync(join(tmpdir(), 'autoencoder-hidden-'));
  const profile = join(dir, 'profile');
  const site = join(dir, 'site');
  mkdirSync(site);
  let server = null, child = null, send = null;
  try {
    await stageSite(site, { 'app.js': ENTRY }, PAGE);
    server = await serveDir(site, 0, ISOLATED);
    child = spawn(executablePath, ['--headless', ...CHROMIUM_ARGS, '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank'],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
    send = pipeClient(child);
    const { targetId } = await send('Target.createTarget', { url: `${server.url}/index.html` });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    const evaluate = async (expression, timeoutMs = 120_000) => {
      const r = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true, timeout: timeoutMs }, sessionId);
      if (r.exceptionDetails) throw new Error(`the page threw: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
      return r.result.value;
    };
    return await measureHidden(evaluate, async () => {
      // a second tab in the same window, in front: the first is now a background tab
      await send('Target.createTarget', { url: 'about:blank', newWindow: false });
    }, {
      timers: 10,
      behind: 'a second tab',
      // (before the page's first script the session has no execution context to evaluate in)
      ready: () => evaluate('window.__ready === true', 5_000).catch((e) => (/execution context/.test(e.message) ? false : Promise.reject(e))),
      loadError: () => (stderr ? `\n${stderr}` : ''),
    });
  } finally {
    // Browser.close ends Chromium and its helper processes; a kill of the process group if it does not within 5 s
    if (child) await endGroup(child, () => { send?.('Browser.close').catch(() => {}); });
    await server?.close();
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

/** A WebDriver BiDi client on `url` (Firefox's ws://.../session): send(method, params) resolves with the result. */
async function bidiClient(url) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`could not connect to Firefox's WebDriver BiDi server at ${url}`));
  });
  const pending = new Map();
  let id = 0;
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    const p = msg.id !== undefined && pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.type === 'error') p.reject(new Error(`${p.method}: ${msg.error}: ${msg.message}`));
    else p.resolve(msg.result);
  };
  ws.onclose = () => {
    for (const p of pending.values()) p.reject(new Error(`${p.method}: Firefox closed the connection`));
    pending.clear();
  };
  const send = (method, params = {}) => new Promise((resolve, reject) => {
    const i = ++id;
    pending.set(i, { resolve, reject, method });
    ws.send(JSON.stringify({ id: i, method, params }));
  });
  return { send, close: () => ws.close() };
}

/** runHidden's steps in headless Firefox over WebDriver BiDi (see the header); the same result. */
async function runHiddenFirefox(binary = FIREFOX) {
  if (!binary) throw new Error('runHidden: /usr/bin/firefox-esr is not installed (apt-get install firefox-esr)');
  if (typeof WebSocket === 'undefined') {
    // Node 20: run this file in a child Node with its WebSocket turned on
    const out = await new Promise((resolve, reject) => execFile(process.execPath, ['--experimental-websocket', '--no-warnings', fileURLToPath(import.meta.url), 'firefox'],
      { maxBuffer: 1 << 24, timeout: 300_000 }, (err, stdout, stderr) => (err ? reject(new Error(`the hidden-tab run in Firefox failed: ${err.message}\n${stderr}`)) : resolve(stdout))));
    return JSON.parse(out);
  }
  const dir = mkdtempSync(join(tmpdir(), 'autoencoder-hidden-firefox-'));
  const site = join(dir, 'site');
  mkdirSync(site);
  const profile = firefoxProfile();
  let server = null, child = null, bidi = null;
  try {
    await stageSite(site, { 'app.js': ENTRY }, PAGE);
    server = await serveDir(site, 0, ISOLATED);
    child = spawn(binary, ['--headless', '--no-remote', '--profile', profile, '--remote-debugging-port=0', 'about:blank'],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, MOZ_HEADLESS: '1' } });
    let output = '';
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Firefox did not start its WebDriver BiDi server in 60 s\n${output}`)), 60_000);
      const on = (d) => {
        output = (output + d).slice(-4000);
        const m = output.match(/WebDriver BiDi listening on (ws:\/\/\S+)/);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      };
      child.stdout.on('data', on);
      child.stderr.on('data', on);
      child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`Firefox exited (${signal ?? code})\n${output}`)); });
    });
    bidi = await bidiClient(`${url}/session`);
    const { send } = bidi;
    await send('session.new', { capabilities: {} });
    const tab = (await send('browsingContext.getTree', {})).contexts[0].context;
    // the page's values come back as JSON text (BiDi's own serialization is typed trees)
    const evaluate = async (expression) => {
      const r = await send('script.evaluate', { expression: `(async () => JSON.stringify(await (${expression})))()`, target: { context: tab }, awaitPromise: true });
      if (r.type === 'exception') throw new Error(`the page threw: ${r.exceptionDetails.text}`);
      return JSON.parse(r.result.value);
    };
    await send('browsingContext.navigate', { context: tab, url: `${server.url}/index.html`, wait: 'complete' });
    return await measureHidden(evaluate, async () => {
      // a second tab, created and activated in front of the first: the first is now a background tab
      const front = (await send('browsingContext.create', { type: 'tab', background: false })).context;
      await send('browsingContext.activate', { context: front });
    }, {
      // (Firefox runs a hidden tab's chained timers about a second apart from the first: 4 are enough for the premise)
      timers: 4,
      behind: 'a second tab',
    });
  } finally {
    // browser.close ends Firefox; a kill of the process group if it does not within 5 s
    if (child) await endGroup(child, () => { bidi?.send('browser.close').catch(() => {}); });
    bidi?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  }
}

/** A free TCP port on 127.0.0.1 (for WebKitWebDriver, which takes its port on the command line). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer().once('error', reject).listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

/** runHidden's steps in WebKit (Epiphany) through WebKitWebDriver (see the header); the same result. */
async function runHiddenWebKit() {
  const why = webkitDriverMissing();
  if (why) throw new Error(`runHidden: ${why}`);
  const dir = mkdtempSync(join(tmpdir(), 'autoencoder-hidden-webkit-'));
  const site = join(dir, 'site');
  mkdirSync(site);
  let server = null, child = null, session = null, base = '';
  const call = async (method, path, body) => {
    const r = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const { value } = await r.json();
    if (!r.ok) throw new Error(`WebKitWebDriver ${method} ${path}: ${value?.error}: ${value?.message}`);
    return value;
  };
  try {
    await stageSite(site, { 'app.js': ENTRY }, PAGE);
    server = await serveDir(site, 0, ISOLATED);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn('xvfb-run', ['-a', 'dbus-run-session', '--', 'WebKitWebDriver', `--port=${port}`],
      { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS: '1', NO_AT_BRIDGE: '1', ...SAB_ENV } });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
    for (const t0 = Date.now(); ;) {
      if ((await fetch(`${base}/status`).then((r) => r.ok, () => false))) break;
      if (child.exitCode !== null || Date.now() - t0 > 30_000) throw new Error(`WebKitWebDriver did not start in 30 s\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // A new session fails ("Unknown error creating top level browsing context") when the driver asks Epiphany 43 for
    // a web view before Epiphany has its first window: its create_web_view_for_automation_cb reads the active window
    // unchecked, and Epiphany aborts on an assertion (`ephy_embed_container_get_active_child`, in the driver's stderr).
    // On 2026-12-07 the first try failed in about half the launches and up to 5 tries in a row failed, so up to 8.
    const TRIES = 8;
    for (let attempt = 1; !session; attempt++) {
      try {
        session = (await call('POST', '/session', { capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: '/usr/bin/epiphany', args: ['--automation-mode'] } } } })).sessionId;
      } catch (e) {
        if (attempt === TRIES) throw new Error(`${e.message} (${TRIES} tries)\n${stderr.slice(-1500)}`);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    const at = `/session/${session}`;
    await call('POST', `${at}/timeouts`, { script: 120_000 });
    // (a script's promise is awaited by the driver; its value comes back as JSON text)
    const evaluate = async (expression) => JSON.parse(await call('POST', `${at}/execute/sync`, { script: `return Promise.resolve(${expression}).then((v) => JSON.stringify(v));`, args: [] }));
    await call('POST', `${at}/url`, { url: `${server.url}/index.html` });
    return await measureHidden(evaluate, async () => {
      // a new window in front: the page is hidden, and stays so when the driver switches back to it
      const page = await call('GET', `${at}/window`);
      const front = await call('POST', `${at}/window/new`, { type: 'tab' });
      await call('POST', `${at}/window`, { handle: front.handle });
      await call('POST', `${at}/window`, { handle: page });
    }, {
      // (WebKit runs the first 10 chained timers at once, the rest about a second apart)
      timers: 13,
      behind: 'a new window',
    });
  } finally {
    if (session) await call('DELETE', `/session/${session}`).catch(() => {});
    if (child) await endGroup(child);
    await server?.close();
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === 'webkit') {
    process.stdout.write(JSON.stringify(await runHiddenWebKit(), null, 1));
  } else if (process.argv[2] === 'firefox') {
    process.stdout.write(JSON.stringify(await runHiddenFirefox()));
  } else {
    const { runtimes } = await import(new URL('../../tools/runtimes.mjs', import.meta.url).href);
    console.log(JSON.stringify(await runHidden(runtimes()), null, 1));
  }
}
