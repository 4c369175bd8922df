import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PRELOAD = fileURLToPath(new URL('./clock-ahead.js', import.meta.url));
const DAY_MS = 86_400_000;

/** Wall clock minus the process's monotonic view of it: 0 normally, the offset under the preload. */
function wallClockShiftMs(): number {
  return Date.now() - (performance.timeOrigin + performance.now());
}

describe('clock-ahead preload', () => {
  it('moves the wall clock of a process and its children, and leaves explicit dates exact', () => {
    const script = [
      'const shift = Date.now() - (performance.timeOrigin + performance.now());',
      'const out = {',
      '  shiftDays: Math.round(shift / 86400000),',
      '  newDateDays: Math.round((new Date().getTime() - performance.timeOrigin - performance.now()) / 86400000),',
      '  asText: Date().slice(11, 15) === String(new Date().getFullYear()),',
      '  explicit: new Date(0).toISOString(),',
      '  parts: new Date(Date.UTC(2020, 0, 2)).toISOString(),',
      '  isDate: new Date() instanceof Date && Object.prototype.toString.call(new Date()) === "[object Date]",',
      '  child: require("node:child_process").execFileSync(process.execPath, ["-e", "process.stdout.write(String(Math.round((Date.now() - performance.timeOrigin - performance.now()) / 86400000)))"]).toString(),',
      '};',
      'process.stdout.write(JSON.stringify(out));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['-e', script], {
      env: { ...process.env, MW_CLOCK_AHEAD_DAYS: '365', NODE_OPTIONS: `--import ${PRELOAD}` },
    }).toString();
    expect(JSON.parse(out)).toEqual({
      shiftDays: 365,
      newDateDays: 365,
      asText: true,
      explicit: '1970-01-01T00:00:00.000Z',
      parts: '2020-01-02T00:00:00.000Z',
      isDate: true,
      child: '365',
    });
  });

  // `npm test` runs the whole unit suite a second time with the clock a year ahead; this proves that run really
  // is a year ahead rather than silently on today's date.
  it('is in force in this run exactly when the run asks for it', () => {
    const days = Number(process.env.MW_CLOCK_AHEAD_DAYS ?? '0');
    expect(Math.round(wallClockShiftMs() / DAY_MS) + 0).toBe(days);
  });
});
