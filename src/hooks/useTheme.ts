// Dark by default; the user's choice of light is remembered in localStorage.
import { useCallback, useSyncExternalStore } from 'react';

export type Theme = 'dark' | 'light';

export const THEME_STORAGE_KEY = 'margin-watch.theme';

const listeners = new Set<() => void>();

function readStored(): Theme {
  try {
    return localStorage.getItem(THEME_STORAGE_KEY) === 'light' ? 'light' : 'dark';
  } catch {
    return 'dark';
  }
}

let theme: Theme = typeof localStorage === 'undefined' ? 'dark' : readStored();

/** Sets `data-theme` on the root element so the stylesheet's variables follow. Call once before rendering. */
export function applyTheme(next: Theme = readStored()): void {
  theme = next;
  document.documentElement.dataset.theme = next;
  document.documentElement.style.colorScheme = next;
}

function setTheme(next: Theme): void {
  try {
    localStorage.setItem(THEME_STORAGE_KEY, next);
  } catch {
    // Storage may be unavailable (private mode); the choice then lasts for this page only.
  }
  applyTheme(next);
  listeners.forEach((l) => l());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The current theme and a toggle. */
export function useTheme(): { theme: Theme; toggle: () => void } {
  const current = useSyncExternalStore(subscribe, () => theme);
  const toggle = useCallback(() => setTheme(theme === 'dark' ? 'light' : 'dark'), []);
  return { theme: current, toggle };
}
