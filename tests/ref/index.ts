// Re-exports of the float64 scalar reference ("oracle") used by the tests to check the
// wasm kernels: activations, losses, dense layers/networks, optimizers, normalizers, metrics.
// Everything here is written from the math in the PyTorch / numpy / scikit-learn docs,
// independently of the AssemblyScript kernels.

export * from './act.js';
export * from './loss.js';
export * from './dense.js';
export * from './optim.js';
export * from './norm.js';
export * from './metrics.js';
// Keras (channels-last) conv, pooling, upsampling, dropout, reshape, batchNorm and layer graphs:
export * from './conv.js';
export * from './layers.js';
export * from './graph.js';
