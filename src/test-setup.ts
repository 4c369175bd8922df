// Extra DOM matchers for component tests (files that opt into jsdom with `// @vitest-environment jsdom`),
// and Testing Library cleanup between tests (vitest globals are off, so it does not register itself).
import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => {
  if (typeof document !== 'undefined') cleanup();
});
