import { describe, expect, it } from 'vitest';
import { createLogger, Redactor, REDACTED } from './log.ts';

const SECRET = 'demo-secret/not+real=';

function capture(pretty = false) {
  const lines: string[] = [];
  const log = createLogger({
    redactor: new Redactor([SECRET, '']),
    write: (line) => lines.push(line),
    pretty,
    now: () => new Date('2026-01-02T03:04:05.678Z'),
  });
  return { lines, log };
}

describe('createLogger', () => {
  it('writes one JSON line per event with the message and fields redacted', () => {
    const { lines, log } = capture();
    log.child({ accountId: 'a1' }).warn(`upstream said ${SECRET}`, { url: `wss://x/?k=${SECRET}`, n: 3 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      time: '2026-01-02T03:04:05.678Z',
      level: 'warn',
      msg: `upstream said ${REDACTED}`,
      accountId: 'a1',
      url: `wss://x/?k=${REDACTED}`,
      n: 3,
    });
  });

  it('writes a readable line in pretty mode, still redacted', () => {
    const { lines, log } = capture(true);
    log.info('ready', { url: 'http://127.0.0.1:5178', secret: SECRET, note: 'two words' });
    expect(lines).toEqual([
      `03:04:05.678 INFO  ready url=http://127.0.0.1:5178 secret=${REDACTED} note="two words"`,
    ]);
  });
});
