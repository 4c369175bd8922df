// The watchdog of one connection: tells a silent connection from a live one, watches each data channel against
// its own cadence (asking again once before giving up on it), and says when the connection must be replaced.
import { formatDuration } from '../../domain/format.ts';
import type { Logger } from '../server-types.ts';

/** A data channel the exchange pushes at a known cadence, watched on its own (keep-alives do not count). */
export interface DataChannel {
  name: string;
  /** The exchange's push interval (ms). */
  cadenceMs: number;
  /** Pushes missed before the channel counts as quiet (default 3). */
  missedBeats?: number;
}

/** What the watchdog reads of the reconnecting loop's options (ReconnectOptions in ./reconnecting.ts). */
export interface WatchOptions {
  deps: { log: Pick<Logger, 'warn'> };
  staleAfterMs: number;
  deadAfterMs: number;
  channels?: readonly DataChannel[];
  firstDataWithinMs?: number;
}

/** Quiet window of a watched channel (ms). */
export function quietAfterMs(channel: DataChannel): number {
  return channel.cadenceMs * (channel.missedBeats ?? 3);
}

/** The watchdog of one connection: what it has delivered, per channel, and whether it should be replaced. */
export interface Watch {
  /** A status to show now, or undefined when the session has not delivered data yet. */
  status(): { state: 'live' | 'stale'; detail?: string } | undefined;
  /** Why the connection must be replaced, or undefined. Resubscribes quiet channels first. */
  check(): string | undefined;
}

export function connectionWatch(
  options: WatchOptions,
  now: () => number,
  state: { opened: number; lastAlive: number; firstData?: number; resubscribe?: (channel: string) => void },
  lastData: Map<string, number>,
  resubscribedAt: Map<string, number>,
): Watch {
  const channels = options.channels ?? [];
  return {
    status() {
      if (state.firstData === undefined) return undefined;
      const t = now();
      const silent = t - state.lastAlive;
      if (silent >= options.staleAfterMs) {
        return { state: 'stale', detail: `no data for over ${formatDuration(options.staleAfterMs)}` };
      }
      for (const channel of channels) {
        const window = quietAfterMs(channel);
        if (t - (lastData.get(channel.name) ?? state.opened) < window) continue;
        const asked = resubscribedAt.has(channel.name) ? '; subscribed again' : '';
        return { state: 'stale', detail: `no ${channel.name} for over ${formatDuration(window)}${asked}` };
      }
      return { state: 'live' };
    },
    check() {
      const t = now();
      const silent = t - state.lastAlive;
      if (silent >= options.deadAfterMs) return `no data for ${formatDuration(silent)}; connection replaced`;
      const firstWithin = options.firstDataWithinMs;
      if (state.firstData === undefined && firstWithin !== undefined && t - state.opened >= firstWithin) {
        return `connected, but no data for ${formatDuration(t - state.opened)}; connection replaced`;
      }
      for (const channel of channels) {
        const quiet = t - (lastData.get(channel.name) ?? state.opened);
        const window = quietAfterMs(channel);
        if (quiet < window) continue;
        const askedAt = resubscribedAt.get(channel.name);
        if (askedAt === undefined && state.resubscribe) {
          resubscribedAt.set(channel.name, t);
          options.deps.log.warn('upstream channel quiet; subscribing again', {
            channel: channel.name,
            quietMs: quiet,
          });
          state.resubscribe(channel.name);
          continue;
        }
        if (askedAt === undefined || t - askedAt >= window) {
          const again = askedAt === undefined ? '' : ', also after subscribing again';
          return `no ${channel.name} for ${formatDuration(quiet)}${again}; connection replaced`;
        }
      }
      return undefined;
    },
  };
}
