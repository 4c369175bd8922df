// Makes the app's stores available to hooks; tests provide their own (fed by the proxy's reader, app/testing).
import { createContext, useContext, type ReactNode } from 'react';
import type { MarginStores } from '../stores/margin-stores.ts';

const MarginStoresContext = createContext<MarginStores | null>(null);

/** Provides the stores created once at startup. */
export function MarginStoresProvider({ stores, children }: { stores: MarginStores; children: ReactNode }) {
  return <MarginStoresContext value={stores}>{children}</MarginStoresContext>;
}

/** The app's stores; throws outside the provider (a programming error). */
export function useMarginStores(): MarginStores {
  const stores = useContext(MarginStoresContext);
  if (!stores) throw new Error('useMarginStores needs a <MarginStoresProvider>');
  return stores;
}

/** The app's stores, or null outside the provider (for hooks that also run without them, e.g. in tests). */
export function useOptionalMarginStores(): MarginStores | null {
  return useContext(MarginStoresContext);
}
