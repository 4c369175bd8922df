// One shared one-second clock for every "3 s ago" on the page, instead of a timer per card.
import { useSyncExternalStore } from 'react';

const TICK_MS = 1000;
const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | null = null;

function tick(): void {
  now = Date.now();
  listeners.forEach((l) => l());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === null) {
    now = Date.now();
    timer = setInterval(tick, TICK_MS);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/** Calls `listener` on every tick of the shared one-second clock (for subscriptions that mix it with stores). */
export function subscribeToClock(listener: () => void): () => void {
  return subscribe(listener);
}

/** The clock's current value; refreshed when nothing has been ticking it. */
export function clockNow(): number {
  return current();
}

// Refreshed when nothing has been ticking the clock.
function current(): number {
  if (timer === null && Date.now() - now >= TICK_MS) now = Date.now();
  return now;
}

type Primitive = string | number | boolean | null | undefined;

/**
 * Derives a primitive from the browser clock (ms epoch, ticking each second). The component re-renders only
 * when the derived value changes, e.g. `useNow((t) => t - since > limit)` flips once.
 */
export function useNow<T extends Primitive>(select: (now: number) => T): T {
  return useSyncExternalStore(subscribe, () => select(current()));
}
