// The user's alert preferences in this browser (notifications, sound), kept in localStorage. One per page,
// created at startup and provided by context (hooks/alert-stores-context.tsx); tests make their own.
import { createStore, type StoreApi } from 'zustand/vanilla';

export interface AlertPrefs {
  /** Show browser notifications (permission is asked when this is turned on). */
  notifications: boolean;
  /** Beep on new alerts (off by default). */
  sound: boolean;
}

export interface AlertPrefsStore {
  readonly state: StoreApi<AlertPrefs>;
  /** Changes preferences and remembers them. */
  readonly set: (change: Partial<AlertPrefs>) => void;
}

/** Where the preferences are kept (localStorage). */
export const PREFS_KEY = 'margin-watch.alert-prefs';
const DEFAULT_PREFS: AlertPrefs = { notifications: false, sound: false };

/** Where preferences are kept; read lazily, as a browser may refuse access to storage. */
export type LocalStorageSource = () => Pick<Storage, 'getItem' | 'setItem'> | undefined;

function loadPrefs(storage: LocalStorageSource): AlertPrefs {
  try {
    const raw = storage()?.getItem(PREFS_KEY);
    if (!raw) return DEFAULT_PREFS;
    const value = JSON.parse(raw) as Partial<Record<keyof AlertPrefs, unknown>>;
    return { notifications: value.notifications === true, sound: value.sound === true };
  } catch {
    return DEFAULT_PREFS;
  }
}

/** The preferences remembered in `storage` (localStorage by default), or the defaults. */
export function createAlertPrefs(
  storage: LocalStorageSource = () => globalThis.localStorage,
): AlertPrefsStore {
  const state = createStore<AlertPrefs>()(() => loadPrefs(storage));
  return {
    state,
    set: (change) => {
      state.setState(change);
      try {
        storage()?.setItem(PREFS_KEY, JSON.stringify(state.getState()));
      } catch {
        // private mode or storage full: the preference lasts for this page only
      }
    },
  };
}
