// deno-file.js: load(path)'s file reads for the Deno entries (deno.js, score-deno.js): positioned
// synchronous reads of an open Deno.FsFile (reading needs --allow-read; without it, load(path) says so).
// Plain JS beside them, which import it.

/** @param {string | URL} path @returns {import('./index.js').ModelFile} */
export function denoFileOpener(path) {
  const f = Deno.openSync(path, { read: true });
  try {
    const st = f.statSync();
    if (!st.isFile) throw new Error('not a regular file');
    return {
      size: st.size,
      read(into, position) {
        f.seekSync(position, Deno.SeekMode.Start);
        let got = 0;
        while (got < into.length) {
          const n = f.readSync(into.subarray(got));
          if (n === null || n === 0) break;
          got += n;
        }
        return got;
      },
      close: () => f.close(),
    };
  } catch (e) {
    f.close();
    throw e;
  }
}
