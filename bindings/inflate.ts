// inflate.ts: the browser entries' (browser.ts, score-browser.ts) way from an inlined module to a
// compiled one: base64 of zlib-format deflate bytes, inflated by DecompressionStream('deflate')
// (browsers, Node 18+, Deno, Bun and workerd have it) and compiled.

function fromBase64(s: string): Uint8Array<ArrayBuffer> {
  const from = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> }).fromBase64;
  if (from) return from(s);
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < out.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The module whose deflate bytes `base64` holds, compiled. */
export async function compileInlined(base64: string): Promise<WebAssembly.Module> {
  const z = new Blob([fromBase64(base64)]).stream().pipeThrough(new DecompressionStream('deflate'));
  return WebAssembly.compile(await new Response(z).arrayBuffer());
}
