// score-api.ts: what the 'autoencoder/score' entries export: AutoencoderLite (every inference method,
// on the scoring module), the error class and the types a scoring script names. Training, the codec
// and SeriesDetector need the full kernels: import them from 'autoencoder'.
export { AutoencoderLite, AutoencoderError } from './index.js';
export type { AutoencoderSpec, CalibrateOptions, CreateOptions, Matrix, ModelSpec, OutOption, ResolvedSpec, ScoreBy, ScoreOptions } from './index.js';
