// threads.ts: the thread pool of a model created with { threads: n } (n > 1). Reached only through a
// dynamic import() from index.ts, so the single-threaded bundles never contain it; self-contained
// (its few needs from the core come in as arguments), so it is one small file beside index.js.
// It compiles build/kernels-mt.wasm (the same kernels built with wasm threads: imported shared
// memory, atomics), instantiates it on the main thread over a shared WebAssembly.Memory, and starts
// n - 1 workers (Node, Bun and Deno: worker_threads; browsers: Web Workers) that instantiate the
// same module over the same memory and wait in ae_thread_run for shares of a job (assembly/threads.ts):
// a GEMM's output tiles, Adam's ranges, or a conv model's shards of a batch (each shard's forward and
// backward whole, in its own scratch: wasm.ts syncShards). The main thread keeps running everything
// else; results are bit-identical to the single-threaded module whatever n (each output tile sums in
// the same order; the shards are as many as the model was made with, whatever n, and added in order).

/** The Kernel surface this file uses (bindings/wasm.ts); a structural type, so nothing of the core is imported. */
interface PoolKernel {
  x: unknown;
  ws: number;
  pool?: PoolHandle | null;
}
/** What index.ts hands over: a Kernel on a shared memory, and its error class and describe(). */
export interface ThreadDeps<K extends PoolKernel> {
  /** A Kernel on the module over `memory`, with `extra` bytes reserved after its workspace. */
  sharedKernel: (module: WebAssembly.Module, memory: WebAssembly.Memory, extra: number) => Promise<K>;
  AutoencoderError: new (message: string) => Error;
  describe: (v: unknown) => string;
}
interface MtExports { ae_workspace(p: number): number; ae_pool_attach(p: number): number }

/** What a Kernel holds of its pool. */
export interface PoolHandle {
  readonly threads: number;
  /** Why the pool failed (a worker crashed), or null. */
  failure(): string | null;
  /** Throws if the pool failed (after closing it and detaching it from the kernel: the model goes on with one thread). */
  check(): void;
  /** Stops and terminates every worker; the model then runs on the main thread alone. Safe to call twice. */
  close(): void;
  /** Lets idle workers block again and drops a held job (clears the flags a training epoch sets; fit() calls it when it ends, whatever happened). */
  settle(): void;
  /** Debug hooks for the tests: worker t (1..n-1) traps at its next share, or is terminated now; live workers; the products' size threshold; how many threads poll through the running epoch (P_HOT: 0 outside one). */
  debug: { trapAt(t: number): void; terminate(t: number): void; live(): number; minWork(kmac: number): void; hot(): number };
}

// the control block (assembly/threads.ts): i32 indices
const P_SEQ = 0, P_LEFT = 1, P_STOP = 2, P_DEAD = 3, P_NT = 4, P_WAIT = 5, P_MIN = 6, P_CRASH = 7, P_SPIN = 8, P_HOT = 52, P_HOLD = 53;
/** A product of fewer multiply-adds than this (x 1024) runs on the main thread alone: dense784's 1 M multiply-add products go through the pool too, so only the activations, the loss, the bias sums and the batch gather stay serial. */
const MIN_KMAC = 512;
const SPIN = 20000;
/** The control block's i32s: assembly/threads.ts POOL_BYTES (224) rounded up to 64 bytes, as the arena reserves it. */
const POOL_INTS = 64;

type AnyWorker = {
  postMessage(m: unknown): void;
  terminate(): unknown;
};

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';
const nodeLike = !isDeno && typeof process === 'object' && typeof process.versions?.node === 'string';

