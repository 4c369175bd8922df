// The price-move service: keeps each account's latest reading (the proxy's one reading of every message), asks the
// price book for the pairs the accounts hold, and answers the risk routes and the alert rule. The trend comes
// from the recorded history through `recentLevels`.
import { parseDecimal, type Dec } from '../../domain/decimal.ts';
import { heldOwedOf } from '../../domain/price-moves.ts';
import type { MarginSnapshot } from '../../domain/model.ts';
import { levelTrend, type LevelSample, type Trend } from '../../domain/trend.ts';
import type { RiskReportDto } from '../../contract/risk.ts';
import type { AccountConfig } from '../../exchanges/server-types.ts';
import type { AccountMessage } from '../accounts.ts';
import type { ExchangeCatalog } from '../exchanges.ts';
import type { HistoryRequest, HistoryResult } from '../history/query.ts';
import type { ProxyLogger } from '../log.ts';
import type { PriceBook } from './prices.ts';
import { buildRiskReport, nearestLiquidation, type ReportInput } from './report.ts';

/** The window the level's pace is measured over. */
export const TREND_WINDOW_MS = 30 * 60_000;
/** A trend is worked out again at most this often per account (many tabs polling /api/risk cost one query). */
export const TREND_REUSE_MS = 15_000;

/** The smallest price move (signed fraction) that would bring an account to liquidation (the alert rule's input). */
export interface NearestMove {
  /** Null: no move of any currency nor of the market reaches liquidation. */
  move: Dec | null;
  /** A currency, or null for the whole market. */
  currency: string | null;
  approximate: boolean;
  /** A price the estimate rests on is stale. */
  stale: boolean;
}

export interface RiskServiceOptions {
  accounts: { list(): readonly AccountConfig[]; get(id: string): AccountConfig | undefined };
  log?: Pick<ProxyLogger, 'warn'>;
  catalog: ExchangeCatalog;
  prices: PriceBook;
  /** The account's recorded levels between two times (ms epoch), oldest first. */
  recentLevels?: (accountId: string, from: number, to: number) => LevelSample[] | Promise<LevelSample[]>;
  now?: () => number;
  trendWindowMs?: number;
}

export interface RiskService {
  /** Every message's reading, as the proxy hands it to history and alerts. */
  onMessage(message: AccountMessage): void;
  /** One account's report; undefined for an account that is not configured. */
  report(accountId: string): Promise<RiskReportDto | undefined>;
  /** Every configured account's report, in config order. */
  reports(): Promise<RiskReportDto[]>;
  /** For the moveBelow alert rule. */
  nearestLiquidationMove(accountId: string): NearestMove | null;
  start(): void;
  stop(): void;
}

/** Levels from the history's buckets: the last level of each bucket, at its time. */
export function levelsFromHistory(
  reader: { query(request: HistoryRequest): HistoryResult | Promise<HistoryResult> },
  windowMs: number,
): RiskServiceOptions['recentLevels'] {
  return async (accountId, from, to) => {
    const result = await reader.query({
      accountId,
      from,
      to,
      now: to,
      maxPoints: Math.max(2, Math.min(1000, Math.ceil(windowMs / 5_000))),
    });
    const samples: LevelSample[] = [];
    for (const b of result.buckets) {
      if (b.last.kind !== 'value') continue;
      const value = parseDecimal(b.last.text);
      if (value !== null) samples.push({ at: b.lastAt, value });
    }
    return samples;
  };
}

export function createRiskService(options: RiskServiceOptions): RiskService {
  const now = options.now ?? Date.now;
  const windowMs = options.trendWindowMs ?? TREND_WINDOW_MS;
  const snapshots = new Map<string, MarginSnapshot>();
  const trends = new Map<string, { at: number; trend: Promise<Trend | null> }>();

  const accountOf = (id: string): AccountConfig | undefined => options.accounts.get(id);
  /** Accounts whose trend failed to load, so the failure is logged once until it loads again. */
  const failedTrends = new Set<string>();

  function inputOf(account: AccountConfig): Omit<ReportInput, 'trend' | 'now'> {
    const entry = options.catalog.get(account.exchange);
    return {
      accountId: account.id,
      exchangeName: entry?.browser.name ?? account.exchange,
      snapshot: snapshots.get(account.id),
      method: entry?.server.priceMoves,
      priceOf: (currency, reference) =>
        options.prices.price(account.exchange, account.endpoints.rest, currency, reference),
    };
  }

  function trendOf(account: AccountConfig, snapshot: MarginSnapshot | undefined): Promise<Trend | null> {
    const at = now();
    const kept = trends.get(account.id);
    if (kept && at - kept.at >= 0 && at - kept.at < TREND_REUSE_MS) return kept.trend;
    const trend = measureTrend(account, snapshot, at).then(
      (value) => {
        failedTrends.delete(account.id);
        return value;
      },
      (err: unknown) => {
        if (!failedTrends.has(account.id)) {
          failedTrends.add(account.id);
          options.log?.warn('trend not measured: the history could not be read', {
            account: account.id,
            error: err,
          });
        }
        return null;
      },
    );
    trends.set(account.id, { at, trend });
    return trend;
  }

  async function measureTrend(
    account: AccountConfig,
    snapshot: MarginSnapshot | undefined,
    at: number,
  ): Promise<Trend | null> {
    if (!options.recentLevels || !snapshot) return null;
    const samples = await options.recentLevels(account.id, at - windowMs, at);
    const line = (kind: 'caution' | 'liquidation') =>
      snapshot.bands.find((b) => b.kind === kind)?.threshold ?? null;
    return levelTrend(samples, {
      now: at,
      windowMs,
      marginCall: line('caution'),
      liquidation: line('liquidation'),
    });
  }

  async function reportOf(account: AccountConfig): Promise<RiskReportDto> {
    const input = inputOf(account);
    const trend = await trendOf(account, input.snapshot);
    return buildRiskReport({ ...input, trend, now: now() });
  }

  return {
    onMessage(message) {
      const snapshot = message.snapshot;
      if (!snapshot) return;
      const account = message.account;
      snapshots.set(account.id, snapshot);
      const reference = snapshot.totals?.currency;
      if (!reference || !options.prices.hasTicker(account.exchange)) return;
      // Only currencies the account holds or owes: empty rows would only slow the polls of the others.
      const currencies: string[] = [];
      for (const row of snapshot.balances ?? []) {
        if (row.currency.toLowerCase() === reference.toLowerCase()) continue;
        const amounts = heldOwedOf(row);
        if (amounts && !(amounts.held.isZero() && amounts.owed.isZero())) currencies.push(row.currency);
      }
      options.prices.hold(account.id, account.exchange, account.endpoints.rest, currencies, reference);
    },
    async report(accountId) {
      const account = accountOf(accountId);
      return account ? reportOf(account) : undefined;
    },
    async reports() {
      return Promise.all(options.accounts.list().map((a) => reportOf(a)));
    },
    nearestLiquidationMove(accountId) {
      const account = accountOf(accountId);
      if (!account) return null;
      const found = nearestLiquidation(inputOf(account));
      if (!found) return null;
      return {
        move: found.danger?.move ?? null,
        currency: found.danger?.currency ?? null,
        approximate: found.approximate,
        stale: found.stale,
      };
    },
    start: () => options.prices.start(),
    stop: () => options.prices.stop(),
  };
}
