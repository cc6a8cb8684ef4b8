// modules.d.ts: a `.ae` import is the model file as a data module (workerd `data = embed`,
// wrangler rule type "Data"): its bytes as an ArrayBuffer.
declare module '*.ae' {
  const bytes: ArrayBuffer;
  export default bytes;
}
