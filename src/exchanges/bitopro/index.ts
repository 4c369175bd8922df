// BitoPro: description of the exchange (channels, unit, parser, read-only REST paths).
import type { ExchangeModule } from '../types.ts';
import {
  ACCOUNT_INFO_CHANNEL,
  AD_RATIO_UNIT,
  BALANCES_CHANNEL,
  BITOPRO,
  normalizeBitopro,
} from './normalize.ts';

/** How often the proxy polls GET /margin/balances by default (the auth API allows 600 requests/min). */
export const BITOPRO_DEFAULT_POLL_SECONDS = 15;

/** BitoPro margin: AD ratio from the private account stream, balances from the polled REST endpoint. */
export const bitopro: ExchangeModule = {
  id: BITOPRO,
  name: 'BitoPro',
  unit: AD_RATIO_UNIT,
  channels: [
    {
      id: ACCOUNT_INFO_CHANNEL,
      description:
        'Private WebSocket stream /ws/v1/pub/auth/margin/account-info (MARGIN_BALANCE_INFO): AD ratio, totals, borrowed and interest per currency',
      // The push frequency is not documented; 30 s keeps a quiet but healthy stream from looking stale too soon.
      cadence: 30_000,
    },
    {
      id: BALANCES_CHANNEL,
      description:
        'GET /margin/balances polled by the proxy: AD ratio, totals and full balances per currency',
      cadence: 'poll',
    },
  ],
  normalize: normalizeBitopro,
  restPaths: ['margin/balances', 'margin/mark-price', 'margin/provisioning/borrow'],
  defaultPollSeconds: BITOPRO_DEFAULT_POLL_SECONDS,
};
