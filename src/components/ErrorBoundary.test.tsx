// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CardErrorBoundary } from './ErrorBoundary.tsx';

afterEach(cleanup);

const state = { broken: true };

function Fragile({ name }: { name: string }) {
  if (state.broken && name === 'B') throw new Error('figures unreadable');
  return <p>card {name} fine</p>;
}

describe('CardErrorBoundary', () => {
  it('replaces only the broken card, and can try again', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    render(
      <>
        {['A', 'B', 'C'].map((name) => (
          <CardErrorBoundary key={name} label={`Account ${name}`}>
            <Fragile name={name} />
          </CardErrorBoundary>
        ))}
      </>,
    );
    expect(screen.getByText('card A fine')).toBeInTheDocument();
    expect(screen.getByText('card C fine')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('This card could not be shown: figures unreadable');
    expect(screen.getByRole('article', { name: 'Account B (failed)' })).toBeInTheDocument();
    state.broken = false;
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(screen.getByText('card B fine')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).toBeNull();
    spy.mockRestore();
  });
});
