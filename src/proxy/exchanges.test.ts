import { describe, expect, it } from 'vitest';
import { exchanges, serverModules } from '../exchanges/registry.ts';
import { exchangeCatalog } from './exchanges.ts';
import { fakeBrowser, fakeServer } from './testing/fake-exchange.ts';

describe('exchangeCatalog', () => {
  it('pairs every registered exchange with its server module, in registry order', () => {
    const catalog = exchangeCatalog();
    expect([...catalog.keys()]).toEqual(exchanges.map((e) => e.id));
    for (const [id, entry] of catalog) {
      expect(entry.browser.id).toBe(id);
      expect(entry.server).toBe(serverModules.find((s) => s.id === id));
    }
  });

  it('takes modules in hand (the fake test exchange honours the contract)', () => {
    expect([...exchangeCatalog([fakeBrowser], [fakeServer]).keys()]).toEqual(['fakex']);
  });

  it('names the exchange whose server module is missing or breaks the contract', () => {
    expect(() => exchangeCatalog([fakeBrowser], [])).toThrow(
      'exchange fakex: no server module listed in src/exchanges/registry.ts (src/exchanges/fakex/server.ts)',
    );
    expect(() =>
      exchangeCatalog([fakeBrowser], [{ ...fakeServer, secretFields: 'apiKey' as never }]),
    ).toThrow(
      'exchange fakex: src/exchanges/fakex/server.ts: server.secretFields must be an array of strings',
    );
  });
});
