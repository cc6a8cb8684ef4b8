// Scalar activation functions for the float64 reference ("oracle").
// Forward values and derivatives dA/dZ, both from the input z and from the output a
// (the backward pass only keeps a). Definitions follow the PyTorch docs for
// torch.nn.ReLU, LeakyReLU (negative_slope=0.01), ELU (alpha=1.0), Tanh, Sigmoid;
// 'linear' is the identity.

export const ACTIVATIONS = ['relu', 'leakyRelu', 'elu', 'tanh', 'sigmoid', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const LEAKY_SLOPE = 0.01;
export const ELU_ALPHA = 1.0;

function sigmoid(z: number): number {
  // Branches keep exp() from overflowing; same value as 1/(1+exp(-z)).
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

export function actForward(name: Activation | string, z: number): number {
  switch (name) {
    case 'relu': return z > 0 ? z : 0;
    case 'leakyRelu': return z > 0 ? z : LEAKY_SLOPE * z;
    case 'elu': return z > 0 ? z : ELU_ALPHA * Math.expm1(z);
    case 'tanh': return Math.tanh(z);
    case 'sigmoid': return sigmoid(z);
    case 'linear': return z;
    default: throw new Error(`unknown activation: ${name}`);
  }
}

/** dA/dZ from the input z (at kinks z = 0 the left derivative is used, like PyTorch). */
export function actDerivative(name: Activation | string, z: number): number {
  switch (name) {
    case 'relu': return z > 0 ? 1 : 0;
    case 'leakyRelu': return z > 0 ? 1 : LEAKY_SLOPE;
    case 'elu': return z > 0 ? 1 : ELU_ALPHA * Math.exp(z);
    case 'tanh': { const t = Math.tanh(z); return 1 - t * t; }
    case 'sigmoid': { const s = sigmoid(z); return s * (1 - s); }
    case 'linear': return 1;
    default: throw new Error(`unknown activation: ${name}`);
  }
}

/** dA/dZ expressed from the output a = act(z) (elu form valid for alpha = 1). */
export function actBackwardFromOutput(name: Activation | string, a: number): number {
  switch (name) {
    case 'relu': return a > 0 ? 1 : 0;
    case 'leakyRelu': return a > 0 ? 1 : LEAKY_SLOPE;
    case 'elu': return a > 0 ? 1 : a + ELU_ALPHA;
    case 'tanh': return 1 - a * a;
    case 'sigmoid': return a * (1 - a);
    case 'linear': return 1;
    default: throw new Error(`unknown activation: ${name}`);
  }
}
