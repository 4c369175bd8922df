// BitoPro wire messages → AccountUpdate. Run by the proxy's reader only (the browser gets its snapshot frames).
import { Dec, isDecimalText, writtenDecimals } from '../../domain/decimal.ts';
import type { AccountUpdate, CurrencyBalance, Detail, Level, LevelUnit, Totals } from '../../domain/model.ts';
import { resolveBands } from '../../domain/risk.ts';
import type { NormalizeContext, ParseOutcome } from '../types.ts';
import { decimalOf, describe, guard, parseWire, wireFailure } from '../wire-kit.ts';
import {
  MARGIN_BALANCE_INFO,
  errorBodySchema,
  marginAccountInfoSchema,
  marginBalancesSchema,
  streamEventSchema,
  type MarginAccountInfoData,
  type MarginBalances,
} from './wire.ts';

export const BITOPRO = 'bitopro';

/** Channel of the private stream's MARGIN_BALANCE_INFO pushes. */
export const ACCOUNT_INFO_CHANNEL = 'account-info';
/** Channel of GET /margin/balances answers (polled by the proxy, fetched by the drill-down). */
export const BALANCES_CHANNEL = 'balances';

/** BitoPro's headline figure: total assets / total debt, both in the calculation unit. Higher is safer. */
export const AD_RATIO_UNIT: LevelUnit = { name: 'AD ratio', kind: 'ratio' };

type AccountFields = Omit<MarginBalances, 'balances'> | Omit<MarginAccountInfoData, 'balances'>;

type RiskResult =
  | { ok: true; risk: NonNullable<AccountUpdate['risk']>; warnings: string[] }
  | { ok: false; outcome: ParseOutcome };

/**
 * BitoPro's AD ratio as the exchange computes it: assets / debt truncated (not rounded) to 2 decimals
 * (inferred from the doc examples: 7134740.15 / 128079.84 = 55.7054 is sent as "55.70").
 */
export function expectedAdRatio(assets: Dec, debt: Dec): Dec {
  return assets.div(debt).toDecimalPlaces(2, Dec.ROUND_DOWN);
}

/** Level, bands and totals shared by the REST answer and the stream push. `prefix` locates the fields. */
function riskOf(fields: AccountFields, channel: string, ctx: NormalizeContext, prefix: string): RiskResult {
  const assets = decimalOf(fields.totalAssetAmount);
  const debt = decimalOf(fields.totalDebtAmount);
  const warnings: string[] = [];
  let level: Level;
  if (debt.value.isZero()) {
    level = { kind: 'no-debt', text: fields.adRatio };
  } else {
    if (!isDecimalText(fields.adRatio)) {
      return {
        ok: false,
        outcome: wireFailure(
          BITOPRO,
          channel,
          `${prefix}adRatio`,
          `expected a decimal string, got ${describe(fields.adRatio)}`,
        ),
      };
    }
    const value = decimalOf(fields.adRatio).value;
    level = { kind: 'value', value, text: fields.adRatio };
    const expected = expectedAdRatio(assets.value, debt.value);
    if (!expected.eq(value)) {
      warnings.push(
        `adRatio ${fields.adRatio} disagrees with totalAssetAmount / totalDebtAmount ` +
          `(${fields.totalAssetAmount} / ${fields.totalDebtAmount} = ${expected.toFixed(2)}, truncated to 2 decimals)`,
      );
    }
  }
  const totals: Totals = {
    currency: fields.calculateUnit,
    assets: assets.value,
    liabilities: debt.value,
    decimals: Math.max(assets.decimals, debt.decimals),
  };
  return {
    ok: true,
    risk: { level, unit: AD_RATIO_UNIT, bands: resolveBands([], ctx.thresholds), totals },
    warnings,
  };
}

function text(key: string, label: string, value: string): Detail {
  return { key, label, value: { kind: 'text', value } };
}

