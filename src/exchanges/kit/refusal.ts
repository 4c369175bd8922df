// Reading a refused request the same way for every exchange: an HTTP answer (a poll's response or a refused
// WebSocket upgrade) becomes `auth`, `fatal` or a retry, in words a trader can act on, cleared of the
// credentials the request sent.
import type { IncomingMessage } from 'node:http';
import { decodeFrame } from './frames.ts';
import { retryAfterMs } from './http-client.ts';
import type { SessionEnd } from './reconnecting.ts';

/** An exchange's HTTP answer: a poll's response, or the answer to a refused WebSocket upgrade. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The body as text (capped). */
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: unknown;
  /**
   * Removes from a text every credential-bearing header value the request sent (signatures, keys, tokens), for
   * an exchange that echoes them in its error body. httpGet and wsSession set it; classifyRefusal applies it.
   */
  redact?: (text: string) => string;
}

/** How a refused request ends: credentials (`auth`), something reconnecting will not fix (`fatal`), or a retry. */
export type Refusal =
  { kind: 'auth' | 'fatal'; detail: string } | { kind: 'retry'; detail: string; retryAfterMs?: number };

/** The exchange-specific words of `classifyRefusal`. */
export interface RefusalWords {
  /** Display name, e.g. "BitoPro". */
  exchange: string;
  /** What the exchange said in its error body, shortened to one line; '' when nothing readable. */
  said(answer: HttpAnswer): string;
  /** What a trader should check when the credentials are refused, e.g. "check apiKey and apiSecret". */
  authHint: string;
  /** What to check on a 404; default "check the account's endpoints". */
  notFoundHint?: string;
  /** Readings that take precedence over the generic ones (e.g. a timestamp refusal sent as 401). */
  special?(answer: HttpAnswer, said: string): Refusal | undefined;
  /** Wait after a 429 that carries no Retry-After (ms). */
  rateLimitWaitMs?(answer: HttpAnswer): number | undefined;
}

/** Shortens an exchange's own words for a status line: one line, at most `max` characters. */
export function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/**
 * Reads a refused HTTP answer the same way for every exchange: 401/403 → `auth`; 404 → `fatal` (a wrong path
 * or host does not fix itself); 429 → retry after Retry-After (or the exchange's rate-limit wait); 409, 5xx and
 * anything else → retry (honouring Retry-After). The exchange's `special` readings come first. Whatever the
 * request sent as credentials (answer.redact) is removed from the detail.
 */
export function classifyRefusal(answer: HttpAnswer, words: RefusalWords): Refusal {
  const scrub = answer.redact ?? ((text: string) => text);
  const refusal = readRefusalAnswer(answer, words, scrub);
  return { ...refusal, detail: scrub(refusal.detail) };
}

function readRefusalAnswer(
  answer: HttpAnswer,
  words: RefusalWords,
  scrub: (text: string) => string,
): Refusal {
  const said = oneLine(scrub(words.said(answer)));
  const special = words.special?.(answer, said);
  if (special) return special;
  const { status } = answer;
  const quoted = said ? ` "${said}"` : '';
  const retryAfter = retryAfterMs(answer.headers);
  if (status === 401 || status === 403) {
    return {
      kind: 'auth',
      detail: `${words.exchange} refused the credentials (HTTP ${status}${quoted}): ${words.authHint}`,
    };
  }
  if (status === 404) {
    const hint = words.notFoundHint ?? "check the account's endpoints";
    return { kind: 'fatal', detail: `${words.exchange} answered HTTP 404${quoted}: ${hint}` };
  }
  if (status === 429) {
    const wait = retryAfter ?? words.rateLimitWaitMs?.(answer);
    return {
      kind: 'retry',
      detail: `${words.exchange} rate limit reached (HTTP 429${quoted})`,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
    };
  }
  if (status >= 300 && status < 400) {
    return {
      kind: 'retry',
      detail: `${words.exchange} answered with a redirect (HTTP ${status}), not followed`,
    };
  }
  return {
    kind: 'retry',
    detail: `${words.exchange} answered HTTP ${status}${quoted}`,
    ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
  };
}

/** A refusal as the end of a stream session (a retry is a session error). */
export function refusalEnd(refusal: Refusal): SessionEnd {
  return refusal.kind === 'retry' ? { kind: 'error', detail: refusal.detail } : refusal;
}

/** Largest refusal body read from a refused upgrade. */
export const MAX_REFUSAL_BYTES = 4_096;

/** Reads a refused upgrade's status, headers and (capped) body. */
export function readRefusal(response: IncomingMessage, maxBytes = MAX_REFUSAL_BYTES): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      const headers = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        if (typeof value === 'string') headers.set(name, value);
        else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      // An error body is a JSON object; anything else (text, HTML, a cut-off body) is kept only as text.
      const decoded = decodeFrame(text);
      const json = typeof decoded === 'object' && decoded !== null ? decoded : undefined;
      resolve({ status: response.statusCode ?? 0, headers, text, json });
    };
    response.on('data', (chunk: Buffer) => {
      if (size >= maxBytes) return;
      chunks.push(chunk.subarray(0, maxBytes - size));
      size += chunk.length;
    });
    response.on('end', finish);
    response.on('error', finish);
    response.on('close', finish);
  });
}
