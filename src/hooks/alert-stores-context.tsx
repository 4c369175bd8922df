// Makes the page's alert stores (the live feed and this browser's preferences) available to hooks, like the
// margin stores; tests provide their own.
import { createContext, useContext, useState, type ReactNode } from 'react';
import { createAlertFeed, type AlertFeed } from '../stores/alert-feed.ts';
import { createAlertPrefs, type AlertPrefsStore } from '../stores/alert-prefs.ts';

export interface AlertStores {
  feed: AlertFeed;
  prefs: AlertPrefsStore;
}

/** The stores of one page: dismissals from sessionStorage, preferences from localStorage. */
export function createAlertStores(): AlertStores {
  return { feed: createAlertFeed(), prefs: createAlertPrefs() };
}

const AlertStoresContext = createContext<AlertStores | null>(null);

/** Provides `stores`, or stores made once for this provider when none are given. */
export function AlertStoresProvider({ stores, children }: { stores?: AlertStores; children: ReactNode }) {
  const [own] = useState(() => stores ?? createAlertStores());
  return <AlertStoresContext value={stores ?? own}>{children}</AlertStoresContext>;
}

/** The page's alert stores; throws outside the provider (a programming error). */
export function useAlertStores(): AlertStores {
  const stores = useContext(AlertStoresContext);
  if (!stores) throw new Error('useAlertStores needs an <AlertStoresProvider>');
  return stores;
}