/** The number of logical cores (threads: 'auto'), 1 when the runtime does not say. */
async function cores(): Promise<number> {
  if (typeof navigator !== 'undefined' && typeof navigator.hardwareConcurrency === 'number') return navigator.hardwareConcurrency;
  if (nodeLike) {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  return 1;
}

/** Why this runtime cannot run threads, or null. */
function unsupported(): string | null {
  if (typeof SharedArrayBuffer === 'undefined') {
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
    return isolated === false
      ? 'SharedArrayBuffer is not available: a browser page needs to be cross-origin isolated (serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)'
      : isolated === true
        ? 'SharedArrayBuffer is not available in this browser, although the page is cross-origin isolated (WebKitGTK, for one, is built without it)'
        : 'SharedArrayBuffer is not available in this runtime';
  }
  if (!nodeLike && typeof Worker === 'undefined') return 'this runtime has no Worker (workerd and Cloudflare Workers run one thread)';
  return null;
}

/** True where this thread may block in Atomics.wait (not a browser's main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** kernels-mt.wasm, compiled: Node and Bun read the file, Deno source-imports it (no permission flag), browsers fetch it. */
async function compileMt(): Promise<WebAssembly.Module> {
  const url = new URL('../build/kernels-mt.wasm', import.meta.url);
  if (nodeLike) {
    const fs = await import('node:fs/promises');
    return WebAssembly.compile(await fs.readFile(url));
  }
  if (isDeno && url.protocol === 'file:') {
    return (await import('./kernels-mt.deno.js')).default;
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`HTTP ${res.status} for ${url.href}`);
  return WebAssembly.compileStreaming(res);
}

let compiled: Promise<WebAssembly.Module> | null = null;

/** The threads option: an integer 1..256, or 'auto' (the core count; 1 where threads cannot run). */
async function resolveThreads(threads: unknown, error: (m: string) => Error): Promise<number> {
  // (a bad value never gets here: index.ts checkOptions names it before the pool's module is loaded)
  let n: number;
  if (threads === 'auto') {
    if (unsupported() !== null) return 1;
    n = Math.max(1, Math.min(256, await cores()));
  } else {
    n = threads as number;
  }
  if (n > 1) {
    const why = unsupported();
    if (why) throw error(`threads: ${threads} cannot run here: ${why}. Use threads: 1 (the default), or 'auto' (one thread where threads cannot run)`);
  }
  return n;
}

/**
 * A Kernel on the threaded module with n - 1 workers started and attached, or null when the option
 * resolves to 1 thread ('auto' on one core or without threads). opts.wasm: a compiled kernels-mt.wasm,
 * or undefined to compile the package's own.
 */
export async function threadedKernel<K extends PoolKernel>(opts: { threads?: unknown; wasm?: WebAssembly.Module }, deps: ThreadDeps<K>): Promise<K | null> {
  const error = (m: string) => new deps.AutoencoderError(m);
  const n = await resolveThreads(opts.threads, error);
  if (n === 1) return null;
  let module = opts.wasm;
  if (module === undefined) {
    compiled ??= compileMt().catch((e: unknown) => {
      compiled = null;
      throw error(`cannot load kernels-mt.wasm, the threaded kernels (${(e as Error).message}): it ships in the package's dist/build/ beside kernels.wasm (a bundle must keep dist/bindings/threads.js, thread-worker.js and dist/build/kernels-mt.wasm where they are relative to each other), or pass { wasm: await WebAssembly.compile(kernels-mt.wasm bytes), threads }`);
    });
    module = await compiled;
  } else {
    const imp = module instanceof WebAssembly.Module ? WebAssembly.Module.imports(module) : [];
    if (!imp.some((i) => i.module === 'env' && i.name === 'memory' && i.kind === 'memory')) {
      throw error(`with threads > 1 the wasm option must be the compiled kernels-mt.wasm (the threaded build, which imports a shared memory), got ${module instanceof WebAssembly.Module ? 'another module (kernels.wasm is the single-threaded build)' : deps.describe(module)}`);
    }
  }
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: 4, maximum: 65536, shared: true });
  } catch (e) {
    throw error(`threads: cannot create a shared wasm memory (${(e as Error).message}); use threads: 1`);
  }
  // the arena: context, the main thread's workspace, then the pool's control block and one workspace per worker
  const WS_BYTES = 8704, POOL_BYTES = POOL_INTS * 4;   // assembly/gemm.ts WS_BYTES, threads.ts POOL_BYTES rounded to 64 (checked below)
  const k = await deps.sharedKernel(module, memory, POOL_BYTES + (n - 1) * WS_BYTES);
  const x = k.x as MtExports;
  if (x.ae_workspace(k.ws) !== WS_BYTES || x.ae_pool_attach(0) > POOL_BYTES) throw error('internal: kernels-mt.wasm does not match bindings/threads.ts (workspace or pool block size)');
  const at = k.ws + WS_BYTES, poolBytes = POOL_BYTES, wsBytes = WS_BYTES;
  const ws = Array.from({ length: n - 1 }, (_, i) => at + poolBytes + i * wsBytes);
  const pool = await startPool(module, memory, n, at, ws, error);
  const check = pool.check;
  pool.check = () => {
    if (pool.failure() === null) return;
    if (k.pool === pool) k.pool = null;
    check();
  };
  k.pool = pool;
  x.ae_pool_attach(at);
  return k;
}

