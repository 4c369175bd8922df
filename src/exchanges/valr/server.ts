// VALR server module (proxy only): credentials, signing, the upstream session, the simulator and the demo account.
import { z } from 'zod';
import type { ExchangeServerModule } from '../server-types.ts';
import { signRest } from './sign.ts';
import { startValrSimulator } from './simulator.ts';
import { valrTicker } from './ticker.ts';
import { VALR_ACCOUNT_WS, VALR_REST, createValrUpstream } from './upstream.ts';

/** VALR: API key and secret; an optional sub-account the key acts for (X-VALR-SUB-ACCOUNT-ID). */
export const server: ExchangeServerModule = {
  id: 'valr',
  defaultEndpoints: { rest: VALR_REST, ws: VALR_ACCOUNT_WS },
  credentials: z.strictObject({
    apiKey: z.string().min(1, { error: 'apiKey must not be empty' }),
    apiSecret: z.string().min(1, { error: 'apiSecret must not be empty' }),
  }),
  accountOptions: {
    /** Empty or absent: the key acts for its own account. Never set it with a sub-account-scoped key. */
    subaccountId: z
      .string()
      .max(64)
      .regex(/^[A-Za-z0-9-]*$/, { error: 'subaccountId must be letters, digits or dashes' })
      .optional(),
  },
  // 2000 calls/min per API key and 1200/min per IP; a poll reads the margin status and the balances.
  requestBudget: {
    limits: [
      { perMinute: 2_000, scope: 'key' },
      { perMinute: 1_200, scope: 'ip' },
    ],
    requestsPerPoll: 2,
    keyField: 'apiKey',
  },
  signRest,
  // The key is masked in logs too: it identifies the account.
  secretFields: ['apiKey', 'apiSecret'],
  createUpstream: (deps) => createValrUpstream(deps),
  startSimulator: startValrSimulator,
  demoAccount: {
    id: 'valr-demo',
    label: 'VALR margin (demo)',
    credentials: { apiKey: 'demo-valr-key', apiSecret: 'demo-valr-secret-not-real' },
    options: { subaccountId: '' },
  },
  ticker: valrTicker,
  priceMoves: {
    kind: 'unavailable',
    reason:
      'VALR does not publish how it works out the margin fraction, and its own example shows it is not simply collateral divided by exposure, so how far a price can move before a margin call or liquidation cannot be worked out honestly.',
  },
};
