// The browser's own connection to the proxy, and the proxy's clock as seen from here.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { SocketStatus } from '../transport/stream-socket.ts';

export type { SocketStatus };

/** The browser's own connection to the proxy. */
export interface ConnectionState {
  socket: SocketStatus;
  /** Proxy clock minus browser clock (ms), from the proxy's pings; ages are computed on the proxy's clock. */
  clockOffsetMs: number;
  /**
   * True once a ping told the proxy's time (the proxy sends one as soon as a browser connects). Until then no
   * age can be trusted, so no figure is called live or stale.
   */
  clockKnown: boolean;
  /** Frames the client could not read. */
  invalidFrames: number;
}

export type ConnectionStore = StoreApi<ConnectionState>;

/** A fresh connection store (before the first connection). */
export function createConnectionStore(): ConnectionStore {
  return createStore<ConnectionState>()(() => ({
    socket: { phase: 'connecting', attempt: 0 },
    clockOffsetMs: 0,
    clockKnown: false,
    invalidFrames: 0,
  }));
}

/** Offsets below this are network jitter, not worth a commit. */
const OFFSET_TOLERANCE_MS = 250;

/** Events that change the connection store. */
export const connectionEvents = {
  socketChanged(store: ConnectionStore, socket: SocketStatus): void {
    store.setState({ socket });
  },
  /**
   * The proxy said what time it is (`at`): the first time, the clock becomes known; later, the clock difference
   * is remembered when it moved noticeably.
   */
  proxyTimeSeen(store: ConnectionStore, proxyAt: number, localNow: number = Date.now()): void {
    const offset = proxyAt - localNow;
    const state = store.getState();
    if (!state.clockKnown) store.setState({ clockOffsetMs: offset, clockKnown: true });
    else if (Math.abs(offset - state.clockOffsetMs) > OFFSET_TOLERANCE_MS)
      store.setState({ clockOffsetMs: offset });
  },
  invalidFrame(store: ConnectionStore): void {
    store.setState((s) => ({ invalidFrames: s.invalidFrames + 1 }));
  },
};
