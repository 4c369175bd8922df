import { describe, expect, it } from 'vitest';
import { Redactor, REDACTED, sentHeadersRedactor } from './redact.ts';

const SECRET = 'demo-secret/not+real=';

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

describe('sentHeadersRedactor', () => {
  it('redacts the credential-bearing values a request sent, whole and in parts, never short or numeric ones', () => {
    const signature = 'f00dfeedcafebabe0123456789abcdef';
    const redactor = sentHeadersRedactor({
      Authorization: `Bitso demo-key-0123456789:1700000000000:${signature}`,
      'Content-Type': 'application/json; charset=utf-8-with-a-long-tail',
      'X-Nonce': '17000000000001234',
      'X-Short': 'abc',
    });
    expect(redactor.text(`bad signature ${signature} for demo-key-0123456789 at 17000000000001234`)).toBe(
      `bad signature ${REDACTED} for ${REDACTED} at 17000000000001234`,
    );
    expect(redactor.text('application/json; charset=utf-8-with-a-long-tail abc')).toBe(
      'application/json; charset=utf-8-with-a-long-tail abc',
    );
  });
});
