// Outbound HTTP for signed exchange reads: GET only, no redirects followed, a response size cap and a timeout.
import { formatDuration } from '../../domain/format.ts';
import { sentHeadersRedactor } from './redact.ts';

export interface HttpResult {
  status: number;
  headers: Headers;
  /** The body as text (capped). */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** Removes the credential-bearing header values this request sent from a text (an echoing error body). */
  redact?: (text: string) => string;
}

export interface HttpGetOptions {
  signal?: AbortSignal;
  /** Default 10 s. */
  timeoutMs?: number;
  /** Default 2 MiB. A larger body rejects with HttpError('too-large'). */
  maxBytes?: number;
}

export class HttpError extends Error {
  constructor(
    readonly reason: 'timeout' | 'too-large' | 'network' | 'aborted',
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;

/** GET `url` with `headers`. Redirects are returned as-is (status 3xx), never followed. */
export async function httpGet(
  url: URL,
  headers: Readonly<Record<string, string>>,
  options: HttpGetOptions = {},
): Promise<HttpResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(url, { method: 'GET', headers, redirect: 'manual', signal });
  } catch (err) {
    throw classify(err, url, timeoutMs, options.signal);
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new HttpError('too-large', `response from ${url.host} is larger than ${maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          throw new HttpError('too-large', `response from ${url.host} is larger than ${maxBytes} bytes`);
        }
        chunks.push(chunk);
      }
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw classify(err, url, timeoutMs, options.signal);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let json: unknown;
  try {
    json = text.length > 0 ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    json = undefined;
  }
  const sent = sentHeadersRedactor(headers);
  return { status: response.status, headers: response.headers, text, json, redact: (t) => sent.text(t) };
}

function classify(err: unknown, url: URL, timeoutMs: number, outer: AbortSignal | undefined): HttpError {
  if (outer?.aborted) return new HttpError('aborted', 'request aborted');
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return new HttpError('timeout', `no answer from ${url.host} within ${formatDuration(timeoutMs)}`);
  }
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return new HttpError('network', `cannot reach ${url.host}${cause}`);
}

/**
 * Seconds or HTTP date from a Retry-After header, in ms; undefined when absent or unreadable. Callers cap what
 * they honour (a poller waits at most 15 min, a webhook at most its longest retry delay).
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
