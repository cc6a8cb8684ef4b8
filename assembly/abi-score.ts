// abi-score.ts: the entry of build/kernels-score.wasm, the scoring module: the exports of abi.ts
// (the same code) that AutoencoderLite calls, and nothing that trains, compresses or streams. The
// 'autoencoder/score' entry loads it (about half of kernels.wasm, gzipped); its bits are kernels.wasm's
// (tests/score-module.test.ts). tests/abi.test.ts holds this list (SCORE_EXPORTS) against the module.

export {
  ae_abi_version, ae_heap_base, ae_workspace, ae_seed, ae_seed_stream, ae_rng_fill, ae_infer, ae_score, ae_explain,
  ae_find_nonfinite, ae_find_below, ae_find_outside, ae_quantile, ae_detect, ae_crc32, ae_crc32_update,
  ae_vae_kl_rows, ae_sample_rows, ae_elbo_rows, ae_ens_score, ae_bound,
} from './abi';
