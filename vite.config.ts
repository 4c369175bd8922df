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
    // The dev server hands out only the app: its sources, public assets, index.html and the packages they import.
    // Never the project root (a config, history or nonce file may sit there), and no CORS: a page on another port
    // of this machine must not read what it serves.
    cors: false,
    fs: {
      strict: true,
      allow: ['src', 'public', 'index.html', 'node_modules'],
      deny: [
        // Vite's own defaults (a list given here replaces them).
        '.env',
        '.env.*',
        '*.{crt,pem,key,p12,pfx,cer,der}',
        '.npmrc',
        '.yarnrc.yml',
        '**/.git/**',
        // Margin Watch's configs, history and nonce files, wherever they are.
        'margin-watch*.json',
        '*.config.json',
        'nonces*.json',
        '*.{sqlite,sqlite3,db}',
        '*.{sqlite,sqlite3,db}-*',
      ],
    },
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