/** An exchange timestamp (ms epoch) in UTC, or the number as sent when it is not a valid time. */
function exchangeTime(ms: number): string {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return String(ms);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The account-level figures that are not the headline: label, ids and statuses (meanings undocumented). */
function accountDetails(fields: AccountFields): Detail[] {
  return [
    text('adRatioLabel', 'AD-ratio label', fields.adRatioLabel),
    text('accountID', 'Account ID', fields.accountID),
    text('accountStatus', 'Account status', String(fields.accountStatus)),
    text('marginStatus', 'Margin status', String(fields.marginStatus)),
    text('calculateUnit', 'Calculation unit', fields.calculateUnit),
  ];
}

/** The most decimal places written in any of a row's amounts. */
function rowDecimals(texts: readonly string[]): number {
  return Math.max(0, ...texts.map(writtenDecimals));
}

function normalizeBalances(payload: unknown, channel: string, ctx: NormalizeContext): ParseOutcome {
  if (typeof payload === 'object' && payload !== null && !('adRatio' in payload)) {
    const failure = errorBodySchema.safeParse(payload);
    if (failure.success) {
      return wireFailure(BITOPRO, channel, 'error', `BitoPro answered with an error: ${failure.data.error}`);
    }
  }
  const parsed = parseWire(marginBalancesSchema, payload, BITOPRO, channel);
  if (!parsed.ok) return { kind: 'error', error: parsed.error };
  const body = parsed.data;
  const risk = riskOf(body, channel, ctx, '');
  if (!risk.ok) return risk.outcome;
  const balances: CurrencyBalance[] = Object.entries(body.balances).map(([currency, row]) => {
    const total = decimalOf(row.totalAmount).value;
    const borrowed = decimalOf(row.borrowAmount).value;
    const interest = decimalOf(row.borrowInterestAmount).value;
    return {
      currency,
      total,
      available: decimalOf(row.availableAmount).value,
      locked: decimalOf(row.tradedAmount).value,
      borrowed,
      interest,
      net: total.minus(borrowed).minus(interest),
      netDerived: true,
      decimals: rowDecimals([
        row.totalAmount,
        row.availableAmount,
        row.tradedAmount,
        row.borrowAmount,
        row.borrowInterestAmount,
      ]),
    };
  });
  const update: AccountUpdate = {
    accountId: ctx.accountId,
    exchange: BITOPRO,
    channel,
    time: ctx.receivedAt,
    risk: risk.risk,
    balances,
    balancesMode: 'replace',
    details: accountDetails(body),
  };
  if (risk.warnings.length > 0) update.warnings = risk.warnings;
  return { kind: 'update', update };
}

function normalizeAccountInfo(payload: unknown, channel: string, ctx: NormalizeContext): ParseOutcome {
  const head = parseWire(streamEventSchema, payload, BITOPRO, channel);
  if (!head.ok) return { kind: 'error', error: head.error };
  if (head.data.event !== MARGIN_BALANCE_INFO) {
    return { kind: 'ignored', reason: `event ${JSON.stringify(head.data.event)} carries no margin figures` };
  }
  const parsed = parseWire(marginAccountInfoSchema, payload, BITOPRO, channel);
  if (!parsed.ok) return { kind: 'error', error: parsed.error };
  const { data } = parsed.data;
  const risk = riskOf(data, channel, ctx, 'data.');
  if (!risk.ok) return risk.outcome;
  const balances: CurrencyBalance[] = Object.entries(data.balances).map(([currency, row]) => ({
    currency,
    borrowed: decimalOf(row.borrowAmount).value,
    interest: decimalOf(row.borrowInterestAmount).value,
    decimals: rowDecimals([row.borrowAmount, row.borrowInterestAmount]),
  }));
  const details = accountDetails(data);
  // Replaced on every push, so a later push without an action does not keep showing an old one.
  details.push(text('action', 'Last push action', data.action ?? 'none stated'));
  // The update is timed by when the proxy received it, like every figure on screen; BitoPro's own time of the
  // push is shown beside the other figures.
  details.push(text('pushedAt', 'Pushed by BitoPro at', exchangeTime(parsed.data.timestamp)));
  const update: AccountUpdate = {
    accountId: ctx.accountId,
    exchange: BITOPRO,
    channel,
    time: ctx.receivedAt,
    risk: risk.risk,
    balances,
    balancesMode: 'merge',
    details,
  };
  if (risk.warnings.length > 0) update.warnings = risk.warnings;
  return { kind: 'update', update };
}

/** Parses one BitoPro message relayed on `channel`. Never throws. */
export function normalizeBitopro(channel: string, payload: unknown, ctx: NormalizeContext): ParseOutcome {
  return guard(BITOPRO, channel, () => {
    switch (channel) {
      case ACCOUNT_INFO_CHANNEL:
        return normalizeAccountInfo(payload, channel, ctx);
      case BALANCES_CHANNEL:
        return normalizeBalances(payload, channel, ctx);
      default:
        return { kind: 'ignored', reason: `channel ${JSON.stringify(channel)} is not a BitoPro channel` };
    }
  });
}
