// Structured logging for the proxy: one JSON line per event on stderr (or a readable line on a terminal), with
// every known secret replaced by *** in the message and in every field, including URL-encoded occurrences (the
// Redactor is src/exchanges/kit/redact.ts, shared with the exchange sessions).
import { Redactor } from '../exchanges/kit/redact.ts';
import type { Logger } from '../exchanges/server-types.ts';

export { REDACTED, Redactor, sentHeadersRedactor } from '../exchanges/kit/redact.ts';

export type LogLevel = 'info' | 'warn' | 'error';

/** The proxy's logger: the exchange-facing Logger plus child loggers with bound fields. */
export interface ProxyLogger extends Logger {
  /** A logger that adds `fields` to every event. */
  child(fields: Record<string, unknown>): ProxyLogger;
  readonly redactor: Redactor;
}

export interface LoggerOptions {
  redactor?: Redactor;
  /** Where lines go; default stderr. */
  write?: (line: string) => void;
  /** Human-readable lines instead of JSON; default: when stderr is a terminal. */
  pretty?: boolean;
  now?: () => Date;
}

function prettyValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** A logger writing one event per line, redacting every secret its redactor knows. */
export function createLogger(options: LoggerOptions = {}, bound: Record<string, unknown> = {}): ProxyLogger {
  const redactor = options.redactor ?? new Redactor();
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  const now = options.now ?? (() => new Date());

  function emit(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    const data = redactor.value({ ...bound, ...fields }) as Record<string, unknown>;
    const time = now();
    const text = redactor.text(msg);
    if (pretty) {
      const tail = Object.entries(data).map(([k, v]) => `${k}=${prettyValue(v)}`);
      const clock = time.toISOString().slice(11, 23);
      write([clock, level.toUpperCase().padEnd(5), text, ...tail].join(' '));
    } else {
      write(JSON.stringify({ time: time.toISOString(), level, msg: text, ...data }));
    }
  }

  return {
    redactor,
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger({ ...options, redactor }, { ...bound, ...fields }),
  };
}