async function startPool(module: WebAssembly.Module, memory: WebAssembly.Memory, n: number, at: number, ws: number[],
  error: (m: string) => Error): Promise<PoolHandle> {
  const ctl = () => new Int32Array(memory.buffer, at, POOL_INTS);
  const c = ctl();
  c.fill(0);
  c[P_NT] = n;
  c[P_WAIT] = canBlock() ? 1 : 0;
  c[P_MIN] = MIN_KMAC;
  c[P_CRASH] = -1;
  c[P_SPIN] = SPIN;
  // Node and Bun: worker_threads on the file thread-worker.js (two lines that call workerMain); Deno: its
  // node:worker_threads on workerMain's source (eval: no --allow-read for a file, and unref() exists,
  // which Deno's Web Workers lack); browsers: a Web Worker on a blob of the same source
  const wt = nodeLike || isDeno ? await import('node:worker_threads') : null;
  const url = new URL('./thread-worker.js', import.meta.url);
  const source = `(${workerMain.toString()})();`;
  const blob = wt ? '' : URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const workers: (AnyWorker | null)[] = [];
  const alive = new Set<number>();   // started and not yet exited (Web Workers: until terminated)
  let failed: string | null = null;
  let closed = false;
  const fail = (why: string) => {
    if (failed === null) failed = why;
    const v = ctl();
    Atomics.store(v, P_DEAD, 1);
    Atomics.notify(v, P_LEFT);
  };
  const ready: Promise<void>[] = [];
  for (let t = 1; t < n; t++) {
    let w: AnyWorker;
    const msg = { module, memory, pool: at, t, ws: ws[t - 1]! };
    ready.push(new Promise<void>((resolve, reject) => {
      const onMessage = (m: { ready?: boolean; error?: string }) => {
        if (m.ready) resolve();
        else if (m.error !== undefined) { fail(`worker ${t} failed: ${m.error}`); reject(error(`threads: worker ${t} failed to start: ${m.error}`)); }
      };
      const onExit = (why: string) => {
        if (!closed) fail(`worker ${t} ${why}`);
        reject(error(`threads: worker ${t} ${why}`));
      };
      if (wt) {
        const nw = isDeno ? new wt.Worker(source, { eval: true }) : new wt.Worker(url);
        nw.on('message', onMessage);
        nw.on('error', (e: Error) => onExit(`threw ${e.message}`));
        nw.on('exit', (code: number) => { alive.delete(t); onExit(`exited (code ${code})`); });
        w = nw;
      } else {
        const ww = new Worker(blob, { type: 'module' });
        ww.onmessage = (e: MessageEvent) => onMessage(e.data as { ready?: boolean; error?: string });
        ww.onerror = (e: ErrorEvent) => { e.preventDefault?.(); onExit(`threw ${e.message}`); };
        w = ww as unknown as AnyWorker;
      }
      workers.push(w);
      alive.add(t);
      w.postMessage(msg);
    }));
  }
  const close = () => {
    if (closed) return;
    closed = true;
    const v = ctl();
    Atomics.store(v, P_STOP, 1);
    Atomics.add(v, P_SEQ, 1);
    Atomics.notify(v, P_SEQ);
    workers.forEach((w, i) => {
      void w?.terminate();
      if (!wt) alive.delete(i + 1);
    });
    workers.fill(null);
  };
  try {
    await Promise.all(ready);
  } catch (e) {
    close();
    throw e;
  } finally {
    if (blob) URL.revokeObjectURL(blob);
  }
  // started: from now on a worker must not keep the process alive (dispose() terminates them)
  for (const w of workers) (w as { unref?: () => void }).unref?.();
  // (a worker that traps flags P_DEAD itself: its message may not have arrived while the main thread ran wasm)
  const failure = () => {
    const dead = Atomics.load(ctl(), P_DEAD);
    return failed ?? (dead > 0 ? `worker ${dead} crashed (a trap or an error in the worker)` : null);
  };
  return {
    threads: n,
    failure,
    close,
    settle() {
      if (closed) return;
      const v = ctl();
      Atomics.store(v, P_HOT, 0);
      // (a call that failed between the kernel's pool_hold and pool_release: no job is left held)
      Atomics.store(v, P_HOLD, 0);
    },
    check() {
      const why = failure();
      if (why === null) return;
      close();
      throw error(`a worker thread failed (${why}): the call is undone (fit() puts the weights back as they were before it) and this model now runs on one thread`);
    },
    debug: {
      trapAt: (t: number) => { ctl()[P_CRASH] = t; },
      terminate: (t: number) => {
        fail(`worker ${t} was terminated`);
        void workers[t - 1]?.terminate();
        workers[t - 1] = null;
        if (!wt) alive.delete(t);
      },
      live: () => alive.size,
      minWork: (kmac: number) => { ctl()[P_MIN] = kmac; },
      hot: () => Atomics.load(ctl(), P_HOT),
    },
  };
}

