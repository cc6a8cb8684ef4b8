// thread-worker.ts: one worker of a threaded model's pool (bindings/threads.ts starts it). It
// instantiates kernels-mt.wasm over the model's shared memory, points its GEMM workspace at its own
// block, says ready, then runs ae_thread_run (GEMM shares until the pool stops). A trap or error marks
// the pool failed in shared memory first (the main thread may be blocked in wasm, waiting for this
// worker's share: it sees the flag, stops waiting, and the bindings reject the call).
// Node and Bun: worker_threads (parentPort); Deno and browsers: a module Web Worker (self).

interface Start { module: WebAssembly.Module; memory: WebAssembly.Memory; pool: number; t: number; ws: number }
interface PoolExports { ae_workspace(p: number): number; ae_thread_run(pool: number, t: number): void }

const P_DEAD = 3, P_LEFT = 1;
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';
const port = !isDeno && typeof process === 'object' && typeof process.versions?.node === 'string'
  ? (await import('node:worker_threads')).parentPort : null;
const post = (m: unknown) => (port ? port.postMessage(m) : (globalThis as unknown as { postMessage(m: unknown): void }).postMessage(m));

async function run(s: Start): Promise<void> {
  try {
    const { exports } = await WebAssembly.instantiate(s.module, { env: { memory: s.memory } });
    const x = exports as unknown as PoolExports;
    x.ae_workspace(s.ws);
    post({ ready: true });
    x.ae_thread_run(s.pool, s.t);
  } catch (e) {
    const ctl = new Int32Array(s.memory.buffer, s.pool, 16);
    Atomics.store(ctl, P_DEAD, s.t);
    Atomics.notify(ctl, P_LEFT);
    post({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
  if (port) port.close();
  else (globalThis as unknown as { close(): void }).close();
}

if (port) port.once('message', (m: Start) => void run(m));
else (globalThis as unknown as { onmessage: (e: MessageEvent) => void }).onmessage = (e) => void run(e.data as Start);
