// How trustworthy an account's figures are right now. Old numbers are never presented as live.
import type { SocketStatus } from '../transport/stream-socket.ts';
import type { AccountState } from './snapshot-store.ts';

/** What the figures on a card are worth right now (see classifyFreshness for the order). */
export type FreshnessKind =
  | 'live'
  | 'starting'
  | 'stale'
  | 'waiting'
  | 'offline'
  | 'connecting'
  | 'reconnecting'
  | 'auth_failed'
  | 'error'
  | 'proxy-stale'
  | 'rejected';

/** A card's freshness, with the age anchor and the reason in words. */
export interface Freshness {
  kind: FreshnessKind;
  /** True only when the figures are current. */
  live: boolean;
  /** When the figures shown were received (proxy clock, ms epoch); null before any. */
  since: number | null;
  /** The proxy's (or the connection's) reason, when there is one. */
  reason?: string;
}

/**
 * True when the account's figures are older than the proxy says they may be at `now` (proxy clock): 3× the
 * expected interval of the channel that delivered them (see the snapshot frame's `lastGood`).
 */
export function figuresOld(account: AccountState | undefined, now: number): boolean {
  const lastGood = account?.lastGood;
  return lastGood != null && now - lastGood.at > lastGood.staleAfterMs;
}

/** The browser's connection as freshness needs it; `attempt` 0 while connecting means the very first attempt. */
export type SocketView = Pick<SocketStatus, 'phase' | 'reason'> & { attempt?: number };

/** The reason given while the proxy's clock is not known yet. */
export const CHECKING_CLOCK = 'checking its clock';

/**
 * Classifies an account's figures. In order: the browser's own connection (`starting` during the very first
 * attempt, else `offline`), the proxy's word on the upstream session, whether there are figures at all, whether
 * the proxy's clock is known (`starting` until its first ping: no age can be judged before), their age (`old`,
 * see figuresOld), and a rejected newer message.
 */
export function classifyFreshness(
  account: AccountState | undefined,
  socket: SocketView,
  old: boolean,
  clockKnown = true,
): Freshness {
  const since = account?.lastGood?.at ?? null;
  const dated = (kind: FreshnessKind, reason?: string): Freshness => {
    const f: Freshness = { kind, live: false, since };
    if (reason) f.reason = reason;
    return f;
  };
  if (socket.phase === 'connecting' && socket.attempt === 0) return dated('starting');
  if (socket.phase !== 'open') return dated('offline', socket.reason);
  const status = account?.status;
  if (status) {
    switch (status.state) {
      case 'reconnecting':
      case 'auth_failed':
      case 'error':
        return dated(status.state, status.detail);
      case 'stale':
        return dated('proxy-stale', status.detail);
      case 'connecting':
      case 'live':
        break;
    }
  }
  if (since === null) return dated('waiting', status?.detail);
  if (!clockKnown) return dated('starting', CHECKING_CLOCK);
  if (old) return dated('stale');
  if (status?.state === 'connecting') return dated('connecting', status.detail);
  const rejection = account?.rejection;
  if (rejection && rejection.recoveredAt === null && rejection.at >= since) return dated('rejected');
  return { kind: 'live', live: true, since };
}

/** The freshness of an account at `now` (proxy clock); `clockKnown` false: the proxy's clock is not known yet. */
export function freshnessOf(
  account: AccountState | undefined,
  socket: SocketView,
  now: number,
  clockKnown = true,
): Freshness {
  return classifyFreshness(account, socket, figuresOld(account, now), clockKnown);
}

/**
 * Kinds in which an account has no current figures for a lasting reason: old, refused, failing, not there yet,
 * or the proxy out of reach. Brief states (starting, connecting, reconnecting, one rejected message) are not.
 */
const WITHOUT_CURRENT_FIGURES: ReadonlySet<FreshnessKind> = new Set<FreshnessKind>([
  'stale',
  'proxy-stale',
  'auth_failed',
  'error',
  'waiting',
  'offline',
]);

/**
 * True when the account has no current figures (see WITHOUT_CURRENT_FIGURES): the overview ranks it first by
 * risk and the summary counts it apart, never as if its last zone still held.
 */
export function lacksCurrentFigures(freshness: Freshness): boolean {
  return WITHOUT_CURRENT_FIGURES.has(freshness.kind);
}
