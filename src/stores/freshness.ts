// How trustworthy an account's figures are right now. Old numbers are never presented as live.
import type { ExchangeModule } from '../exchanges/types.ts';
import type { SocketStatus } from '../app/transport/stream-socket.ts';
import type { AccountState } from './exchange-store.ts';

/** Figures older than this many expected intervals are stale. */
export const STALE_FACTOR = 3;
/** Expected interval when a channel's cadence is unknown. */
export const FALLBACK_CADENCE_MS = 60_000;

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

/** How often `channel` is expected to publish for an account, in ms. */
export function cadenceMs(module: ExchangeModule, channel: string, pollSeconds: number | undefined): number {
  const info = module.channels.find((c) => c.id === channel);
  if (info) {
    if (info.cadence !== 'poll') return info.cadence;
    const seconds = pollSeconds ?? module.defaultPollSeconds;
    return seconds !== undefined && seconds > 0 ? seconds * 1000 : FALLBACK_CADENCE_MS;
  }
  if (module.drillDownRest?.channel === channel) return module.drillDownRest.refetchMs;
  return FALLBACK_CADENCE_MS;
}

/** Age past which the account's figures are stale, ms; based on the channel that last delivered the headline. */
export function staleAfterMs(module: ExchangeModule, account: AccountState | undefined): number {
  const channel = account?.lastGood?.channel;
  if (channel !== undefined) return STALE_FACTOR * cadenceMs(module, channel, account?.pollSeconds);
  const fastest = Math.min(...module.channels.map((c) => cadenceMs(module, c.id, account?.pollSeconds)));
  return STALE_FACTOR * (Number.isFinite(fastest) ? fastest : FALLBACK_CADENCE_MS);
}

/** True when the account's figures are older than STALE_FACTOR × their channel's cadence at `now` (proxy clock). */
export function figuresOld(module: ExchangeModule, account: AccountState | undefined, now: number): boolean {
  const since = account?.lastGood?.at;
  return since !== undefined && now - since > staleAfterMs(module, account);
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
  module: ExchangeModule,
  account: AccountState | undefined,
  socket: SocketView,
  now: number,
  clockKnown = true,
): Freshness {
  return classifyFreshness(account, socket, figuresOld(module, account, now), clockKnown);
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
