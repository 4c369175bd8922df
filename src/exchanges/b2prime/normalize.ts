// B2Prime stream items → AccountUpdate. Run by the proxy's reader only (the browser gets its snapshot frames).
import { Dec, movePoint, writtenDecimals } from '../../domain/decimal.ts';
import type { AccountUpdate, CurrencyBalance, Detail, Level, LevelUnit } from '../../domain/model.ts';
import { resolveBands, type ThresholdLabels } from '../../domain/risk.ts';
import type { NormalizeContext, ParseOutcome } from '../types.ts';
import { decimalOf, guard, parseWire, withinLastDigit } from '../wire-kit.ts';
import {
  HUB_MESSAGE_TYPES,
  fullBalanceMessage,
  hubTypeEnvelope,
  marginDataMessage,
  type FullBalanceRow,
  type MarginDataItem,
} from './wire.ts';

export const EXCHANGE_ID = 'b2prime';
/** Stream of margin balance, equity, used/free margin and margin level. */
export const MARGIN_DATA = 'MarginData';
/** Stream of every asset's total, available and locked amounts. */
export const FULL_BALANCE = 'FullBalance';
/** Figures are in RAT, the deployment's root ("reference") asset, e.g. USD or EUR. */
export const REFERENCE_ASSET = 'RAT';

/**
 * Headline figure: equity / used margin × 100, in percent, as B2Trader's terminal shows it. Config thresholds
 * (B2Prime's margin-call and stop-out levels) are in percent too.
 */
export const LEVEL_UNIT: LevelUnit = { name: 'Margin level', kind: 'percent' };

/** B2Prime's names for the lines its back office sets (config `marginCall` and `liquidation`). */
export const THRESHOLD_LABELS: ThresholdLabels = { marginCall: 'margin call', liquidation: 'stop-out' };

/** Level text when no margin is in use (used margin zero): the account cannot be liquidated. */
export const NO_MARGIN_IN_USE = 'no margin in use';

/** B2Prime sends no risk lines; bands come only from the account's config thresholds. */
const EXCHANGE_BANDS = [] as const;

/** Decimal places of the percent text when the exchange's own figure cannot be used (the terminal shows 2). */
const COMPUTED_LEVEL_DECIMALS = 2;

/** True when `wire` is `exact` as the exchange would write it: truncated to the wire's decimals, ±1 unit. */
function writtenAs(wire: Dec, exact: Dec, decimals: number): boolean {
  return withinLastDigit(wire, exact.toDecimalPlaces(decimals, Dec.ROUND_DOWN), decimals);
}

/**
 * Reads the margin level, in percent. The value is always equity / used margin × 100 computed exactly; the
 * exchange's `marginLevel` decides the text. B2Prime documents it as "equity / used margin × 100 %" while its
 * own example is the plain ratio truncated to 4 dp (UNCONFIRMED which one the server sends), so both are
 * recognised:
 * - the wire equals the percentage (truncated to its decimals, ±1 unit): the text is the exchange's;
 * - the wire equals the ratio likewise: the text is the exchange's digits with the point moved two places
 *   (the example's "4969.3905" reads "496939.05", as the terminal shows it);
 * - neither (or, for tiny levels, both): the computed percentage to 2 dp, with a warning naming the figures.
 * Zero used margin is `no-debt`, whatever the wire says.
 */
export function interpretMarginLevel(
  equity: Dec,
  usedMargin: Dec,
  wireText: string | null,
): { level: Level; warnings: string[] } {
  if (usedMargin.isZero()) return { level: { kind: 'no-debt', text: NO_MARGIN_IN_USE }, warnings: [] };
  const ratio = equity.div(usedMargin);
  const percent = ratio.times(100);
  const computedText = percent.toFixed(COMPUTED_LEVEL_DECIMALS, Dec.ROUND_DOWN);
  const computed: Level = { kind: 'value', value: percent, text: computedText };
  if (wireText === null) {
    return {
      level: computed,
      warnings: [`marginLevel missing; showing equity/used margin × 100 = ${computedText} %`],
    };
  }
  const wire = new Dec(wireText);
  const decimals = writtenDecimals(wireText);
  const asPercent = writtenAs(wire, percent, decimals);
  const asRatio = writtenAs(wire, ratio, decimals);
  if (asPercent && !asRatio)
    return { level: { kind: 'value', value: percent, text: wireText }, warnings: [] };
  if (asRatio && !asPercent) {
    return { level: { kind: 'value', value: percent, text: movePoint(wireText, 2) }, warnings: [] };
  }
  const ratioText = ratio.toFixed(COMPUTED_LEVEL_DECIMALS + 2, Dec.ROUND_DOWN);
  const why = asRatio
    ? `marginLevel ${wireText} fits both equity/used margin (${ratioText}) and that × 100 (${computedText} %); showing ${computedText} %`
    : `marginLevel ${wireText} disagrees with equity/used margin: neither ${ratioText} (×1) nor ${computedText} % (×100)`;
  return { level: computed, warnings: [why] };
}

