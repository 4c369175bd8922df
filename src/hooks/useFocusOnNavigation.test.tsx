// @vitest-environment jsdom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Router } from 'wouter';
import { memoryLocation } from 'wouter/memory-location';
import { useFocusOnNavigation } from './useFocusOnNavigation.ts';

afterEach(cleanup);

function Shell() {
  useFocusOnNavigation();
  return (
    <>
      <button type="button">somewhere else</button>
      <main id="main" tabIndex={-1}>
        content
      </main>
    </>
  );
}

describe('useFocusOnNavigation', () => {
  it('leaves focus alone on the first render and moves it to #main after each navigation', () => {
    const scrollTo = vi.fn();
    vi.stubGlobal('scrollTo', scrollTo);
    const location = memoryLocation({ path: '/', record: true });
    render(
      <Router hook={location.hook} searchHook={location.searchHook}>
        <Shell />
      </Router>,
    );
    const other = screen.getByRole('button', { name: 'somewhere else' });
    other.focus();
    expect(document.activeElement).toBe(other);

    act(() => location.navigate('/accounts/a'));
    expect(document.activeElement).toBe(screen.getByRole('main'));
    expect(scrollTo).toHaveBeenCalledWith(0, 0);

    other.focus();
    act(() => location.navigate('/'));
    expect(document.activeElement).toBe(screen.getByRole('main'));
    vi.unstubAllGlobals();
  });
});
