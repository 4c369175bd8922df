// Test support: risk reports in the contract's shape, built with the domain's own estimate from balances, prices
// and lines, so a fixture's moves always agree with its figures. Test-only.
import {
  riskReportSchema,
  type PriceDto,
  type RiskReport,
  type RiskReportDto,
} from '../../../contract/risk.ts';
import { dec } from '../../../domain/decimal.ts';
import type { Band } from '../../../domain/model.ts';
import { estimateMoves, valuePosition } from '../../../domain/price-moves.ts';

/** A fixed moment the fixtures are stamped with. */
export const AT = Date.UTC(2026, 11, 3, 12, 0, 0);

/** A margin-call line at 1.5 and liquidation at 1.1, in a ratio unit (Bitso-like). */
export const BANDS: Band[] = [
  { kind: 'caution', threshold: dec('1.5'), label: 'safe', source: 'exchange' },
  { kind: 'liquidation', threshold: dec('1.1'), label: 'maintenance', source: 'exchange' },
];

export interface PositionSpec {
  currency: string;
  price: string;
  held: string;
  owed: string;
  stale?: boolean;
}

export interface EstimateSpec {
  accountId?: string;
  reference?: string;
  assets: string;
  liabilities: string;
  positions: PositionSpec[];
  bands?: readonly Band[];
  extra?: Partial<RiskReportDto>;
}

/** A report as the proxy would build it from these totals, positions and lines, read with the browser's schema. */
export function estimateReport(spec: EstimateSpec): RiskReport {
  const reference = spec.reference ?? 'USD';
  const assets = dec(spec.assets);
  const liabilities = dec(spec.liabilities);
  const valued = spec.positions.map((p) =>
    valuePosition(p.currency, { held: dec(p.held), owed: dec(p.owed) }, dec(p.price)),
  );
  const estimate = estimateMoves(assets, liabilities, valued, spec.bands ?? BANDS);
  const text = (d: { toFixed(): string } | null) => (d === null ? null : d.toFixed());
  const prices: PriceDto[] = spec.positions.map((p) => ({
    currency: p.currency,
    price: p.price,
    source: `Test ticker ${p.currency.toLowerCase()}_${reference.toLowerCase()} (last)`,
    at: AT - 2_000,
    stale: p.stale ?? false,
  }));
  const dto: RiskReportDto = {
    accountId: spec.accountId ?? 'acc-1',
    at: AT,
    reference,
    assets: spec.assets,
    liabilities: spec.liabilities,
    prices,
    moves: estimate.moves.map((m, i) => {
      const v = valued[i];
      if (!v) throw new Error('positions and moves differ');
      return {
        currency: m.currency,
        price: v.price.toFixed(),
        held: v.held.toFixed(),
        owed: v.owed.toFixed(),
        heldValue: v.heldValue.toFixed(),
        owedValue: v.owedValue.toFixed(),
        toMarginCall: text(m.toMarginCall),
        toLiquidation: text(m.toLiquidation),
        toTakeover: text(m.toTakeover),
      };
    }),
    market: estimate.market && {
      heldValue: estimate.marketHeld.toFixed(),
      owedValue: estimate.marketOwed.toFixed(),
      toMarginCall: text(estimate.market.toMarginCall),
      toLiquidation: text(estimate.market.toLiquidation),
      toTakeover: text(estimate.market.toTakeover),
    },
    approximate: null,
    trend: null,
    unavailable: null,
    ...spec.extra,
  };
  return riskReportSchema.parse(dto);
}

/**
 * Bitso-like: assets 10 000 USD (0.1 BTC at 60 000 and 4 000 USD), liabilities 6 000 USD, level 1.6667.
 * BTC (and the market, BTC alone) reaches 1.5 at −16.67 % and 1.1 at −56.67 %.
 */
export function btcLong(extra: Partial<RiskReportDto> = {}, accountId = 'acc-1'): RiskReport {
  return estimateReport({
    accountId,
    assets: '10000',
    liabilities: '6000',
    positions: [{ currency: 'BTC', price: '60000', held: '0.1', owed: '0' }],
    extra,
  });
}

/** A venue whose data cannot support an estimate. */
export function unavailableReport(reason: string, accountId = 'acc-1'): RiskReport {
  return riskReportSchema.parse({
    accountId,
    at: AT,
    reference: null,
    assets: null,
    liabilities: null,
    prices: [],
    moves: [],
    market: null,
    approximate: null,
    trend: null,
    unavailable: reason,
  } satisfies RiskReportDto);
}
