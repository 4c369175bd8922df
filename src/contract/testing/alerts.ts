// Test support: alert builders (the contract's shape) for the tests of every browser layer and of the contract.
import type { Alert } from '../alerts.ts';

/** An alert with sensible defaults; `n` makes the id. */
export function makeAlert(n: number, at: number, over: Partial<Alert> = {}): Alert {
  return {
    id: `a${n}`,
    accountId: 'bitso-demo',
    exchange: 'bitso',
    rule: 'zone-worse',
    kind: 'fired',
    level: '1.08',
    zone: 'liquidation',
    cushion: '-0.01851852',
    message: `Bitso (demo): alert ${n}`,
    at,
    ...over,
  };
}
