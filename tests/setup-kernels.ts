// setup-kernels.ts (vitest setupFiles): the library in the tests ('autoencoder' = bindings/node.ts) runs on
// build/kernels-test.wasm, the shipped kernels plus the raw entry points tests call on a model's own Kernel
// (ae_grads for finite differences, the GEMMs, activations and losses: assembly/abi-test.ts). Every
// shipped function is the same code in both modules, except that this one keeps the kernels' assert()
// preconditions (scratch sizes, strides, the workspace: a violated one traps instead of writing past a
// buffer), which the release build compiles out. tests/abi.test.ts checks the shipped build/kernels.wasm.
import { readFileSync } from 'node:fs';
import { setWasmLoader } from '../bindings/node.js';

setWasmLoader(() => WebAssembly.compile(readFileSync(new URL('../build/kernels-test.wasm', import.meta.url))));
