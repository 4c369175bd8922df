// VALR exchange module: channels, units and the parser the proxy reads every message with.
import type { ExchangeModule } from '../types.ts';
import {
  ACCOUNT_CHANNEL,
  ACCOUNT_STATUS_CHANNEL,
  BALANCES_CHANNEL,
  VALR_ID,
  VALR_UNIT,
  normalizeValr,
} from './normalize.ts';

/** Balances path polled by the proxy. */
export const VALR_BALANCES_PATH = 'v1/account/balances';
/** Margin account status path (`inLiquidation`), polled by the proxy with the balances. */
export const VALR_ACCOUNT_STATUS_PATH = 'v1/margin/account/status';

/** VALR: margin fraction pushed on the account WebSocket every 5 s; balances polled over REST. */
export const valr: ExchangeModule = {
  id: VALR_ID,
  name: 'VALR',
  unit: VALR_UNIT,
  channels: [
    {
      id: ACCOUNT_CHANNEL,
      description: 'Account WebSocket (/ws/account): MARGIN_INFO every 5 s; other account events are ignored',
      cadence: 5000,
    },
    {
      id: BALANCES_CHANNEL,
      description: 'Per-currency balances (GET /v1/account/balances), polled',
      cadence: 'poll',
    },
    {
      id: ACCOUNT_STATUS_CHANNEL,
      description:
        'Whether VALR is liquidating the account (GET /v1/margin/account/status), polled with the balances',
      cadence: 'poll',
    },
  ],
  normalize: normalizeValr,
  restPaths: [VALR_BALANCES_PATH, 'v2/margin/status', VALR_ACCOUNT_STATUS_PATH],
  defaultPollSeconds: 15,
};
