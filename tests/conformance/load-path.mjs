// load-path.mjs: Autoencoder.load(path) in a command-line runtime (node, deno, bun), for
// tests/load-path.test.ts: prints { saved: hex of save() after the load, score: hex of the row's
// float32 score, native: the name of the native CRC-32 load() checks the file with here (nativeCrc32(); null: none),
// corrupt: the message for a corrupted copy when one is given } as JSON, or { error } when the load fails
// (Deno without --allow-read).
// Usage: <runtime> tests/conformance/load-path.mjs <model file> <row as hex float32 bytes> [corrupted copy]
import { Autoencoder, nativeCrc32 } from 'autoencoder';

const [path, rowHex, corrupted] = typeof Deno !== 'undefined' ? Deno.args : process.argv.slice(2);
const hex = (a) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), (b) => b.toString(16).padStart(2, '0')).join('');
const bytes = new Uint8Array(rowHex.match(/../g).map((h) => parseInt(h, 16)));
try {
  const ae = await Autoencoder.load(path);
  let corrupt;
  if (corrupted) corrupt = await Autoencoder.load(corrupted).then(() => 'loaded', (e) => e.message);
  console.log(JSON.stringify({ saved: hex(ae.save()), score: hex(ae.score(new Float32Array(bytes.buffer))), native: nativeCrc32()?.name ?? null, corrupt }));
} catch (e) {
  console.log(JSON.stringify({ error: e.message }));
}
