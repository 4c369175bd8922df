// Every exchange's documented messages, read by the proxy and sent as snapshot frames, reach the browser's parser
// as the same snapshot: the two halves of the stream agree on real data, not only on hand-made frames.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStreamFrame } from '../contract/stream.ts';
import { exchangeById } from '../exchanges/registry.ts';
import { MessageReader } from './accounts.ts';

const fixture = (exchange: string, file: string): unknown =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../exchanges', exchange, 'fixtures', file), 'utf8'));

const cases: [exchange: string, messages: [channel: string, file: string][]][] = [
  [
    'bitopro',
    [
      ['balances', 'rest-margin-balances.json'],
      ['account-info', 'ws-margin-account-info.json'],
    ],
  ],
  ['bitso', [['account', 'margin-account.json']]],
  [
    'b2prime',
    [
      ['MarginData', 'margin-data-message.json'],
      ['FullBalance', 'full-balance-message.json'],
    ],
  ],
  [
    'valr',
    [
      ['account', 'margin-info.json'],
      ['balances', 'balances-constructed.json'],
      ['account-status', 'account-status-constructed.json'],
    ],
  ],
];

/**
 * Decimals as their exact text, the rest as is; without `netDerived`, the proxy's own note on how to merge later
 * partial balance updates, which does not travel.
 */
const plain = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === 'netDerived' ? undefined : v))) as unknown;

describe('snapshot frames of real exchange messages', () => {
  it.each(cases)('%s: the browser reads what the proxy read', (exchange, messages) => {
    const reader = new MessageReader(exchangeById);
    const account = { id: `${exchange}-main`, exchange };
    let at = 1_700_000_000_000;
    for (const [channel, file] of messages) {
      at += 1000;
      const reading = reader.read(account, channel, fixture(exchange, file), at);
      expect(reading.outcome.kind, `${channel} ${file}`).toBe('update');
      const frame = parseStreamFrame(JSON.stringify(reading.frame));
      expect(frame?.type).toBe('snapshot');
      if (frame?.type !== 'snapshot') return;
      expect(plain(frame.snapshot)).toEqual(plain(reading.snapshot));
      // Every amount is a Decimal again, exactly as the proxy had it.
      const level = frame.snapshot?.level;
      const proxyLevel = reading.snapshot?.level;
      if (level?.kind === 'value' && proxyLevel?.kind === 'value') {
        expect(level.value.eq(proxyLevel.value)).toBe(true);
      }
      expect(frame.receivedAt).toBe(at);
    }
  });
});
