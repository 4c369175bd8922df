// Test support: the real exchange catalog with one exchange's upstream replaced by one the test drives (its
// publish and setStatus), so real parsers read the messages a test hands in.
import type { UpstreamDeps } from '../../exchanges/server-types.ts';
import { exchangeCatalog, type ExchangeCatalog } from '../exchanges.ts';

export interface DrivenCatalog {
  catalog: ExchangeCatalog;
  /** The upstream of an account, once the AccountManager started it. */
  upstream(accountId: string): UpstreamDeps;
}

export function drivenCatalog(exchange: string): DrivenCatalog {
  const driven = new Map<string, UpstreamDeps>();
  const real = exchangeCatalog();
  const entry = real.get(exchange);
  if (!entry) throw new Error(`${exchange} is not registered`);
  const server = {
    ...entry.server,
    createUpstream: (deps: UpstreamDeps) => {
      driven.set(deps.account.id, deps);
      return { start: () => {}, stop: async () => {} };
    },
  };
  return {
    catalog: new Map([...real, [exchange, { ...entry, server }]]),
    upstream(accountId) {
      const deps = driven.get(accountId);
      if (!deps) throw new Error(`no upstream for ${accountId}`);
      return deps;
    },
  };
}
