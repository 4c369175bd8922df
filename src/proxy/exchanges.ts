// Loads the proxy-only half of every registered exchange: `src/exchanges/<id>/server.ts`, by convention.
import { exchanges } from '../exchanges/registry.ts';
import type { ExchangeServerModule } from '../exchanges/server-types.ts';
import type { ExchangeModule } from '../exchanges/types.ts';

/** Both halves of one exchange: the browser-safe module and its proxy-only server module. */
export interface ExchangeEntry {
  id: string;
  browser: ExchangeModule;
  server: ExchangeServerModule;
}

/** Every exchange the proxy can run, by id, in registry order. */
export type ExchangeCatalog = ReadonlyMap<string, ExchangeEntry>;

/** Account keys every exchange shares; an exchange's `accountOptions` may not redefine them. */
export const COMMON_ACCOUNT_KEYS = [
  'id',
  'exchange',
  'label',
  'credentials',
  'thresholds',
  'endpoints',
  'pollSeconds',
] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSchema(value: unknown): boolean {
  return isRecord(value) && typeof value.safeParse === 'function';
}

/**
 * Problems with a module's `server` export, as readable sentences; empty when it honours the
 * ExchangeServerModule contract for exchange `id`.
 */
export function serverModuleProblems(id: string, candidate: unknown): string[] {
  if (!isRecord(candidate)) return ['does not export a `server` object'];
  const problems: string[] = [];
  if (candidate.id !== id) problems.push(`server.id is ${JSON.stringify(candidate.id)}, expected "${id}"`);
  const endpoints = candidate.defaultEndpoints;
  if (!isRecord(endpoints) || typeof endpoints.rest !== 'string')
    problems.push('server.defaultEndpoints.rest must be a string');
  if (!isSchema(candidate.credentials)) problems.push('server.credentials must be a zod schema');
  const options = candidate.accountOptions;
  if (!isRecord(options) || !Object.values(options).every(isSchema)) {
    problems.push('server.accountOptions must be a zod shape');
  } else {
    const clashes = Object.keys(options).filter((k) =>
      (COMMON_ACCOUNT_KEYS as readonly string[]).includes(k),
    );
    if (clashes.length > 0)
      problems.push(`server.accountOptions redefines common keys: ${clashes.join(', ')}`);
  }
  if (!Array.isArray(candidate.secretFields) || !candidate.secretFields.every((f) => typeof f === 'string'))
    problems.push('server.secretFields must be an array of strings');
  for (const fn of ['signRest', 'createUpstream', 'startSimulator'] as const) {
    if (typeof candidate[fn] !== 'function') problems.push(`server.${fn} must be a function`);
  }
  const demo = candidate.demoAccount;
  if (!isRecord(demo) || typeof demo.id !== 'string' || !isRecord(demo.credentials))
    problems.push('server.demoAccount must have an id and credentials');
  return problems;
}

/** Imports `../exchanges/<id>/server.ts` and checks its `server` export. */
export async function loadServerModule(id: string): Promise<ExchangeServerModule> {
  const url = new URL(`../exchanges/${id}/server.ts`, import.meta.url);
  let imported: Record<string, unknown>;
  try {
    imported = (await import(url.href)) as Record<string, unknown>;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`exchange ${id}: cannot load src/exchanges/${id}/server.ts: ${reason}`, { cause: err });
  }
  const problems = serverModuleProblems(id, imported.server);
  if (problems.length > 0) {
    throw new Error(`exchange ${id}: src/exchanges/${id}/server.ts: ${problems.join('; ')}`);
  }
  return imported.server as ExchangeServerModule;
}

/** Loads the server module of every exchange in the registry (or of `modules`, for tests). */
export async function loadExchangeCatalog(
  modules: readonly ExchangeModule[] = exchanges,
): Promise<ExchangeCatalog> {
  const entries = await Promise.all(
    modules.map(async (browser): Promise<ExchangeEntry> => {
      const server = await loadServerModule(browser.id);
      return { id: browser.id, browser, server };
    }),
  );
  return new Map(entries.map((e) => [e.id, e]));
}

/** A catalog from modules already in hand (tests and tools). */
export function catalogOf(entries: readonly ExchangeEntry[]): ExchangeCatalog {
  return new Map(entries.map((e) => [e.id, e]));
}
