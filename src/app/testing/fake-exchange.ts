// A small fake exchange for unit tests of the stores, hooks and views (no real exchange format involved), and a
// test proxy that reads its messages with the proxy's own reader into snapshot frames, sent through JSON and the
// browser's parser: what the views see in a test is what the proxy would send them.
// Messages: channel `risk` {level, liquidation?, caution?, assets?, debt?, note?, liquidatingBy?} (the last: the
// venue's name, reporting the account as being liquidated); channel `balances` {rows: [{currency, total,
// borrowed?}]}; anything else is ignored; a non-object is a malformed frame.
import type { AccountInfo } from '../../contract/accounts.ts';
import { readStreamFrame, type MarginFrame, type SnapshotFrameDto } from '../../contract/stream.ts';
import { parseDecimal, writtenDecimals } from '../../domain/decimal.ts';
import type { Band, CurrencyBalance } from '../../domain/model.ts';
import { resolveBands } from '../../domain/risk.ts';
import type { ExchangeModule, ParseOutcome } from '../../exchanges/types.ts';
import { describe, wireFailure } from '../../exchanges/wire-kit.ts';
import { MessageReader } from '../../proxy/accounts.ts';

function decimalField(
  exchange: string,
  channel: string,
  record: Record<string, unknown>,
  field: string,
): { ok: true; text: string } | { ok: false; outcome: ParseOutcome } | { ok: true; text: undefined } {
  const value = record[field];
  if (value === undefined) return { ok: true, text: undefined };
  if (typeof value === 'string' && parseDecimal(value) !== null) return { ok: true, text: value };
  return {
    ok: false,
    outcome: wireFailure(exchange, channel, field, `expected a decimal string, got ${describe(value)}`),
  };
}

/** A fake exchange module with id `id`; the `risk` channel ticks every second, `balances` is polled. */
export function fakeModule(id = 'fakex', name = 'FakeX'): ExchangeModule {
  return {
    id,
    name,
    unit: { name: 'Fake ratio', kind: 'ratio' },
    channels: [
      { id: 'risk', description: 'pushed every second', cadence: 1000 },
      { id: 'balances', description: 'polled', cadence: 'poll' },
    ],
    restPaths: ['balances'],
    defaultPollSeconds: 5,
    normalize(channel, payload, ctx): ParseOutcome {
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        return wireFailure(id, channel, '(message)', 'not valid JSON (malformed frame)');
      }
      const record = payload as Record<string, unknown>;
      if (channel === 'risk') {
        const level = decimalField(id, channel, record, 'level');
        if (!level.ok) return level.outcome;
        if (level.text === undefined) {
          return wireFailure(id, channel, 'level', 'expected a decimal string, got nothing (field missing)');
        }
        const bands: Band[] = [];
        for (const [field, kind] of [
          ['liquidation', 'liquidation'],
          ['caution', 'caution'],
        ] as const) {
          const f = decimalField(id, channel, record, field);
          if (!f.ok) return f.outcome;
          const threshold = f.text === undefined ? null : parseDecimal(f.text);
          if (threshold) bands.push({ kind, threshold, label: field, source: 'exchange' });
        }
        const levelValue = parseDecimal(level.text);
        if (!levelValue) return wireFailure(id, channel, 'level', 'not a decimal');
        const assets = typeof record.assets === 'string' ? parseDecimal(record.assets) : null;
        const debt = typeof record.debt === 'string' ? parseDecimal(record.debt) : null;
        const note = typeof record.note === 'string' ? record.note : undefined;
        const by = typeof record.liquidatingBy === 'string' ? record.liquidatingBy : undefined;
        return {
          kind: 'update',
          update: {
            accountId: ctx.accountId,
            exchange: id,
            channel,
            time: ctx.receivedAt,
            risk: {
              level: { kind: 'value', value: levelValue, text: level.text },
              unit: { name: 'Fake ratio', kind: 'ratio' },
              bands: resolveBands(bands, ctx.thresholds),
              ...(assets || debt
                ? {
                    totals: {
                      currency: 'USDT',
                      ...(assets ? { assets } : {}),
                      ...(debt ? { liabilities: debt } : {}),
                      decimals: 2,
                    },
                  }
                : {}),
            },
            ...(note
              ? { details: [{ key: 'note', label: 'Note', value: { kind: 'text', value: note } }] }
              : {}),
            venueStatus: by ? { kind: 'liquidating', text: `being liquidated by ${by}` } : null,
          },
        };
      }
      if (channel === 'balances') {
        const rows = record.rows;
        if (!Array.isArray(rows))
          return wireFailure(id, channel, 'rows', `expected an array, got ${describe(rows)}`);
        const balances: CurrencyBalance[] = [];
        for (const [i, row] of rows.entries()) {
          const r = row as Record<string, unknown>;
          const balance: CurrencyBalance = { currency: String(r.currency), decimals: 0 };
          for (const key of ['total', 'available', 'borrowed'] as const) {
            const text = r[key];
            if (text === undefined) continue;
            const value = typeof text === 'string' ? parseDecimal(text) : null;
            if (!value || typeof text !== 'string') {
              return wireFailure(
                id,
                channel,
                `rows[${i}].${key}`,
                `expected a decimal string, got ${describe(text)}`,
              );
            }
            balance[key] = value;
            balance.decimals = Math.max(balance.decimals, writtenDecimals(text));
          }
          balances.push(balance);
        }
        return {
          kind: 'update',
          update: { accountId: ctx.accountId, exchange: id, channel, time: ctx.receivedAt, balances },
        };
      }
      return { kind: 'ignored', reason: `channel ${channel} carries nothing for the margin view` };
    },
  };
}

