import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { autoencoder: fileURLToPath(new URL('./bindings/node.ts', import.meta.url)) } },
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    setupFiles: ['tests/setup-kernels.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
