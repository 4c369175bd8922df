// VALR wire messages → AccountUpdate. Run by the proxy's reader only (the browser gets its snapshot frames).
import { Dec } from '../../domain/decimal.ts';
import type {
  AccountUpdate,
  Band,
  CurrencyBalance,
  Detail,
  Level,
  LevelUnit,
  VenueStatus,
} from '../../domain/model.ts';
import { resolveBands } from '../../domain/risk.ts';
import type { NormalizeContext, ParseOutcome } from '../types.ts';
import { decimalOf, guard, parseWire } from '../wire-kit.ts';
import {
  accountEnvelope,
  accountStatusResponse,
  balancesResponse,
  marginInfoMessage,
  type BalanceRow,
  type MarginInfoData,
} from './wire.ts';

export const VALR_ID = 'valr';

/** The account WebSocket (`/ws/account`): every message object, MARGIN_INFO among them. */
export const ACCOUNT_CHANNEL = 'account';
/** `GET /v1/account/balances`, polled. */
export const BALANCES_CHANNEL = 'balances';
/** `GET /v1/margin/account/status`, polled with the balances: whether VALR is liquidating the account. */
export const ACCOUNT_STATUS_CHANNEL = 'account-status';

/** VALR's word on the account's state, which outranks the zone worked out from the margin fraction. */
export const LIQUIDATED_BY_VALR: VenueStatus = { kind: 'liquidating', text: 'being liquidated by VALR' };

/** VALR's headline figure; higher is safer. */
export const VALR_UNIT: LevelUnit = { name: 'Margin fraction', kind: 'fraction' };

/** Parses one relayed VALR message. Never throws. */
export function normalizeValr(channel: string, payload: unknown, ctx: NormalizeContext): ParseOutcome {
  return guard(VALR_ID, channel, () => {
    switch (channel) {
      case ACCOUNT_CHANNEL:
        return normalizeAccountMessage(payload, ctx);
      case BALANCES_CHANNEL:
        return normalizeBalances(payload, ctx);
      case ACCOUNT_STATUS_CHANNEL:
        return normalizeAccountStatus(payload, ctx);
      default:
        return { kind: 'ignored', reason: `VALR has no channel ${JSON.stringify(channel)}` };
    }
  });
}

function normalizeAccountMessage(payload: unknown, ctx: NormalizeContext): ParseOutcome {
  const envelope = parseWire(accountEnvelope, payload, VALR_ID, ACCOUNT_CHANNEL);
  if (!envelope.ok) return { kind: 'error', error: envelope.error };
  const type = envelope.data.type;
  if (type !== 'MARGIN_INFO') {
    return { kind: 'ignored', reason: `VALR ${type} message carries no margin figures` };
  }
  const message = parseWire(marginInfoMessage, payload, VALR_ID, ACCOUNT_CHANNEL);
  if (!message.ok) return { kind: 'error', error: message.error };
  return { kind: 'update', update: marginInfoUpdate(message.data.data, ctx) };
}

/** The leverage multiple arrives as a JSON number: read through its shortest decimal text, never as an amount. */
function leverageOf(n: number): { value: Dec; decimals: number } {
  const value = new Dec(String(n));
  return { value, decimals: Math.max(0, value.decimalPlaces()) };
}

