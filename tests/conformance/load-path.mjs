// load-path.mjs: Autoencoder.load(path) in a command-line runtime (node, deno, bun), for
// tests/load-path.test.ts: prints { saved: hex of save() after the load, score: hex of the row's
// float32 score } as JSON, or { error } when the load fails (Deno without --allow-read).
// Usage: <runtime> tests/conformance/load-path.mjs <model file> <row as hex float32 bytes>
import { Autoencoder } from 'autoencoder';

const [path, rowHex] = typeof Deno !== 'undefined' ? Deno.args : process.argv.slice(2);
const hex = (a) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), (b) => b.toString(16).padStart(2, '0')).join('');
const bytes = new Uint8Array(rowHex.match(/../g).map((h) => parseInt(h, 16)));
try {
  const ae = await Autoencoder.load(path);
  console.log(JSON.stringify({ saved: hex(ae.save()), score: hex(ae.score(new Float32Array(bytes.buffer))) }));
} catch (e) {
  console.log(JSON.stringify({ error: e.message }));
}
