// node-load.ts: the Node and Bun entries' (node.ts, score.ts) loader: a kernels module read from the
// package (dist/build/, beside dist/bindings/) or, in a bundle made from the entry (esbuild
// --platform=node --format=esm), from next to the bundle, where the README says to copy it. The first
// path that exists wins; it is read and compiled once, lazily, on the first create() or load(). The read and
// the compile are synchronous (72 KB, once): readFile's trips through libuv's thread pool cost a cold start
// about 0.7 ms (medians of alternated launches: 28.5 -> 27.8 ms over 150 in session 30, 29.3 -> 28.6 over 60
// in session 31).

import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { AutoencoderError, type Crc32, type ModelFile } from './index.js';

/** A loader for `file` (kernels.wasm or kernels-score.wasm). */
export function nodeLoader(file: string): () => Promise<WebAssembly.Module> {
  const places = [new URL(`../build/${file}`, import.meta.url), new URL(`./${file}`, import.meta.url)];
  return async () => {
    for (const url of places) {
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = readFileSync(url);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new AutoencoderError(`cannot read the kernels at ${url.pathname} (${(e as Error).message}): check the file's permissions, or reinstall the package`);
      }
      // compiled on this thread: V8 compiles a function's code on its first call, so this is the module's
      // validation (about 0.3 ms), and it skips the event loop's trips of the async compile (a fresh
      // process's load(): its kernels 2.1 -> 1.8 ms, medians of 25 alternated launches; session 35)
      return new WebAssembly.Module(bytes);
    }
    throw new AutoencoderError(`cannot find ${file}: neither ${places[0]!.pathname} (inside the package) nor ${places[1]!.pathname} (next to a bundle) exists. `
      + `In this repository run \`npm run build\`; with the installed package, reinstall it; for a bundle, copy node_modules/autoencoder/dist/build/${file} next to the bundled file`);
  };
}

/**
 * The native CRC-32 the Node and Bun entry gives load() (setNativeCrc32): Bun's `Bun.hash.crc32` (its second
 * argument continues a CRC, as zlib's does), else Node's `node:zlib` `crc32` through `process.getBuiltinModule`
 * (Node 20.16+, 22.3+), looked up on the first load() so that importing the package does not load node:zlib
 * (it costs a fresh Node process about 0.45 ms, and the 1.7 MB dense784 file's CRC then 0.5 ms, against about
 * 2.2 ms in the kernels' first pass; Bun's 0.04 ms, where Bun's node:zlib cost its load() 13.4 -> 17.2 ms);
 * null on an older Node (the kernels' CRC). Deno's entry gives none: its node:zlib loads its Node compatibility
 * layer, about 18 ms (a fresh process's load() 10.0 -> 27.8 ms).
 */
export function runtimeCrc32(): Crc32 | null {
  const g = globalThis as { Bun?: { hash?: { crc32?: unknown } }; process?: { getBuiltinModule?: (id: string) => unknown } };
  try {
    const bun = g.Bun?.hash?.crc32;
    if (typeof bun === 'function') return function bunCrc32(data: Uint8Array, prev: number): number { return (bun as Crc32)(data, prev); };
    const get = g.process?.getBuiltinModule;
    const crc = typeof get === 'function' ? (get('node:zlib') as { crc32?: unknown } | undefined)?.crc32 : undefined;
    return typeof crc === 'function' ? crc as Crc32 : null;
  } catch {
    return null;
  }
}

/** load(path)'s file reads (Node and Bun): positioned synchronous reads of an open file. */
export function nodeFileOpener(path: string | URL): ModelFile {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    return {
      size: st.size,
      read(into, position) {
        let got = 0;
        while (got < into.length) {
          const n = readSync(fd, into, got, into.length - got, position + got);
          if (n === 0) break;
          got += n;
        }
        return got;
      },
      close: () => closeSync(fd),
    };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}