function marginInfoUpdate(data: MarginInfoData, ctx: NormalizeContext): AccountUpdate {
  const fraction = decimalOf(data.marginFraction);
  const exposure = decimalOf(data.totalLeveragedExposureInReference);
  const borrowed = decimalOf(data.totalBorrowedInReference);
  const assets = decimalOf(data.collateralizedBalancesInReference);
  const initial = decimalOf(data.initialMarginFraction).value;
  const maintenance = decimalOf(data.maintenanceMarginFraction).value;
  const autoClose = decimalOf(data.autoCloseMarginFraction).value;
  const warnings: string[] = [];

  const level: Level = exposure.value.isZero()
    ? { kind: 'no-debt', text: data.marginFraction }
    : { kind: 'value', value: fraction.value, text: data.marginFraction };
  if (exposure.value.isZero() && !borrowed.value.isZero()) {
    warnings.push(
      `VALR reports no leveraged exposure but ${data.totalBorrowedInReference} ${data.referenceCurrency} borrowed`,
    );
  }
  if (initial.lt(maintenance) || maintenance.lt(autoClose)) {
    warnings.push(
      `VALR margin fractions out of order: initial ${data.initialMarginFraction}, maintenance ` +
        `${data.maintenanceMarginFraction}, auto-close ${data.autoCloseMarginFraction}`,
    );
  }

  const exchangeBands: Band[] = [
    { kind: 'caution', threshold: initial, label: 'initialMarginFraction', source: 'exchange' },
    { kind: 'liquidation', threshold: maintenance, label: 'maintenanceMarginFraction', source: 'exchange' },
    { kind: 'takeover', threshold: autoClose, label: 'autoCloseMarginFraction', source: 'exchange' },
  ];

  const currency = data.referenceCurrency;
  const inReference = (key: string, label: string, text: string): Detail => {
    const { value, decimals } = decimalOf(text);
    return { key, label, value: { kind: 'decimal', value, decimals, currency } };
  };
  const leverage = leverageOf(data.leverageMultiple);
  const collateralizedFraction = decimalOf(data.collateralizedMarginFraction);
  const details: Detail[] = [
    { key: 'leverageMultiple', label: 'Leverage', value: { kind: 'decimal', ...leverage } },
    inReference(
      'totalLeveragedExposureInReference',
      'Leveraged exposure',
      data.totalLeveragedExposureInReference,
    ),
    inReference(
      'totalUnrealisedFuturesPnlInReference',
      'Unrealised futures PnL',
      data.totalUnrealisedFuturesPnlInReference,
    ),
    inReference('totalBorrowedInReference', 'Borrowed', data.totalBorrowedInReference),
    inReference('availableInReference', 'Available', data.availableInReference),
    inReference('initialRequiredInReference', 'Initial margin required', data.initialRequiredInReference),
    inReference('tradeReservedInReference', 'Reserved for trading', data.tradeReservedInReference),
    inReference(
      'totalPositionsAtEntryInReference',
      'Positions at entry',
      data.totalPositionsAtEntryInReference,
    ),
    {
      key: 'collateralizedMarginFraction',
      label: 'Collateralized margin fraction',
      value: { kind: 'decimal', ...collateralizedFraction },
    },
  ];

  const update: AccountUpdate = {
    accountId: ctx.accountId,
    exchange: VALR_ID,
    channel: ACCOUNT_CHANNEL,
    time: ctx.receivedAt,
    risk: {
      level,
      unit: VALR_UNIT,
      bands: resolveBands(exchangeBands, ctx.thresholds),
      totals: {
        currency,
        assets: assets.value,
        liabilities: borrowed.value,
        decimals: Math.max(assets.decimals, borrowed.decimals),
      },
    },
    details,
  };
  if (warnings.length > 0) update.warnings = warnings;
  return update;
}

/**
 * One balances row. VALR's `total` is the holding net of what is borrowed (it goes negative when more is
 * borrowed than held), so it is shown both as the total and as the net; `reserved` is what open orders lock.
 */
function balanceOf(row: BalanceRow): CurrencyBalance {
  const total = decimalOf(row.total);
  const available = decimalOf(row.available);
  const reserved = decimalOf(row.reserved);
  const optional = [row.lendReserved, row.borrowReserved, row.borrowedAmount].flatMap((text) =>
    text === undefined ? [] : [decimalOf(text).decimals],
  );
  const balance: CurrencyBalance = {
    currency: row.currency,
    total: total.value,
    available: available.value,
    locked: reserved.value,
    net: total.value,
    decimals: Math.max(total.decimals, available.decimals, reserved.decimals, ...optional),
  };
  if (row.borrowedAmount !== undefined) balance.borrowed = decimalOf(row.borrowedAmount).value;
  return balance;
}

function normalizeBalances(payload: unknown, ctx: NormalizeContext): ParseOutcome {
  const parsed = parseWire(balancesResponse, payload, VALR_ID, BALANCES_CHANNEL);
  if (!parsed.ok) return { kind: 'error', error: parsed.error };
  return {
    kind: 'update',
    update: {
      accountId: ctx.accountId,
      exchange: VALR_ID,
      channel: BALANCES_CHANNEL,
      time: ctx.receivedAt,
      balances: parsed.data.map(balanceOf),
      balancesMode: 'replace',
    },
  };
}

const yesNo = (value: boolean): string => (value ? 'yes' : 'no');

/** `inLiquidation: true` puts the account in the Liquidation zone whatever its margin fraction; false lifts it. */
function normalizeAccountStatus(payload: unknown, ctx: NormalizeContext): ParseOutcome {
  const parsed = parseWire(accountStatusResponse, payload, VALR_ID, ACCOUNT_STATUS_CHANNEL);
  if (!parsed.ok) return { kind: 'error', error: parsed.error };
  const status = parsed.data;
  const details: Detail[] = [
    {
      key: 'inLiquidation',
      label: 'In liquidation',
      value: { kind: 'text', value: status.inLiquidation ? 'yes — being liquidated by VALR' : 'no' },
    },
  ];
  if (status.marginEnabled !== undefined) {
    details.push({
      key: 'marginEnabled',
      label: 'Margin enabled',
      value: { kind: 'text', value: yesNo(status.marginEnabled) },
    });
  }
  if (status.futuresEnabled !== undefined) {
    details.push({
      key: 'futuresEnabled',
      label: 'Futures enabled',
      value: { kind: 'text', value: yesNo(status.futuresEnabled) },
    });
  }
  return {
    kind: 'update',
    update: {
      accountId: ctx.accountId,
      exchange: VALR_ID,
      channel: ACCOUNT_STATUS_CHANNEL,
      time: ctx.receivedAt,
      venueStatus: status.inLiquidation ? LIQUIDATED_BY_VALR : null,
      details,
    },
  };
}
