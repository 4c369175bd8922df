// Where and why a text is not valid JSON, in words that never quote the text: config files hold secrets, and
// JSON.parse's own messages (V8) echo excerpts of the input.

export interface JsonSyntaxProblem {
  /** 1-based line of the offending character. */
  line: number;
  /** 1-based column (in characters) of the offending character. */
  column: number;
  reason: string;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;
const LITERALS = ['true', 'false', 'null'] as const;

/** 1-based line and column of `offset` in `text`. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lastBreak = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: offset - lastBreak };
}

/**
 * The first syntax error of `text` as strict JSON (RFC 8259), or null when it is valid. The reason names what was
 * expected, never the characters found.
 */
export function jsonSyntaxProblem(text: string): JsonSyntaxProblem | null {
  let i = 0;
  const stop = (reason: string, at = i): never => {
    throw new Stop(at, reason);
  };
  const skipWhitespace = (): void => {
    while (i < text.length && WHITESPACE.has(text.charAt(i))) i++;
  };
  const atEnd = (): boolean => i >= text.length;

  const string = (): void => {
    const start = i;
    i++;
    for (;;) {
      if (atEnd()) stop('a string is not closed: a double quote is missing', start);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20)
        stop('a line break or control character inside a string (close the string, or escape it)');
      if (c === 0x5c) {
        const next = text.charAt(i + 1);
        if ('"\\/bfnrt'.includes(next) && next !== '') i += 2;
        else if (next === 'u') {
          HEX4.lastIndex = i + 2;
          if (!HEX4.test(text)) stop('a \\u escape needs four hexadecimal digits');
          i += 6;
        } else stop('an invalid escape in a string (a backslash must be written \\\\)');
      } else i++;
    }
  };

  const number = (): void => {
    NUMBER.lastIndex = i;
    if (!NUMBER.test(text)) stop('an invalid number');
    i = NUMBER.lastIndex;
  };

  // Containers: after each ',' another element must follow (no trailing comma).
  const elements = (close: '}' | ']', element: () => void): void => {
    i++;
    skipWhitespace();
    if (text.charAt(i) === close) {
      i++;
      return;
    }
    for (;;) {
      element();
      skipWhitespace();
      if (atEnd()) stop(`the file ends before the closing '${close}'`);
      const c = text.charAt(i);
      if (c === close) {
        i++;
        return;
      }
      if (c !== ',') stop(`expected ',' or '${close}'`);
      const comma = i;
      i++;
      skipWhitespace();
      if (text.charAt(i) === close) stop(`a trailing comma before '${close}'`, comma);
    }
  };

  const member = (): void => {
    skipWhitespace();
    if (atEnd()) stop("the file ends before the closing '}'");
    if (text.charAt(i) !== '"') stop('expected a property name in double quotes');
    string();
    skipWhitespace();
    if (text.charAt(i) !== ':') stop("expected ':' after the property name");
    i++;
    value();
  };

  const value = (): void => {
    skipWhitespace();
    if (atEnd()) stop('the file ends where a value is expected');
    const c = text.charAt(i);
    if (c === '{') return elements('}', member);
    if (c === '[') return elements(']', value);
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    const literal = LITERALS.find((word) => text.startsWith(word, i));
    if (literal) {
      i += literal.length;
      return;
    }
    stop('expected a value: a string in double quotes, a number, true, false, null, an object or an array');
  };

  try {
    value();
    skipWhitespace();
    if (!atEnd()) stop('more text after the end of the JSON value');
    return null;
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    return { ...lineAndColumn(text, err.offset), reason: err.reason };
  }
}
