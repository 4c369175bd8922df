// GET /api/accounts/:id/history?from=&to=&maxPoints= — the recorded margin history of one account, bucketed.
//
// Parameters (all optional): `from` and `to` in ms since 1970-01-01 UTC, inclusive (default: from the first
// recorded sample to now); `maxPoints` 2–1000 (default 1000). An empty value counts as absent. Anything else
// is a 400 whose body `{ "error": … }` says what was wrong; an account that is not configured is a 404.
import type { FastifyInstance } from 'fastify';
import type { HistoryResponseDto } from '../../contract/history.ts';
import { MAX_TIME, sendError } from '../shared.ts';
import { DEFAULT_GAP_MS } from './recorder.ts';
import { MAX_POINTS_LIMIT, MIN_POINTS_LIMIT, type HistoryRequest, type HistoryResult } from './query.ts';

const PARAMS = ['from', 'to', 'maxPoints'] as const;

export interface HistoryParams {
  from?: number;
  to?: number;
  maxPoints: number;
}

export type ParamsOutcome = { ok: true; params: HistoryParams } | { ok: false; message: string };

function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/** Validates the query string of a history request; the message says which parameter is wrong and why. */
export function parseHistoryParams(query: unknown): ParamsOutcome {
  const raw = typeof query === 'object' && query !== null ? (query as Record<string, unknown>) : {};
  const unknown = Object.keys(raw).filter((k) => !(PARAMS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    return {
      ok: false,
      message: `unknown parameter ${quote(unknown[0] ?? '')}; expected from, to and maxPoints`,
    };
  }
  const text: Partial<Record<(typeof PARAMS)[number], string>> = {};
  for (const name of PARAMS) {
    const value = raw[name];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string') return { ok: false, message: `${name} must be given once` };
    text[name] = value.trim();
  }
  const params: HistoryParams = { maxPoints: MAX_POINTS_LIMIT };
  for (const name of ['from', 'to'] as const) {
    const value = text[name];
    if (value === undefined) continue;
    const n = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n > MAX_TIME) {
      return {
        ok: false,
        message: `${name} must be a time in milliseconds since 1970-01-01 UTC (a whole number), got ${quote(value)}`,
      };
    }
    params[name] = n;
  }
  if (text.maxPoints !== undefined) {
    const n = /^\d{1,7}$/.test(text.maxPoints) ? Number(text.maxPoints) : Number.NaN;
    if (!(n >= MIN_POINTS_LIMIT && n <= MAX_POINTS_LIMIT)) {
      return {
        ok: false,
        message: `maxPoints must be a whole number from ${MIN_POINTS_LIMIT} to ${MAX_POINTS_LIMIT}, got ${quote(text.maxPoints)}`,
      };
    }
    params.maxPoints = n;
  }
  if (params.from !== undefined && params.to !== undefined && params.from > params.to) {
    return { ok: false, message: `from (${params.from}) is after to (${params.to})` };
  }
  return { ok: true, params };
}

/** The JSON body of a history response: the query result plus the account's gap threshold. */
export interface HistoryResponse extends HistoryResult {
  /** Silence (ms) after which the recorder marks an outage; the browser uses it for live samples too. */
  gapMs: number;
}

export interface HistoryRouteDeps {
  /** Runs a history query (the SQLite reader or the PostgreSQL store). */
  query(request: HistoryRequest): HistoryResult | Promise<HistoryResult>;
  /** True for a configured account id (others get a 404). */
  hasAccount(accountId: string): boolean;
  /**
   * The running recorder: what it has queued is written before a query (settle() when its store is asynchronous,
   * else flush()), and it knows each account's gap threshold.
   */
  recorder?: {
    flush(): number | Promise<number>;
    settle?(): Promise<number>;
    gapMsFor(accountId: string): number;
  };
  now?: () => number;
}

/** Registers GET /api/accounts/:id/history on `app`. */
export function registerHistoryRoutes(app: FastifyInstance, deps: HistoryRouteDeps): void {
  const now = deps.now ?? Date.now;
  app.get<{ Params: { id: string } }>('/api/accounts/:id/history', async (request, reply) => {
    const accountId = request.params.id;
    if (!deps.hasAccount(accountId)) {
      return sendError(reply, 404, `unknown account ${quote(accountId)}`);
    }
    const parsed = parseHistoryParams(request.query);
    if (!parsed.ok) return sendError(reply, 400, parsed.message);
    const at = now();
    const { from, to, maxPoints } = parsed.params;
    if (from !== undefined && to === undefined && from > at) {
      return sendError(reply, 400, `from (${from}) is after to (now, ${at})`);
    }
    const recorder = deps.recorder;
    if (recorder) await (recorder.settle ? recorder.settle() : recorder.flush());
    const result = await deps.query({
      accountId,
      maxPoints,
      now: at,
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
    });
    const body = {
      ...result,
      gapMs: deps.recorder?.gapMsFor(accountId) ?? DEFAULT_GAP_MS,
    } satisfies HistoryResponse & HistoryResponseDto;
    return reply.header('cache-control', 'no-store').send(body);
  });
}