/** Checks the documented identities; the tolerance is one unit in the finest place any operand was written to. */
function consistencyWarnings(item: MarginDataItem): string[] {
  const balance = new Dec(item.marginBalanceInRAT);
  const pnl = new Dec(item.unrealizedPnlInRAT);
  const equity = new Dec(item.equityInRAT);
  const used = new Dec(item.usedMarginInRAT);
  const free = new Dec(item.freeMarginInRAT);
  const warnings: string[] = [];
  const equityPlaces = Math.max(
    ...[item.marginBalanceInRAT, item.unrealizedPnlInRAT, item.equityInRAT].map(writtenDecimals),
  );
  const expectedEquity = balance.plus(pnl);
  if (!withinLastDigit(equity, expectedEquity, equityPlaces)) {
    warnings.push(
      `equityInRAT ${item.equityInRAT} disagrees with marginBalanceInRAT + unrealizedPnlInRAT = ${expectedEquity.toFixed()}`,
    );
  }
  const freePlaces = Math.max(
    ...[item.equityInRAT, item.usedMarginInRAT, item.freeMarginInRAT].map(writtenDecimals),
  );
  const expectedFree = equity.minus(used);
  if (!withinLastDigit(free, expectedFree, freePlaces)) {
    warnings.push(
      `freeMarginInRAT ${item.freeMarginInRAT} disagrees with equityInRAT − usedMarginInRAT = ${expectedFree.toFixed()}`,
    );
  }
  return warnings;
}

function ratDetail(key: string, label: string, text: string): Detail {
  const { value, decimals } = decimalOf(text);
  return { key, label, value: { kind: 'decimal', value, decimals, currency: REFERENCE_ASSET } };
}

function marginDataUpdate(item: MarginDataItem, ctx: NormalizeContext): ParseOutcome {
  const used = new Dec(item.usedMarginInRAT);
  if (used.isNegative() && !used.isZero()) {
    return {
      kind: 'error',
      error: {
        exchange: EXCHANGE_ID,
        channel: MARGIN_DATA,
        field: 'item.usedMarginInRAT',
        message: `used margin cannot be negative, got ${item.usedMarginInRAT}`,
      },
    };
  }
  const { level, warnings } = interpretMarginLevel(new Dec(item.equityInRAT), used, item.marginLevel);
  const equity = decimalOf(item.equityInRAT);
  const balance = decimalOf(item.marginBalanceInRAT);
  const update: AccountUpdate = {
    accountId: ctx.accountId,
    exchange: EXCHANGE_ID,
    channel: MARGIN_DATA,
    time: ctx.receivedAt,
    risk: {
      level,
      unit: LEVEL_UNIT,
      bands: resolveBands(EXCHANGE_BANDS, ctx.thresholds, THRESHOLD_LABELS),
      totals: {
        currency: REFERENCE_ASSET,
        equity: equity.value,
        assets: balance.value,
        decimals: Math.max(equity.decimals, balance.decimals),
      },
    },
    details: [
      ratDetail('marginBalance', 'Margin balance', item.marginBalanceInRAT),
      ratDetail('unrealizedPnl', 'Unrealized PnL', item.unrealizedPnlInRAT),
      ratDetail('equity', 'Equity', item.equityInRAT),
      ratDetail('usedMargin', 'Used margin', item.usedMarginInRAT),
      ratDetail('freeMargin', 'Free margin', item.freeMarginInRAT),
    ],
  };
  const allWarnings = [...warnings, ...consistencyWarnings(item)];
  if (allWarnings.length > 0) update.warnings = allWarnings;
  return { kind: 'update', update };
}

function balanceRow(row: FullBalanceRow): { balance: CurrencyBalance; warning?: string } {
  const total = decimalOf(row.total);
  const available = decimalOf(row.available);
  const locked = decimalOf(row.locked);
  const decimals = Math.max(total.decimals, available.decimals, locked.decimals);
  const balance: CurrencyBalance = {
    currency: row.assetId,
    total: total.value,
    available: available.value,
    locked: locked.value,
    decimals,
  };
  const expected = total.value.minus(locked.value);
  if (withinLastDigit(available.value, expected, decimals)) return { balance };
  return {
    balance,
    warning: `${row.assetId}: available ${row.available} disagrees with total − locked = ${expected.toFixed()}`,
  };
}

function fullBalanceUpdate(rows: readonly FullBalanceRow[], ctx: NormalizeContext): ParseOutcome {
  const read = rows.map(balanceRow);
  const update: AccountUpdate = {
    accountId: ctx.accountId,
    exchange: EXCHANGE_ID,
    channel: FULL_BALANCE,
    time: ctx.receivedAt,
    balances: read.map((r) => r.balance),
    balancesMode: 'replace',
  };
  const warnings = read.flatMap((r) => (r.warning === undefined ? [] : [r.warning]));
  if (warnings.length > 0) update.warnings = warnings;
  return { kind: 'update', update };
}

/**
 * Parses one relayed B2Prime message: the SignalR StreamItem `{type: 2, invocationId, item}` of the
 * `MarginData` or `FullBalance` stream. Other hub message types and other channels are ignored; anything
 * malformed is a WireError naming the field. Never throws.
 */
export function normalizeB2prime(channel: string, payload: unknown, ctx: NormalizeContext): ParseOutcome {
  return guard(EXCHANGE_ID, channel, () => {
    if (channel !== MARGIN_DATA && channel !== FULL_BALANCE) {
      return { kind: 'ignored', reason: `channel ${channel} is not used by the margin view` };
    }
    const envelope = parseWire(hubTypeEnvelope, payload, EXCHANGE_ID, channel);
    if (!envelope.ok) return { kind: 'error', error: envelope.error };
    const type = envelope.data.type;
    if (type !== 2) {
      const name = HUB_MESSAGE_TYPES[type] ?? 'unknown';
      return { kind: 'ignored', reason: `SignalR message type ${type} (${name}) carries no stream item` };
    }
    if (channel === MARGIN_DATA) {
      const parsed = parseWire(marginDataMessage, payload, EXCHANGE_ID, channel);
      return parsed.ok ? marginDataUpdate(parsed.data.item, ctx) : { kind: 'error', error: parsed.error };
    }
    const parsed = parseWire(fullBalanceMessage, payload, EXCHANGE_ID, channel);
    return parsed.ok ? fullBalanceUpdate(parsed.data.item, ctx) : { kind: 'error', error: parsed.error };
  });
}
