// Fixtures for the webhook tests: an alert event and webhook URLs shaped like real ones (fake secrets).
import type { AlertEvent } from '../engine.ts';

export const SLACK_URL = 'https://hooks.slack.com/services/T000FAKE/B000FAKE/notarealsecretatall';
export const TELEGRAM_URL =
  'https://api.telegram.org/bot123456:FAKE-token-not-real/sendMessage?chat_id=-1001234';

export const EVENT: AlertEvent = {
  id: 'a1',
  accountId: 'bitso-demo',
  exchange: 'bitso',
  rule: 'zone-worse',
  kind: 'fired',
  level: '1.08',
  zone: 'liquidation',
  cushion: '-0.01851852',
  message: 'Bitso (demo): entered Liquidation — level 1.08, below the liquidation line 1.1',
  at: Date.UTC(2026, 10, 21, 5, 47, 3),
};
