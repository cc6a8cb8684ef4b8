// serve.mjs: serves the built worker-score example with workerd and prints where, once it answers.
// workerd prints nothing when it starts listening, so this script starts `workerd serve config.capnp`
// with a control fd, waits for its "listen" event (which carries the port, so --port 0 works),
// polls GET / until the Worker answers, then prints on stdout:
//   worker-score listening on http://127.0.0.1:8787 (GET /, POST /score, POST /encode)
// workerd's own output goes to this process's stdout/stderr. SIGINT, SIGTERM and SIGHUP are passed
// on to workerd, and the script exits with workerd's exit code (128 + the signal number when a
// signal ended it).
// Usage: node examples/worker-score/serve.mjs [--port N] [--dir path] [--workerd path]
//   --port     default 8787 (or $PORT); 0 lets the kernel pick a free port
//   --dir      the built example, default dist/examples/worker-score (`npm run build` makes it)
//   --workerd  the workerd binary, default the pinned one in .runtimes/ (installed when missing)
// `npm run demo:worker` is `npm run build --silent && node examples/worker-score/serve.mjs`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const HOST = '127.0.0.1';
const TIMEOUT_MS = 30_000;

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) fail(`--${name} needs a value`);
  return v;
}

function fail(message, code = 1) {
  console.error(`serve: ${message}`);
  process.exit(code);
}

const portText = arg('port') ?? process.env.PORT ?? '8787';
const port = Number(portText);
if (!/^\d+$/.test(portText) || port > 65535) fail(`--port must be an integer from 0 to 65535, got ${JSON.stringify(portText)}`);
const dir = resolve(arg('dir') ?? join(root, 'dist/examples/worker-score'));
const config = join(dir, 'config.capnp');
if (!existsSync(config)) fail(`${config} is missing: run \`npm run build\` (or node examples/worker-score/build.mjs) first`);
const workerd = arg('workerd') ?? (await import('../../tools/runtimes.mjs')).runtimes().workerd;
if (!existsSync(workerd)) fail(`workerd is not at ${workerd}: run \`node tools/runtimes.mjs\``);

const child = spawn(workerd, ['serve', config, `--socket-addr=http=${HOST}:${port}`, '--control-fd=3'], {
  cwd: dir,
  stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
});
child.once('error', (e) => fail(`could not start ${workerd}: ${e.message}`));

// pass signals on; workerd's exit decides ours
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  });
}
let ready = false;
child.once('exit', (code, signal) => {
  if (!ready && signal === null) console.error(`serve: workerd exited with code ${code} before it answered on ${HOST}:${port}`);
  process.exit(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1));
});

/** The port from workerd's first `{"event":"listen","socket":"http","port":N}` line on the control fd. */
const listening = new Promise((resolveListen) => {
  let buf = '';
  child.stdio[3].on('data', (d) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop();
    for (const line of lines) {
      try {
        const msg = JSON.parse(line);
        if (msg.event === 'listen' && msg.socket === 'http') resolveListen(msg.port);
      } catch { /* not JSON: not ours */ }
    }
  });
});

const timer = setTimeout(() => {
  console.error(`serve: workerd did not answer within ${TIMEOUT_MS} ms; stopping it`);
  child.kill('SIGTERM');
}, TIMEOUT_MS);
const url = `http://${HOST}:${await listening}`;
// the socket is bound; the first request also loads the Worker: poll until it answers
for (;;) {
  try {
    const res = await fetch(`${url}/`, { method: 'HEAD', signal: AbortSignal.timeout(2000) });
    if (res.status < 500) break;
  } catch { /* not yet */ }
  await new Promise((r) => setTimeout(r, 50));
}
clearTimeout(timer);
ready = true;
console.log(`worker-score listening on ${url} (GET /, POST /score, POST /encode)`);
