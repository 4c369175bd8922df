import { describe, expect, it } from 'vitest';
import { formatLocalTime, formatUtc, freshnessWords, unitInSentence, whenWords } from './words.ts';

describe('formatLocalTime', () => {
  const today = new Date(2026, 10, 21, 12, 0, 0);
  it.each([
    ['earlier today', new Date(2026, 10, 21, 5, 47, 3), 'time'],
    ['just before midnight today', new Date(2026, 10, 21, 23, 59, 59), 'time'],
    ['yesterday', new Date(2026, 10, 20, 23, 59, 59), 'date and time'],
    ['the same day a year ago', new Date(2025, 10, 21, 5, 47, 3), 'date and time'],
  ] as const)('%s: %s, as the browser writes it', (_, at, shown) => {
    const expected =
      shown === 'time'
        ? at.toLocaleTimeString(undefined, { hour12: false })
        : at.toLocaleString(undefined, { hour12: false });
    expect(formatLocalTime(at.getTime(), today)).toBe(expected);
  });
});

describe('formatUtc', () => {
  it('prints UTC to the second', () => {
    expect(formatUtc(Date.UTC(2026, 10, 21, 5, 47, 3, 999))).toBe('2026-11-21 05:47:03 UTC');
  });
});

describe('freshnessWords', () => {
  it.each([
    [{ kind: 'live', live: true, since: 1 }, 'Live'],
    [{ kind: 'stale', live: false, since: 1 }, 'Stale · 23 s'],
    [{ kind: 'auth_failed', live: false, since: 1, reason: 'HTTP 401' }, 'Authentication failed: HTTP 401'],
    [{ kind: 'reconnecting', live: false, since: null }, 'Reconnecting to the exchange'],
    [{ kind: 'rejected', live: false, since: 1 }, 'Last message rejected'],
    [{ kind: 'starting', live: false, since: null }, 'Connecting to Margin Watch…'],
    [
      { kind: 'starting', live: false, since: 1, reason: 'checking its clock' },
      'Connecting to Margin Watch… (checking its clock)',
    ],
  ] as const)('%o → %s', (f, text) => {
    expect(freshnessWords(f, '23 s')).toBe(text);
  });
});

describe('unitInSentence', () => {
  it('lowers a unit name for a sentence but keeps acronyms', () => {
    expect(unitInSentence('Margin fraction')).toBe('margin fraction');
    expect(unitInSentence('AD ratio')).toBe('AD ratio');
    expect(unitInSentence('Margin level')).toBe('margin level');
  });
});

describe('whenWords', () => {
  it('says "at" for one moment and "between" for a span', () => {
    const t = Date.UTC(2026, 10, 21, 5, 47, 3);
    expect(whenWords(t, t + 400)).toBe('at 2026-11-21 05:47:03 UTC');
    expect(whenWords(t, t + 60_000)).toBe('between 2026-11-21 05:47:03 UTC and 2026-11-21 05:48:03 UTC');
  });
});
