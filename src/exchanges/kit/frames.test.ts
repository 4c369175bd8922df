import { describe, expect, it } from 'vitest';
import { decodeFrame, frameText } from './frames.ts';

describe('frameText and decodeFrame', () => {
  it.each([
    ['a string', '{"a":1}'],
    ['a Buffer', Buffer.from('{"a":1}')],
    ['fragments', [Buffer.from('{"a"'), Buffer.from(':1}')]],
    ['an ArrayBuffer', new Uint8Array(Buffer.from('{"a":1}')).buffer],
  ])('reads %s as UTF-8 text', (_name, data) => {
    expect(frameText(data)).toBe('{"a":1}');
  });

  it('decodes JSON, and keeps anything else as the raw text', () => {
    expect(decodeFrame('{"a":[1,"2"]}')).toEqual({ a: [1, '2'] });
    expect(decodeFrame('{"a":')).toBe('{"a":');
    expect(decodeFrame('')).toBe('');
  });
});
