// Bitso: the exchange's module description. The margin API has no private stream, so the proxy polls
// GET /margin_trading/v1alpha/account and publishes each body on the `account` channel.
import type { ExchangeModule } from '../types.ts';
import { ACCOUNT_CHANNEL, BITSO, BITSO_UNIT, normalizeBitso } from './normalize.ts';

/** The REST path the proxy polls (relative to the REST base, no leading slash). */
export const ACCOUNT_PATH = 'margin_trading/v1alpha/account';

/** Bitso's margin trading module. */
export const bitso: ExchangeModule = {
  id: BITSO,
  name: 'Bitso',
  unit: BITSO_UNIT,
  channels: [
    {
      id: ACCOUNT_CHANNEL,
      description: 'Margin account summary (GET /margin_trading/v1alpha/account), polled by the proxy',
      cadence: 'poll',
    },
  ],
  normalize: normalizeBitso,
  restPaths: [
    ACCOUNT_PATH,
    'margin_trading/v1alpha/currencies',
    'margin_trading/v1alpha/movements',
    'margin_trading/v1alpha/loans',
  ],
  // 12 requests a minute, far below the 300/min private limit.
  defaultPollSeconds: 5,
};
