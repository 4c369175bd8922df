// B2Prime's proxy-only half: credentials, account options, REST authentication, upstream and simulator.
import { z } from 'zod';
import { Dec } from '../../domain/decimal.ts';
import type { ExchangeServerModule } from '../server-types.ts';
import { bearerHeaders, credentialsSchema } from './sign.ts';
import { DEMO_LEVELS, startB2primeSimulator } from './simulator.ts';
import { checkB2primeThresholds } from './thresholds.ts';
import { createB2primeUpstream } from './upstream.ts';

/** The account id B2Prime's streams take as `arguments[0]`: 24 hex digits (GET /frontoffice/api/v3/accounts). */
export const accountIdSchema = z
  .string()
  .regex(/^[0-9a-f]{24}$/i, 'accountId must be 24 hex digits, as listed by GET /frontoffice/api/v3/accounts');

/**
 * B2Prime has no public host: every deployment has its own. These `.invalid` placeholders never resolve, and
 * the upstream reports "set endpoints.rest …" instead of connecting.
 */
export const PLACEHOLDER_ENDPOINTS = {
  rest: 'https://your-b2prime-host.invalid',
  ws: 'wss://your-b2prime-host.invalid/frontoffice/ws/v3/account',
} as const;

/** A simulator ratio as B2Prime writes a line: in percent ("1" → "100"). */
function percentOf(ratio: number): string {
  return new Dec(ratio).times(100).toFixed();
}

export const server: ExchangeServerModule = {
  id: 'b2prime',
  defaultEndpoints: PLACEHOLDER_ENDPOINTS,
  credentials: credentialsSchema,
  accountOptions: { accountId: accountIdSchema },
  checkThresholds: checkB2primeThresholds,
  signRest(_req, account) {
    return bearerHeaders(account.credentials.accessToken ?? '');
  },
  secretFields: ['accessToken'],
  createUpstream: (deps) => createB2primeUpstream(deps),
  startSimulator: startB2primeSimulator,
  demoAccount: {
    id: 'b2prime-demo',
    label: 'B2Prime (demo)',
    credentials: { accessToken: 'demo-b2prime-token-not-real' },
    thresholds: {
      marginCall: percentOf(DEMO_LEVELS.marginCall),
      liquidation: percentOf(DEMO_LEVELS.liquidation),
    },
    options: { accountId: '67d0456f8c7b1108e4cf5d46' },
  },
  priceMoves: {
    kind: 'unavailable',
    reason:
      "B2Prime's account feed does not say which positions hold the margin, so Margin Watch cannot tell how a price move would change the margin level.",
  },
};
