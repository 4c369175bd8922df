import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The dev server proxies the API to a running Margin Watch proxy (`npm run dev` starts both).
const apiTarget = process.env.MARGIN_WATCH_API ?? 'http://127.0.0.1:5178';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      '/api/stream': { target: apiTarget.replace(/^http/, 'ws'), ws: true },
      '/api': { target: apiTarget },
    },
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'scripts/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['src/test-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    benchmark: { include: ['src/**/*.bench.ts'] },
  },
});
