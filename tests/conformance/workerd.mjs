// workerd.mjs: the conformance workload in workerd (Cloudflare's Workers runtime), for run.mjs.
// It bundles a Worker whose fetch handler runs runWorkload() with esbuild, as wrangler would
// (conditions workerd > worker > browser, so 'autoencoder' resolves by self-reference to
// dist/bindings/worker.js; `.wasm` imports kept and the file copied beside the bundle), writes a
// config.capnp that lists kernels.wasm as a compiled `wasm` module (Workers cannot compile wasm
// from bytes at run time), serves it on 127.0.0.1 (a port the kernel picks, read back from
// workerd's control fd), fetches the result and stops workerd. Everything lands in a temp dir.
// Also exports startWorkerd(), which tests/worker.test.ts uses to serve the example Workers.
import { WORKER_BUILD } from '../../tools/bundle-options.mjs';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { build } from 'esbuild';

const here = new URL('.', import.meta.url).pathname;
const root = new URL('../..', import.meta.url).pathname;

export { WORKER_BUILD };

/** Throws unless esbuild took the package's workerd entry (and not the browser or node one). */
export function checkWorkerEntry(metafile) {
  const inputs = Object.keys(metafile.inputs);
  const has = (f) => inputs.some((i) => i.endsWith(f));
  if (!has('dist/bindings/worker.js') || has('dist/bindings/browser.js') || has('dist/bindings/node.js')) {
    throw new Error(`the Worker bundle did not resolve 'autoencoder' to dist/bindings/worker.js (inputs: ${inputs.join(', ')}); check the "workerd" condition in package.json "exports" comes before "browser", and run npm run build`);
  }
}

/** `workerd <npm version>` for the binary at `bin` (its package.json), else its --version line. */
function workerdVersion(bin) {
  try {
    return `workerd ${JSON.parse(readFileSync(join(dirname(realpathSync(bin)), '..', 'package.json'), 'utf8')).version}`;
  } catch {
    return 'workerd';
  }
}

/**
 * Starts `workerd serve <config>` with the socket named `socket` on 127.0.0.1 and a port the kernel
 * picks (workerd reports it on --control-fd), and waits until that port answers HTTP.
 * @returns {Promise<{ url: string, stop: () => Promise<void>, log: () => string }>}
 */
export async function startWorkerd({ workerd, config, socket = 'http', timeoutMs = 15_000 }) {
  config = resolvePath(config);
  const child = spawn(resolvePath(workerd), ['serve', config, `--socket-addr=${socket}=127.0.0.1:0`, '--control-fd=3'], {
    cwd: dirname(config),
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t);
    }
  };
  try {
    const port = await new Promise((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`workerd did not listen within ${timeoutMs} ms`)), timeoutMs);
      child.stdio[3].on('data', (d) => {
        buf += d;
        for (const line of buf.split('\n').slice(0, -1)) {
          let msg = null;
          try { msg = JSON.parse(line); } catch { log += `(control fd) ${line}\n`; }
          if (msg?.event === 'listen' && msg.socket === socket) { clearTimeout(timer); resolve(msg.port); }
        }
        buf = buf.slice(buf.lastIndexOf('\n') + 1);
      });
      exited.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`workerd exited (${signal ?? `code ${code}`}) before listening`)); });
      child.once('error', (e) => { clearTimeout(timer); reject(e); });
    });
    const url = `http://127.0.0.1:${port}`;
    // the socket is bound; poll until the Worker answers (the first request also compiles it)
    for (const t0 = Date.now(); ; await new Promise((r) => setTimeout(r, 50))) {
      try {
        await (await fetch(`${url}/__ready`, { signal: AbortSignal.timeout(2000) })).arrayBuffer();
        break;
      } catch (e) {
        if (child.exitCode !== null || Date.now() - t0 > timeoutMs) throw new Error(`workerd at ${url} does not answer: ${e.message}`);
      }
    }
    return { url, stop, log: () => log };
  } catch (e) {
    await stop();
    throw new Error(`${e.message}\n--- workerd output ---\n${log}`);
  }
}

/** Runs the conformance workload in workerd; returns { runtime, digests, losses } like run-cli.mjs. */
export async function runWorkerd(paths) {
  const runtime = workerdVersion(paths.workerd);
  const dir = mkdtempSync(join(tmpdir(), 'autoencoder-workerd-'));
  let server = null;
  try {
    const entry = `
      import * as lib from 'autoencoder';
      import { runWorkload } from './workload.mjs';
      export default {
        async fetch(request) {
          if (new URL(request.url).pathname !== '/') return new Response('ready');
          try {
            return Response.json({ runtime: ${JSON.stringify(runtime)}, ...(await runWorkload(lib)) });
          } catch (e) {
            return Response.json({ error: String(e && e.stack || e) }, { status: 500 });
          }
        },
      };`;
    const { metafile } = await build({
      ...WORKER_BUILD,
      stdin: { contents: entry, resolveDir: here, sourcefile: 'conformance-worker.mjs', loader: 'js' },
      outfile: join(dir, 'worker.js'),
    });
    checkWorkerEntry(metafile);
    writeFileSync(join(dir, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .conformance) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "main") ],
);
const conformance :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "kernels.wasm", wasm = embed "kernels.wasm"),
  ],
  compatibilityDate = "2025-09-01",
);
`);
    server = await startWorkerd({ workerd: paths.workerd, config: join(dir, 'config.capnp') });
    const res = await fetch(`${server.url}/`, { signal: AbortSignal.timeout(50_000) });
    const body = await res.json();
    if (!res.ok || body.error) throw new Error(`the workload failed in ${runtime}: ${body.error ?? res.status}\n${server.log()}`);
    return body;
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { runtimes } = await import(`${root}tools/runtimes.mjs`);
  const t0 = Date.now();
  const r = await runWorkerd(runtimes());
  console.error(`${r.runtime}: ${Date.now() - t0} ms`);
  console.log(JSON.stringify(r));
}
