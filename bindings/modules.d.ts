// modules.d.ts: types of the build outputs the entries import.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
