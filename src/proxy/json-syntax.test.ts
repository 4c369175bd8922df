import { describe, expect, it } from 'vitest';
import { jsonSyntaxProblem } from './json-syntax.ts';

describe('jsonSyntaxProblem', () => {
  it.each([
    '{}',
    '[]',
    ' \n\t\r{ "a" : [ 1 , -2.5e+3 , 0 , true , false , null , "x\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9" ] }\n',
    '"just a string"',
    '0',
    '-0.0E-0',
    '{"nested": {"deeper": [[[{}]]]}}',
    '"\u00e9\ud83d\ude00"',
  ])('finds nothing wrong where JSON.parse agrees: %s', (text) => {
    expect(() => JSON.parse(text) as unknown).not.toThrow();
    expect(jsonSyntaxProblem(text)).toBeNull();
  });

  it.each([
    ['', 1, 1, 'the file ends where a value is expected'],
    ['{', 1, 2, "the file ends before the closing '}'"],
    ['[1', 1, 3, "the file ends before the closing ']'"],
    ['{"a" 1}', 1, 6, "expected ':' after the property name"],
    ["{'a': 1}", 1, 2, 'expected a property name in double quotes'],
    ['{"a": 1 "b": 2}', 1, 9, "expected ',' or '}'"],
    ['[1 2]', 1, 4, "expected ',' or ']'"],
    ['[1,]', 1, 3, "a trailing comma before ']'"],
    ['{"a": 1,\n}', 1, 8, "a trailing comma before '}'"],
    ['{"a": tru}', 1, 7, 'expected a value'],
    ['{"a": .5}', 1, 7, 'expected a value'],
    ['{"a": -}', 1, 7, 'an invalid number'],
    ['{"a": "x\\q"}', 1, 9, 'an invalid escape in a string'],
    ['{"a": "\\u12g4"}', 1, 8, 'a \\u escape needs four hexadecimal digits'],
    ['{"a": "x\ty"}', 1, 9, 'a line break or control character inside a string'],
    ['{\n  "a": "open\n}', 2, 13, 'a line break or control character inside a string'],
    ['{\n  "a": "open', 2, 8, 'a string is not closed'],
    ['{} {}', 1, 4, 'more text after the end of the JSON value'],
    ['\uFEFF{}', 1, 1, 'expected a value'],
  ])('%j: line %i, column %i, %s', (text, line, column, reason) => {
    expect(() => JSON.parse(text) as unknown).toThrow(SyntaxError);
    const problem = jsonSyntaxProblem(text);
    expect(problem).toMatchObject({ line, column });
    expect(problem?.reason.startsWith(reason)).toBe(true);
  });

  it('counts columns from the last line break, also after CRLF line ends', () => {
    expect(jsonSyntaxProblem('{\r\n  "a": 1,\r\n  "b": x\r\n}')).toMatchObject({ line: 3, column: 8 });
  });
});
