// After in-app navigation the clicked link is gone: focus moves to the main region, so keyboard and screen
// reader users start reading the new page from its top.
import { useEffect, useRef } from 'react';
import { useLocation } from 'wouter';

/** After each in-app navigation (not the first render), focuses `#<mainId>` and scrolls to the top. */
export function useFocusOnNavigation(mainId = 'main'): void {
  const [path] = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById(mainId)?.focus({ preventScroll: true });
    window.scrollTo?.(0, 0);
  }, [path, mainId]);
}
