// The exchanges the proxy runs: each registered exchange's module paired with its proxy-only server module, both
// from the one static list in src/exchanges/registry.ts. The proxy imports the exchanges, never the reverse.
import { exchanges, serverModules } from '../exchanges/registry.ts';
import type { ExchangeServerModule } from '../exchanges/server-types.ts';
import { serverModuleProblems } from '../exchanges/servers.ts';
import type { ExchangeModule } from '../exchanges/types.ts';

/** Both halves of one exchange: the browser-safe module and its proxy-only server module. */
export interface ExchangeEntry {
  id: string;
  browser: ExchangeModule;
  server: ExchangeServerModule;
}

/** Every exchange the proxy can run, by id, in registry order. */
export type ExchangeCatalog = ReadonlyMap<string, ExchangeEntry>;

/**
 * Pairs each module of `modules` with the server module of the same id; throws naming the exchange when one has
 * no server module, or its server module breaks the contract.
 */
export function exchangeCatalog(
  modules: readonly ExchangeModule[] = exchanges,
  servers: readonly ExchangeServerModule[] = serverModules,
): ExchangeCatalog {
  const entries = modules.map((browser): ExchangeEntry => {
    const server = servers.find((s) => s.id === browser.id);
    const where = `src/exchanges/${browser.id}/server.ts`;
    if (server === undefined) {
      throw new Error(
        `exchange ${browser.id}: no server module listed in src/exchanges/registry.ts (${where})`,
      );
    }
    const problems = serverModuleProblems(browser.id, server);
    if (problems.length > 0) throw new Error(`exchange ${browser.id}: ${where}: ${problems.join('; ')}`);
    return { id: browser.id, browser, server };
  });
  return new Map(entries.map((e) => [e.id, e]));
}

/** A catalog from modules already in hand (tests and tools). */
export function catalogOf(entries: readonly ExchangeEntry[]): ExchangeCatalog {
  return new Map(entries.map((e) => [e.id, e]));
}
