// Bitso margin account summary → AccountUpdate. Run by the proxy's reader only (the browser gets snapshots).
import { isDecimalText, writtenDecimals } from '../../domain/decimal.ts';
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
import { decimalOf, describe, guard, parseWire, toDec, wireFailure, withinLastDigit } from '../wire-kit.ts';
import { accountV1Schema, accountV2Schema, errorEnvelopeSchema, marginErrorSchema } from './wire.ts';
import type { AccountV1, AccountV2 } from './wire.ts';

/** Exchange id. */
export const BITSO = 'bitso';

/** The one channel: the polled body of GET /margin_trading/v1alpha/account. */
export const ACCOUNT_CHANNEL = 'account';

/** Bitso's headline figure: total assets / total liabilities, higher is safer. */
export const BITSO_UNIT: LevelUnit = { name: 'Margin level', kind: 'ratio' };

/** What each account status means, in a trader's words (v2alpha adds the last three; UNCONFIRMED). */
const STATUS_MEANINGS: Readonly<Record<string, string>> = {
  ACTIVE: 'funded; margin trading enabled',
  INACTIVE: 'no margin in use (nothing to liquidate; not a danger)',
  BLOCKED: 'being liquidated; new orders blocked',
  LIQUIDATING: 'being liquidated',
  ONBOARDING: 'margin account being set up',
  ONBOARDED: 'margin account set up, not funded yet',
};

/** Statuses in which Bitso is liquidating the account: they put it in the Liquidation zone whatever its level. */
const LIQUIDATING_STATUSES: ReadonlySet<string> = new Set(['BLOCKED', 'LIQUIDATING']);

/** Bitso's word on the account's state, which outranks the zone worked out from the level. */
export const LIQUIDATED_BY_BITSO: VenueStatus = { kind: 'liquidating', text: 'being liquidated by Bitso' };

/** The two shapes reduced to what the update needs, with the wire paths of the fields for error messages. */
interface Summary {
  status: string;
  /** The level as sent: any value (it is ignored when nothing is owed). */
  current: unknown;
  currentField: string;
  safe: string;
  maintenance: string;
  currency: string;
  assets: string;
  liabilities: string;
  tradingPower: string;
  balances: CurrencyBalance[];
  extraDetails: Detail[];
}

function fromV1(data: AccountV1): Summary {
  return {
    status: data.status,
    current: data.margin_levels.current,
    currentField: 'margin_levels.current',
    safe: data.margin_levels.safe,
    maintenance: data.margin_levels.maintenance,
    currency: data.margin_figures.currency,
    assets: data.margin_figures.total_assets,
    liabilities: data.margin_figures.total_liabilities,
    tradingPower: data.margin_figures.trading_power,
    balances: data.balances.map((row) => {
      const net = decimalOf(row.net_amount);
      return { currency: row.currency, net: net.value, decimals: net.decimals };
    }),
    extraDetails: [],
  };
}

function decimalDetail(key: string, label: string, text: string, currency?: string): Detail {
  const { value, decimals } = decimalOf(text);
  return {
    key,
    label,
    value:
      currency === undefined
        ? { kind: 'decimal', value, decimals }
        : { kind: 'decimal', value, decimals, currency },
  };
}