/** A message an exchange sent for an account: the test proxy turns it into the account's snapshot frame. */
export interface ExchangeMessage {
  type: 'exchange-message';
  accountId: string;
  channel: string;
  payload: unknown;
  receivedAt: number;
}

/** What a test hands the stores: a stream frame, or an exchange message for the test proxy to read first. */
export type TestFrame = MarginFrame | ExchangeMessage;

/** A message of the fake (or any) exchange for `accountId`. */
export function messageFrame(
  accountId: string,
  channel: string,
  payload: unknown,
  receivedAt: number,
): ExchangeMessage {
  return { type: 'exchange-message', accountId, channel, payload, receivedAt };
}

/** A `risk` message with a level and a liquidation line. */
export function riskFrame(
  accountId: string,
  level: string,
  receivedAt: number,
  liquidation = '1.1',
): ExchangeMessage {
  return messageFrame(accountId, 'risk', { level, liquidation, caution: '1.5' }, receivedAt);
}

/**
 * The proxy's reading for tests: each exchange message is read by the proxy's MessageReader with the account's
 * exchange module (the first module for an account it was not told about), and the snapshot frame built from it
 * goes through JSON and the browser's parser. Messages that carry nothing for the margin view give no frame.
 */
export class TestProxy {
  private readonly reader: MessageReader;
  private readonly accounts = new Map<string, AccountInfo>();

  constructor(
    private readonly modules: readonly ExchangeModule[] = [fakeModule()],
    accounts: readonly AccountInfo[] = [],
  ) {
    this.reader = new MessageReader((exchange) => this.modules.find((m) => m.id === exchange));
    for (const account of accounts) this.accounts.set(account.id, account);
  }

  /** The snapshot frame the proxy sends for an exchange message (as it goes on the wire); null for none. */
  wire(message: ExchangeMessage): SnapshotFrameDto | null {
    const info = this.accounts.get(message.accountId);
    const account = {
      id: message.accountId,
      exchange: info?.exchange ?? this.modules[0]?.id ?? 'fakex',
      ...(info?.thresholds ? { thresholds: info.thresholds } : {}),
      ...(info?.pollSeconds !== undefined ? { pollSeconds: info.pollSeconds } : {}),
    };
    return this.reader.read(account, message.channel, message.payload, message.receivedAt).frame;
  }

  /** The frames the browser receives for `items`, in order, as its parser reads them. */
  frames(...items: TestFrame[]): MarginFrame[] {
    return items.flatMap((item) => {
      if (item.type !== 'exchange-message') return [item];
      const frame = this.wire(item);
      if (!frame) return [];
      const parsed = readStreamFrame(JSON.parse(JSON.stringify(frame)));
      if (!parsed || parsed.type === 'alert') throw new Error('the browser could not read a snapshot frame');
      return [parsed];
    });
  }
}

/** An account as /api/accounts would list it. */
export function accountInfo(
  id: string,
  exchange = 'fakex',
  label = id,
  exchangeName = exchange === 'fakex' ? 'FakeX' : exchange,
): AccountInfo {
  return { id, exchange, exchangeName, label };
}
