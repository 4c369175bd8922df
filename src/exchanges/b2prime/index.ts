// B2Prime (B2BROKER prime brokerage): the exchange's module description, read by the proxy.
import type { ExchangeModule } from '../types.ts';
import { EXCHANGE_ID, FULL_BALANCE, LEVEL_UNIT, MARGIN_DATA, normalizeB2prime } from './normalize.ts';

/**
 * Streams are pushed by the exchange; how often is UNCONFIRMED, so 10 s is assumed (figures turn stale after
 * 3× this without a message).
 */
const ASSUMED_PUSH_MS = 10_000;

/** B2Prime: SignalR account streams `MarginData` and `FullBalance`; margin level = equity / used margin. */
export const b2prime: ExchangeModule = {
  id: EXCHANGE_ID,
  name: 'B2Prime',
  unit: LEVEL_UNIT,
  channels: [
    {
      id: MARGIN_DATA,
      description: 'Margin balance, unrealized PnL, equity, used and free margin, margin level (in RAT)',
      cadence: ASSUMED_PUSH_MS,
    },
    {
      id: FULL_BALANCE,
      description: 'Total, available and locked amount of every asset',
      cadence: ASSUMED_PUSH_MS,
    },
  ],
  normalize: normalizeB2prime,
  restPaths: ['frontoffice/api/v3/accounts', 'frontoffice/api/v3/assets'],
};
