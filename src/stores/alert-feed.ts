// The alerts that arrived on the stream since the page loaded, and the ones the user dismissed from the banner.
// Dismissals are kept for the browser tab's session (a reload keeps them, a new tab not). One feed per page,
// created at startup and provided by context (hooks/alert-stores-context.tsx); tests make their own.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Alert } from '../contract/alerts.ts';

export interface AlertFeedState {
  /** Alerts received on the stream since the page loaded, oldest first (at most 200). */
  live: Alert[];
  /** Ids the user dismissed from the banner. */
  dismissed: Record<string, true>;
}

export interface AlertFeed {
  readonly state: StoreApi<AlertFeedState>;
  /** Adds an alert that arrived on the stream (once per id). */
  readonly received: (alert: Alert) => void;
  /** Hides alerts from the banner, and remembers that for the tab's session. */
  readonly dismiss: (ids: readonly string[]) => void;
}

const MAX_LIVE = 200;

/** Where the banner's dismissals are kept (sessionStorage). */
export const DISMISSED_KEY = 'margin-watch.dismissed-alerts';
/** Dismissed ids remembered at most (the oldest are forgotten first). */
const MAX_DISMISSED = 500;

/** Where dismissals are kept; read lazily, as a browser may refuse access to storage. */
export type SessionStorageSource = () => Pick<Storage, 'getItem' | 'setItem'> | undefined;

function loadDismissed(storage: SessionStorageSource): Record<string, true> {
  try {
    const raw = storage()?.getItem(DISMISSED_KEY);
    const ids: unknown = raw ? JSON.parse(raw) : [];
    const dismissed: Record<string, true> = {};
    if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string') dismissed[id] = true;
    return dismissed;
  } catch {
    return {};
  }
}

function saveDismissed(storage: SessionStorageSource, dismissed: Readonly<Record<string, true>>): void {
  try {
    storage()?.setItem(DISMISSED_KEY, JSON.stringify(Object.keys(dismissed).slice(-MAX_DISMISSED)));
  } catch {
    // storage unavailable or full: dismissals last for this page only
  }
}

/** A feed with no live alerts yet; dismissals come back from `storage` (the tab's sessionStorage by default). */
export function createAlertFeed(storage: SessionStorageSource = () => globalThis.sessionStorage): AlertFeed {
  const state = createStore<AlertFeedState>()(() => ({ live: [], dismissed: loadDismissed(storage) }));
  return {
    state,
    received: (alert) => {
      state.setState((s) =>
        s.live.some((a) => a.id === alert.id) ? s : { live: [...s.live, alert].slice(-MAX_LIVE) },
      );
    },
    dismiss: (ids) => {
      state.setState((s) => {
        const dismissed = { ...s.dismissed };
        for (const id of ids) dismissed[id] = true;
        return { dismissed };
      });
      saveDismissed(storage, state.getState().dismissed);
    },
  };
}
