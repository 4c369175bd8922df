// Feeds the alert service from the proxy's wire messages: each message is normalized with the account's
// exchange module (as the history recorder does) and folded into the account's snapshot; every update is handed
// to the service. Rejected and ignored messages change nothing (stale data is the stale rule's business).
import type { MarginSnapshot } from '../../domain/model.ts';
import { applyUpdate } from '../../domain/risk.ts';
import type { Logger } from '../../exchanges/server-types.ts';
import type { NormalizeContext } from '../../exchanges/types.ts';
import type { AccountNormalizer } from '../history/recorder.ts';
import type { AlertService } from './service.ts';

export interface AlertFeedOptions {
  service: Pick<AlertService, 'onSnapshot'>;
  /** The account's normalizer (`normalizersFor(config.accounts)` from the history recorder). */
  normalizeFor(accountId: string): AccountNormalizer | undefined;
  log?: Logger;
}

export interface AlertFeed {
  /** One wire message of an account (the AccountManager's message hook). Never throws. */
  message(accountId: string, channel: string, payload: unknown, receivedAt: number): void;
  /** The account's current snapshot, if any data arrived. */
  snapshotOf(accountId: string): MarginSnapshot | undefined;
}

/** Creates the feed; wire it with `accounts.onMessage((m) => feed.message(m.account.id, m.channel, m.payload, m.receivedAt))`. */
export function createAlertFeed(options: AlertFeedOptions): AlertFeed {
  const snapshots = new Map<string, MarginSnapshot>();
  return {
    message(accountId, channel, payload, receivedAt) {
      const normalizer = options.normalizeFor(accountId);
      if (!normalizer) return;
      try {
        const ctx: NormalizeContext = { accountId, receivedAt };
        if (normalizer.thresholds) ctx.thresholds = normalizer.thresholds;
        const outcome = normalizer.normalize(channel, payload, ctx);
        if (outcome.kind !== 'update') return;
        const snapshot = applyUpdate(snapshots.get(accountId), outcome.update);
        snapshots.set(accountId, snapshot);
        options.service.onSnapshot(accountId, snapshot);
      } catch (err) {
        options.log?.error('alerts: evaluating a message failed', { accountId, channel, error: err });
      }
    },
    snapshotOf(accountId) {
      return snapshots.get(accountId);
    },
  };
}
