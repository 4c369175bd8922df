import { describe, expect, it } from 'vitest';
import { dec } from './decimal.ts';
import { levelTrend, type LevelSample } from './trend.ts';

const MINUTE = 60_000;
const NOW = 1_000_000_000_000;
const WINDOW = 30 * MINUTE;

/** One sample a minute over the last 30 minutes, the value given by `f(minutesAgo)`. */
function series(f: (minutesAgo: number) => string): LevelSample[] {
  const out: LevelSample[] = [];
  for (let ago = 30; ago >= 0; ago -= 1) out.push({ at: NOW - ago * MINUTE, value: dec(f(ago)) });
  return out;
}

const lines = { marginCall: dec('1.5'), liquidation: dec('1.1') };

describe('levelTrend', () => {
  it('finds a steady fall and the time to each line at that pace', () => {
    // From 2.0 thirty minutes ago to 1.9 now: −0.2 an hour; 2 h to 1.5, 4 h to 1.1.
    const trend = levelTrend(
      series((ago) =>
        dec('1.9')
          .plus(dec(String(ago)).div(300))
          .toString(),
      ),
      { now: NOW, windowMs: WINDOW, ...lines },
    );
    expect(trend?.perHour.toDecimalPlaces(10).toString()).toBe('-0.2');
    expect(trend?.window).toBe(WINDOW);
    expect(trend?.toMarginCallMs).toBe(2 * 3_600_000);
    expect(trend?.toLiquidationMs).toBe(4 * 3_600_000);
    expect(trend?.fit.toDecimalPlaces(6).toString()).toBe('1');
  });

  it('says 0 for a line already reached and null for a line the account does not have', () => {
    const trend = levelTrend(
      series((ago) =>
        dec('1.4')
          .plus(dec(String(ago)).div(300))
          .toString(),
      ),
      { now: NOW, windowMs: WINDOW, marginCall: dec('1.5'), liquidation: null },
    );
    expect(trend?.toMarginCallMs).toBe(0);
    expect(trend?.toLiquidationMs).toBeNull();
  });

  it('is silent while the level rises or holds', () => {
    expect(
      levelTrend(
        series((ago) => String(2 - ago / 300)),
        { now: NOW, windowMs: WINDOW, ...lines },
      ),
    ).toBeNull();
    expect(
      levelTrend(
        series(() => '2'),
        { now: NOW, windowMs: WINDOW, ...lines },
      ),
    ).toBeNull();
  });

  it('is silent when the movement is noise', () => {
    // Alternating ±0.1 with a tiny downward drift: the line explains almost nothing.
    const noisy = series((ago) =>
      dec('2')
        .plus(ago % 2 === 0 ? '0.1' : '-0.1')
        .plus(dec(String(ago)).div(10_000))
        .toString(),
    );
    expect(levelTrend(noisy, { now: NOW, windowMs: WINDOW, ...lines })).toBeNull();
  });

  it('needs enough samples over at least five minutes, and names the span it measured', () => {
    const falling = series((ago) => String(1.9 + ago / 300));
    expect(levelTrend(falling.slice(-5), { now: NOW, windowMs: WINDOW, ...lines })).toBeNull();
    // Samples a minute apart: six of them span five minutes.
    expect(levelTrend(falling.slice(-5), { now: NOW, windowMs: WINDOW, ...lines, minSamples: 2 })).toBeNull();
    expect(levelTrend(falling.slice(-6), { now: NOW, windowMs: WINDOW, ...lines })?.window).toBe(5 * MINUTE);
    expect(levelTrend(falling.slice(-11), { now: NOW, windowMs: WINDOW, ...lines })?.window).toBe(
      10 * MINUTE,
    );
  });

  it('ignores samples outside the window', () => {
    const old = { at: NOW - 2 * WINDOW, value: dec('100') };
    const future = { at: NOW + MINUTE, value: dec('0') };
    const trend = levelTrend([old, ...series((ago) => String(1.9 + ago / 300)), future], {
      now: NOW,
      windowMs: WINDOW,
      ...lines,
    });
    expect(trend?.toMarginCallMs).toBe(2 * 3_600_000);
  });
});
