// The contract checks of exchange server modules (the proxy-only half of every exchange, listed in registry.ts):
// what the types cannot say, checked at startup so a broken module is named instead of failing later.
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
 * Problems with a server module, as readable sentences; empty when it honours the ExchangeServerModule contract
 * for exchange `id`. The types check most of it; this also checks what they cannot (the id, clashing keys).
 */
export function serverModuleProblems(id: string, candidate: unknown): string[] {
  if (!isRecord(candidate)) return ['is not a server module object'];
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