function fromV2(data: AccountV2): Summary {
  const level = data.margin_level;
  const figure = data.margin_figure;
  const extra: Detail[] = [];
  if (level.initial !== undefined)
    extra.push(decimalDetail('initial_level', 'Initial margin level', level.initial));
  if (level.realized !== undefined)
    extra.push(decimalDetail('realized_level', 'Realized margin level', level.realized));
  if (level.unrealized !== undefined)
    extra.push(decimalDetail('unrealized_level', 'Unrealized margin level', level.unrealized));
  if (figure.gross_assets_amount !== undefined)
    extra.push(decimalDetail('gross_assets', 'Gross assets', figure.gross_assets_amount, figure.currency));
  return {
    status: data.status,
    current: level.current,
    currentField: 'margin_level.current',
    safe: level.safe,
    maintenance: level.maintenance,
    currency: figure.currency,
    assets: figure.total_assets_amount,
    liabilities: figure.total_liabilities_amount,
    tradingPower: figure.trading_power_amount,
    balances: data.balances.map((row) => {
      const total = decimalOf(row.total_amount);
      const balance: CurrencyBalance = {
        currency: row.currency,
        total: total.value,
        decimals: total.decimals,
      };
      if (row.available_amount !== undefined) {
        const available = decimalOf(row.available_amount);
        balance.available = available.value;
        balance.decimals = Math.max(balance.decimals, available.decimals);
      }
      if (row.unrealized_amount !== undefined)
        balance.decimals = Math.max(balance.decimals, writtenDecimals(row.unrealized_amount));
      return balance;
    }),
    extraDetails: extra,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The v2alpha shape is recognised by its singular `margin_level`; everything else is read as v1alpha. */
function isV2(payload: unknown): boolean {
  return isRecord(payload) && 'margin_level' in payload && !('margin_levels' in payload);
}

function statusDetail(status: string): Detail {
  const meaning = STATUS_MEANINGS[status];
  return {
    key: 'status',
    label: 'Account status',
    value: {
      kind: 'text',
      value: meaning ? `${status} — ${meaning}` : `${status} — not a documented status`,
    },
  };
}

/**
 * Builds the update from a validated summary. With zero liabilities the level is "no debt" whatever
 * `current` says; with debt `current` must be a decimal string and is kept exactly as written.
 */
function toUpdate(summary: Summary, channel: string, ctx: NormalizeContext): ParseOutcome {
  const warnings: string[] = [];
  const assets = toDec(summary.assets);
  const liabilities = toDec(summary.liabilities);
  const current = summary.current;

  let level: Level;
  if (liabilities.isZero()) {
    level = { kind: 'no-debt', text: typeof current === 'string' ? current : '' };
  } else {
    if (typeof current !== 'string' || !isDecimalText(current)) {
      return wireFailure(
        BITSO,
        channel,
        summary.currentField,
        `expected a decimal string, got ${describe(current)}`,
      );
    }
    const value = toDec(current);
    level = { kind: 'value', value, text: current };
    if (liabilities.isNegative()) {
      warnings.push(`total liabilities are negative (${summary.liabilities})`);
    } else {
      const ratio = assets.div(liabilities);
      if (!withinLastDigit(value, ratio, writtenDecimals(current))) {
        warnings.push(
          `margin level ${current} disagrees with total assets / total liabilities = ${ratio.toDecimalPlaces(8).toFixed()}`,
        );
      }
    }
  }

  const safe = toDec(summary.safe);
  const maintenance = toDec(summary.maintenance);
  if (safe.lt(maintenance)) {
    warnings.push(`safe level ${summary.safe} is below the maintenance level ${summary.maintenance}`);
  }
  if (STATUS_MEANINGS[summary.status] === undefined) {
    warnings.push(`account status ${JSON.stringify(summary.status)} is not documented`);
  }
  if (summary.status === 'INACTIVE' && !liabilities.isZero()) {
    // The status says no margin is in use, the figures say something is owed: trust neither blindly.
    warnings.push(
      `Bitso reports the account INACTIVE (no margin in use) but total liabilities are ${summary.liabilities}`,
    );
  }

  const exchangeBands: Band[] = [
    { kind: 'caution', threshold: safe, label: 'safe', source: 'exchange' },
    { kind: 'liquidation', threshold: maintenance, label: 'maintenance', source: 'exchange' },
  ];

  const update: AccountUpdate = {
    accountId: ctx.accountId,
    exchange: BITSO,
    channel,
    time: ctx.receivedAt,
    risk: {
      level,
      unit: BITSO_UNIT,
      bands: resolveBands(exchangeBands, ctx.thresholds),
      totals: {
        currency: summary.currency,
        assets,
        liabilities,
        decimals: Math.max(writtenDecimals(summary.assets), writtenDecimals(summary.liabilities)),
      },
    },
    balances: summary.balances,
    balancesMode: 'replace',
    venueStatus: LIQUIDATING_STATUSES.has(summary.status) ? LIQUIDATED_BY_BITSO : null,
    details: [
      statusDetail(summary.status),
      decimalDetail('trading_power', 'Trading power', summary.tradingPower, summary.currency),
      ...summary.extraDetails,
    ],
  };
  if (warnings.length > 0) update.warnings = warnings;
  return { kind: 'update', update };
}

/**
 * Parses one Bitso message. Channel `account` carries the margin account summary (v1alpha as documented;
 * the v2alpha shape is accepted too). Other channels are ignored; an error body (Bitso's documented
 * `{"success": false, "error": {…}}` envelope or the `{"errors": […]}` shape) or anything malformed is a
 * WireError. Never throws.
 */
export function normalizeBitso(channel: string, payload: unknown, ctx: NormalizeContext): ParseOutcome {
  return guard(BITSO, channel, () => {
    if (channel !== ACCOUNT_CHANNEL) {
      return { kind: 'ignored', reason: `Bitso has no channel ${JSON.stringify(channel)}` };
    }
    if (isRecord(payload) && payload.success === false) {
      const parsed = parseWire(errorEnvelopeSchema, payload, BITSO, channel);
      if (!parsed.ok) return { kind: 'error', error: parsed.error };
      const { code, message } = parsed.data.error;
      const text = `${code}${message ? `: ${message}` : ''}`;
      return wireFailure(BITSO, channel, 'error', `Bitso answered with an error (${text})`);
    }
    if (isRecord(payload) && 'errors' in payload) {
      const parsed = parseWire(marginErrorSchema, payload, BITSO, channel);
      if (!parsed.ok) return { kind: 'error', error: parsed.error };
      const first = parsed.data.errors[0];
      const text = first ? `${first.code}${first.message ? `: ${first.message}` : ''}` : 'unknown error';
      return wireFailure(BITSO, channel, 'errors', `Bitso answered with an error (${text})`);
    }
    if (isV2(payload)) {
      const parsed = parseWire(accountV2Schema, payload, BITSO, channel);
      return parsed.ok ? toUpdate(fromV2(parsed.data), channel, ctx) : { kind: 'error', error: parsed.error };
    }
    const parsed = parseWire(accountV1Schema, payload, BITSO, channel);
    return parsed.ok ? toUpdate(fromV1(parsed.data), channel, ctx) : { kind: 'error', error: parsed.error };
  });
}
