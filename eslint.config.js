import { join } from 'node:path';
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import layerTable from './layers.json' with { type: 'json' };

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

/** Tests and their support (`testing/` folders beside the code they support). */
const TEST_FILES = ['src/**/*.test.ts', 'src/**/*.test.tsx', 'src/**/testing/**'];

// Import direction (ARCHITECTURE §2) from layers.json, the table the graph test in
// src/exchanges/browser-safety.test.ts reads too. One config object per layer, so that each file gets the zone of
// its own layer: a file belongs to the first layer one of whose paths matches it, it may import its own layer
// and the layers in `mayImport`, and nothing from the others.
function layerRules(layers) {
  return layers.flatMap((layer, index) => {
    const allowed = new Set([layer.name, ...layer.mayImport]);
    const forbidden = layers.filter((l) => !allowed.has(l.name));
    if (forbidden.length === 0) return [];
    // A path of an allowed layer listed before a forbidden one belongs to the allowed layer (first match).
    const lastForbidden = Math.max(...forbidden.map((l) => layers.indexOf(l)));
    const except = layers
      .filter((l, i) => allowed.has(l.name) && i < lastForbidden)
      .flatMap((l) => l.paths.map((p) => join(import.meta.dirname, p)));
    const message = `${layer.name} imports only ${[...allowed].join(', ')} (layers.json, ARCHITECTURE §2).`;
    return [
      {
        files: layer.paths,
        // Tests may cross layers on purpose (a proxy route read through the browser's client, a view rendered
        // with the app's test providers); product code never imports test support (the second zone).
        ignores: [...layers.slice(0, index).flatMap((l) => l.paths), ...TEST_FILES],
        rules: {
          'import-x/no-restricted-paths': [
            'error',
            {
              basePath: import.meta.dirname,
              zones: [
                { target: '**', from: forbidden.flatMap((l) => l.paths), except, message },
                {
                  target: '**',
                  from: TEST_FILES,
                  message: 'Product code never imports tests or test support.',
                },
              ],
            },
          ],
        },
      },
    ];
  });
}

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
    ],
    // Tests and their support files (testing/) are never bundled: browser tests read frames the proxy's reader built.
    ignores: ['**/*.test.ts', '**/*.test.tsx', '**/testing/**'],
    rules: { 'no-restricted-imports': ['error', serverOnly] },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.tsx', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.json'] })],
    },
    rules: { 'import-x/no-cycle': 'error' },
  },
  ...layerRules(layerTable.layers),
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
