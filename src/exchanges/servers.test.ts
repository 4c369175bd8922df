import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exchanges, serverModules } from './registry.ts';
import { serverModuleProblems } from './servers.ts';

const [first] = serverModules;

describe('server modules', () => {
  it('every registered exchange has one server module, in registry order, honouring the contract', () => {
    expect(serverModules.map((s) => s.id)).toEqual(exchanges.map((e) => e.id));
    for (const server of serverModules) {
      expect(serverModuleProblems(server.id, server)).toEqual([]);
      for (const field of server.secretFields) {
        expect(Object.keys(server.demoAccount.credentials)).toContain(field);
      }
    }
    for (const browser of exchanges) expect(browser.restPaths.length).toBeGreaterThan(0);
  });

  it.each(serverModules.map((s) => s.id))(
    '%s runs the shared upstream scenarios against its simulator (upstream.test.ts)',
    (id) => {
      const test = readFileSync(new URL(`./${id}/upstream.test.ts`, import.meta.url), 'utf8');
      expect(test).toMatch(/^describeUpstreamScenarios\(\{$/m);
    },
  );

  it.each([
    ['not an object', 'x', undefined, ['is not a server module object']],
    ['another id', 'bitopro', { ...first, id: 'other' }, ['server.id is "other", expected "bitopro"']],
    [
      'a clash with a common key',
      'bitopro',
      { ...first, accountOptions: { label: first?.credentials } },
      ['server.accountOptions redefines common keys: label'],
    ],
    [
      'missing functions and schema',
      'bitopro',
      { ...first, signRest: undefined, credentials: {} },
      ['server.credentials must be a zod schema', 'server.signRest must be a function'],
    ],
  ])('reports %s', (_name, id, candidate, problems) => {
    expect(serverModuleProblems(id, candidate)).toEqual(problems);
  });
});
