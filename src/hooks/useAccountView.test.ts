import { describe, expect, it, vi } from 'vitest';
import { RESORT_MS, SteadyOrder } from './useAccountView.ts';

describe('SteadyOrder', () => {
  it('takes a new order at once when the signature changes, else at most every RESORT_MS', () => {
    const keeper = new SteadyOrder();
    const compute = vi.fn<() => string>();
    compute.mockReturnValue('a\nb');
    expect(keeper.next('a:safe,b:safe', 1000, compute)).toBe('a\nb');
    compute.mockReturnValue('b\na');
    // Same zones, a cushion moved: the order holds until RESORT_MS have passed.
    expect(keeper.next('a:safe,b:safe', 1000 + RESORT_MS - 1, compute)).toBe('a\nb');
    expect(compute).toHaveBeenCalledTimes(1);
    expect(keeper.next('a:safe,b:safe', 1000 + RESORT_MS, compute)).toBe('b\na');
    // A zone change re-sorts at once.
    compute.mockReturnValue('a\nb');
    expect(keeper.next('a:caution,b:safe', 1000 + RESORT_MS + 1, compute)).toBe('a\nb');
    expect(compute).toHaveBeenCalledTimes(3);
  });
});