/**
 * One worker of the pool (run as thread-worker.js under Node and Bun, as a blob of this function's
 * source elsewhere, so it must stay self-contained). It instantiates kernels-mt.wasm over the model's
 * shared memory, points its GEMM workspace at its own block, says ready, then runs ae_thread_run (GEMM
 * shares until the pool stops). A trap or error marks the pool failed in shared memory first: the main
 * thread may be blocked in wasm waiting for this worker's share; it sees the flag, stops waiting, and
 * the bindings reject the call.
 */
export function workerMain(): void {
  type Start = { module: WebAssembly.Module; memory: WebAssembly.Memory; pool: number; t: number; ws: number };
  type Exports = { ae_workspace(p: number): number; ae_thread_run(pool: number, t: number): void };
  const P_LEFT = 1, P_DEAD = 3;
  const g = globalThis as unknown as { Deno?: unknown; onmessage: (e: MessageEvent) => void; postMessage(m: unknown): void; close(): void };
  const run = async (s: Start, post: (m: unknown) => void, done: () => void) => {
    try {
      const { exports } = await WebAssembly.instantiate(s.module, { env: { memory: s.memory } });
      const x = exports as unknown as Exports;
      x.ae_workspace(s.ws);
      post({ ready: true });
      x.ae_thread_run(s.pool, s.t);
    } catch (e) {
      const ctl = new Int32Array(s.memory.buffer, s.pool, 16);
      Atomics.store(ctl, P_DEAD, s.t);
      Atomics.notify(ctl, P_LEFT);
      post({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
    done();
  };
  const req = typeof require === 'function' ? require : null;   // an eval'd worker_threads script (Deno)
  if (req) {
    const port = (req('node:worker_threads') as typeof import('node:worker_threads')).parentPort!;
    // (Deno's node:worker_threads port has no close(): the worker then closes itself)
    port.once('message', (m: Start) => void run(m, (r) => port.postMessage(r), () => (typeof port.close === 'function' ? port.close() : g.close())));
  } else if (g.Deno === undefined && typeof process === 'object' && typeof process.versions?.node === 'string') {
    void import('node:worker_threads').then(({ parentPort: port }) => {
      port!.once('message', (m: Start) => void run(m, (r) => port!.postMessage(r), () => port!.close()));
    });
  } else {
    g.onmessage = (e) => void run(e.data as Start, (r) => g.postMessage(r), () => g.close());
  }
}
