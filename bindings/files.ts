// files.ts: load(path)'s file access. The runtime entries that read files (node.ts and score.ts through
// node-load.ts, deno.js and score-deno.js through deno-file.js) set the opener; elsewhere (browsers,
// workerd) there is none and a path gets an error that says to pass the bytes.

import { AutoencoderError, describe } from './errors.js';
import { FILE_MAX_BYTES } from './format.js';

/**
 * A model file opened by path, for `load(path)`: its size, a synchronous positioned read that returns the
 * bytes it read (fewer only at the end of the file), and close.
 */
export interface ModelFile {
  size: number;
  read(into: Uint8Array, position: number): number;
  close(): void;
}
let openFile: ((path: string | URL) => ModelFile) | null = null;

/** The opener of load(path) and SeriesDetector.load(path): index.ts's setFileOpener, which the runtime entries call, sets it. */
export function setFileOpener(open: ((path: string | URL) => ModelFile) | null): void {
  if (open !== null && typeof open !== 'function') throw new AutoencoderError(`setFileOpener() takes a function (path) => ModelFile, or null, got ${describe(open)}`);
  openFile = open;
}

/** CRC-32 (IEEE, reflected), as zlib's `crc32(data, prev)`: the CRC of the bytes whose CRC is `prev`, then `data`. */
export type Crc32 = (data: Uint8Array, prev: number) => number;

let crcSource: (() => Crc32 | null) | null = null;
let crcFound: Crc32 | null | undefined;

/**
 * Where load() finds a native CRC-32 for the model file's checksum: the Node and Bun entry (node.ts) gives
 * node-load.ts's runtimeCrc32; null (the other entries' default): always the kernels'. The same numbers either
 * way; in a fresh process the native one is much faster, as the kernels run there as V8's baseline code (a
 * 1.7 MB file: about 2.2 ms against 0.04-0.6).
 */
export function setNativeCrc32(find: (() => Crc32 | null) | null): void {
  if (find !== null && typeof find !== 'function') throw new AutoencoderError(`setNativeCrc32() takes a function that returns a CRC-32 function (data, prev) => number or null, or null, got ${describe(find)}`);
  crcSource = find;
  crcFound = undefined;
}

/** The native CRC-32 load() checks files with, found once; null: the kernels' CRC. */
export function nativeCrc32(): Crc32 | null {
  if (crcFound === undefined) {
    const found = crcSource?.() ?? null;
    if (found !== null && typeof found !== 'function') {
      throw new AutoencoderError(`the function given to setNativeCrc32() returned ${describe(found)}: it must return a CRC-32 function (data, prev) => number, such as node:zlib's crc32, or null`);
    }
    crcFound = found;
  }
  return crcFound;
}

/** True for what load() reads as a file path: a string or a URL. */
export function isPath(source: unknown): source is string | URL {
  return typeof source === 'string' || (typeof URL === 'function' && source instanceof URL);
}

/** A file opened for load(path) (Node, Bun, Deno), or a clear error. */
export function openModelFile(path: string | URL): ModelFile {
  if (!openFile) {
    throw new AutoencoderError(`load() takes a file path only in Node, Bun and Deno; here pass the file's bytes, e.g. new Uint8Array(await (await fetch(url)).arrayBuffer())`);
  }
  try {
    return openFile(path);
  } catch (e) {
    throw new AutoencoderError(`cannot read the file ${String(path)} (${(e as Error).message}): check the path and its permissions`);
  }
}

/** The whole of an open file as bytes (what it holds now: a file cut short reads as the shorter bytes). */
export function readWhole(f: ModelFile, path: string | URL): Uint8Array {
  try {
    if (!(f.size <= FILE_MAX_BYTES)) throw new Error(`it is ${f.size} bytes, more than a file this package reads (${FILE_MAX_BYTES})`);
    const all = new Uint8Array(f.size);
    const got = f.read(all, 0);
    return got === f.size ? all : all.subarray(0, got);
  } catch (e) {
    throw new AutoencoderError(`cannot read the file ${String(path)} (${(e as Error).message}): check the path and its permissions`);
  }
}

