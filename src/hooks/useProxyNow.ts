// The proxy's clock, coarsely, for views that draw "now" (the right edge of a chart).
import { useStore } from 'zustand';
import { createConnectionStore } from '../stores/connection-store.ts';
import { useOptionalMarginStores } from './stores-context.tsx';
import { useNow } from './useNow.ts';

const noConnection = createConnectionStore();

/**
 * The proxy's time (ms epoch) rounded down to `stepMs`; the caller re-renders once per step, not every second.
 * Without the stores (isolated views in tests) the browser's clock.
 */
export function useProxyNow(stepMs: number): number {
  const stores = useOptionalMarginStores();
  const offset = useStore(stores?.connection ?? noConnection, (s) => s.clockOffsetMs);
  const step = Math.max(1000, stepMs);
  return useNow((now) => Math.floor((now + offset) / step) * step);
}
