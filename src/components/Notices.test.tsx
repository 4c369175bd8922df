// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Warnings } from './Notices.tsx';

afterEach(cleanup);

describe('Warnings', () => {
  it('lists the same words from two channels twice, with distinct keys', () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const same = 'level disagrees with assets ÷ liabilities';
    render(<Warnings warnings={[same, same]} byChannel={{ risk: [same], balances: [same] }} />);
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual([same, same]);
    expect(errors.mock.calls.flat().join(' ')).not.toMatch(/same key/);
    errors.mockRestore();
  });
});
