import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Browser code must never reach signing, upstream sessions, simulators, the exchange kit or the proxy.
const serverOnly = {
  patterns: [
    {
      group: ['**/sign', '**/sign.ts', '**/upstream', '**/upstream.ts', '**/simulator', '**/simulator.ts'],
      message: 'Signing, upstream and simulator code is proxy-only.',
    },
    {
      group: ['**/server', '**/server.ts', '**/servers', '**/servers.ts'],
      message: 'Exchange server modules are proxy-only.',
    },
    { group: ['**/kit/**'], message: 'The exchange kit (src/exchanges/kit) is Node-only.' },
    {
      group: ['**/proxy/**', 'node:*', 'better-sqlite3', 'ws', 'fastify', '@fastify/*'],
      message: 'Proxy-only.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'test-results', 'playwright-report', 'coverage'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.browser, ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.tsx', 'src/hooks/**', 'src/stores/**', 'src/app/**', 'src/components/**'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    files: [
      'src/app/**',
      'src/stores/**',
      'src/hooks/**',
      'src/components/**',
      'src/main.tsx',
      'src/domain/**',
      'src/exchanges/*/index.ts',
      'src/exchanges/*/wire.ts',
      'src/exchanges/*/normalize.ts',
      'src/exchanges/types.ts',
      'src/exchanges/wire-kit.ts',
      'src/exchanges/registry.ts',
    ],
    ignores: ['**/*.test.ts', '**/*.test.tsx'],
    rules: { 'no-restricted-imports': ['error', serverOnly] },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
