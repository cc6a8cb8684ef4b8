// the types of kernels-mt.deno.js (plain JS: TypeScript does not parse `import source`)
declare const mtModule: WebAssembly.Module;
export default mtModule;
