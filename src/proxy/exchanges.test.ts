import { describe, expect, it } from 'vitest';
import { exchanges } from '../exchanges/registry.ts';
import { loadExchangeCatalog, loadServerModule, serverModuleProblems } from './exchanges.ts';
import { fakeServer } from './testing/fake-exchange.ts';

describe('server modules', () => {
  it('every registered exchange has a valid server module with the same id', async () => {
    const catalog = await loadExchangeCatalog();
    expect([...catalog.keys()]).toEqual(exchanges.map((e) => e.id));
    for (const [id, entry] of catalog) {
      expect(entry.server.id).toBe(id);
      expect(serverModuleProblems(id, entry.server)).toEqual([]);
      expect(entry.browser.restPaths.length).toBeGreaterThan(0);
      for (const field of entry.server.secretFields) {
        expect(Object.keys(entry.server.demoAccount.credentials)).toContain(field);
      }
    }
  });

  it('the fake test module honours the contract', () => {
    expect(serverModuleProblems('fakex', fakeServer)).toEqual([]);
  });

  it.each([
    ['not an object', 'x', undefined, ['does not export a `server` object']],
    ['another id', 'fakex', { ...fakeServer, id: 'other' }, ['server.id is "other", expected "fakex"']],
    [
      'a clash with a common key',
      'fakex',
      { ...fakeServer, accountOptions: { label: fakeServer.credentials } },
      ['server.accountOptions redefines common keys: label'],
    ],
    [
      'missing functions and schema',
      'fakex',
      { ...fakeServer, signRest: undefined, credentials: {} },
      ['server.credentials must be a zod schema', 'server.signRest must be a function'],
    ],
  ])('reports %s', (_name, id, candidate, problems) => {
    expect(serverModuleProblems(id, candidate)).toEqual(problems);
  });

  it('names the exchange when its server.ts is missing', async () => {
    await expect(loadServerModule('no-such-exchange')).rejects.toThrow(
      /exchange no-such-exchange: cannot load src\/exchanges\/no-such-exchange\/server\.ts/,
    );
  });
});
