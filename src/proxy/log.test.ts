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

describe('Redactor', () => {
  it.each([
    ['plain', `key=${SECRET}`, `key=${REDACTED}`],
    ['URL-encoded (component)', `https://x/?s=${encodeURIComponent(SECRET)}`, `https://x/?s=${REDACTED}`],
    ['form-encoded', `a=1&s=${new URLSearchParams({ s: SECRET }).toString().slice(2)}`, `a=1&s=${REDACTED}`],
    ['JSON-escaped', JSON.stringify({ s: SECRET }), `{"s":"${REDACTED}"}`],
    ['twice', `${SECRET}${SECRET}`, `${REDACTED}${REDACTED}`],
    ['nothing to do', 'hello', 'hello'],
  ])('%s', (_name, input, expected) => {
    expect(new Redactor([SECRET]).text(input)).toBe(expected);
  });

  it('prefers the longest secret when one contains another', () => {
    expect(new Redactor(['abc', 'abcdef']).text('xabcdefx abc')).toBe(`x${REDACTED}x ${REDACTED}`);
  });

  it('ignores empty secrets and accepts secrets added later', () => {
    const r = new Redactor(['']);
    expect(r.text('abc')).toBe('abc');
    r.add(['b']);
    expect(r.text('abc')).toBe(`a${REDACTED}c`);
    expect(r.size).toBe(1);
  });

  it('redacts nested values, keys, errors and URLs', () => {
    const r = new Redactor([SECRET]);
    const cyclic: Record<string, unknown> = { a: SECRET };
    cyclic.self = cyclic;
    const out = r.value({
      list: [SECRET, 1, true, null],
      [SECRET]: 'as key',
      url: new URL(`https://x.example/p?token=${encodeURIComponent(SECRET)}`),
      err: new Error(`failed with ${SECRET}`, { cause: new Error(SECRET) }),
      cyclic,
      big: 12n,
    });
    const text = JSON.stringify(out);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(encodeURIComponent(SECRET));
    expect(out).toMatchObject({
      list: [REDACTED, 1, true, null],
      [REDACTED]: 'as key',
      url: `https://x.example/p?token=${REDACTED}`,
      err: { name: 'Error', message: `failed with ${REDACTED}`, cause: { message: REDACTED } },
      cyclic: { a: REDACTED, self: '[circular]' },
      big: '12',
    });
  });
});

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
