// wasm-names.mjs: renames a wasm module's exports (the export section, id 7; every other section is
// copied byte for byte). tools/build.mjs uses it for dist/: the library's JS there is bundled with
// esbuild's mangleProps (/^ae_/), which shortens every `x.ae_...` access to a name of a letter or two,
// and the modules' exports get the same names, so neither the JS nor the wasm carries the long ones
// (about 0.9 KB gzipped off the scoring bundle). build/ keeps the long names (the sources and tests use them).
// Plain JS so that it runs before anything is compiled.

/** Reads an unsigned LEB128 at `at`; returns [value, next offset]. */
function uleb(bytes, at) {
  let value = 0, shift = 0, b;
  do {
    b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return [value, at];
}

/** An unsigned LEB128 of `value`. */
function leb(value) {
  const out = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

/** The module's sections: [{ id, head, start, end }] (head: the id byte; start: the payload, after id and size). */
export function sections(bytes) {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error('not a wasm module');
  const out = [];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, start] = uleb(bytes, at + 1);
    out.push({ id, head: at, start, end: start + size });
    at = start + size;
  }
  return out;
}

/** The export section's entries: [{ name, kind, index }]. */
export function exportsOf(bytes) {
  const s = sections(bytes).find((x) => x.id === 7);
  if (!s) return [];
  let [n, at] = uleb(bytes, s.start);
  const out = [];
  const text = new TextDecoder();
  for (; n > 0; n--) {
    const [len, p] = uleb(bytes, at);
    const name = text.decode(bytes.subarray(p, p + len));
    const kind = bytes[p + len];
    const [index, next] = uleb(bytes, p + len + 1);
    out.push({ name, kind, index });
    at = next;
  }
  return out;
}

/**
 * A copy of the module with every export whose name is a key of `map` renamed to map[name]
 * (others kept). Throws when two exports would end up with one name.
 */
export function renameExports(bytes, map) {
  const list = exportsOf(bytes).map((e) => ({ ...e, name: Object.hasOwn(map, e.name) ? map[e.name] : e.name }));
  const seen = new Set();
  for (const e of list) {
    if (seen.has(e.name)) throw new Error(`renameExports: two exports named ${e.name}`);
    seen.add(e.name);
  }
  const utf8 = new TextEncoder();
  const body = [...leb(list.length)];
  for (const e of list) {
    const name = utf8.encode(e.name);
    body.push(...leb(name.length), ...name, e.kind, ...leb(e.index));
  }
  const parts = [bytes.subarray(0, 8)];
  for (const s of sections(bytes)) {
    if (s.id !== 7) parts.push(bytes.subarray(s.head, s.end));
    else parts.push(Uint8Array.of(7, ...leb(body.length), ...body));
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** bytes with their export section left out: equal for a module and its renamed copy. */
export function withoutExports(bytes) {
  const parts = [];
  for (const s of sections(bytes)) if (s.id !== 7) parts.push(bytes.subarray(s.start, s.end));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
