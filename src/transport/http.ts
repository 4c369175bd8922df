// The browser's one HTTP client for the proxy's API: every request carries the API header, every answer is
// read the same way — an error status becomes an ApiError with the proxy's `{ "error" }` text, a body is
// validated against its contract schema before anything uses it. Browser-safe: no React.
import type { z } from 'zod';
import { errorText } from '../contract/errors.ts';

/**
 * Headers of every API request: the proxy answers API requests (but its health check and the stream) only
 * with `X-Margin-Watch: 1`, which a page on another site cannot add to an `<img>`, `<script>` or form request.
 */
export const API_HEADERS: Readonly<Record<string, string>> = {
  accept: 'application/json',
  'x-margin-watch': '1',
};

/** The most of a body that is not an `{ "error" }` object shown in a message. */
const SNIPPET_CHARS = 300;

/**
 * What went wrong with an answer, in words: `HTTP <status>: <problem>`, the problem being the proxy's
 * `{ "error" }` text, else the start of the body; `HTTP <status>` alone when the body is empty.
 */
export function httpProblem(status: number, body: string): string {
  let problem: string | null = null;
  try {
    problem = errorText(JSON.parse(body) as unknown);
  } catch {
    // Not JSON: the body's text.
  }
  problem ??= body.trim().slice(0, SNIPPET_CHARS);
  return problem ? `HTTP ${status}: ${problem}` : `HTTP ${status}`;
}

/** An API request the proxy (or something in front of it) answered with an error status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(httpProblem(status, body));
    this.name = 'ApiError';
  }

  /** A 4xx: the request itself was wrong (bad range, unknown account); asking again will not help. */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

/** Where and why a body did not match its schema, in words (`what` names the response). */
export function schemaProblem(what: string, error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue?.path.map(String).join('.') ?? '';
  return `unexpected ${what} response${where ? ` at ${where}` : ''}: ${issue?.message ?? 'invalid'}`;
}

/** A body is read with a zod schema, or with a contract parser that throws an Error saying what was wrong. */
export type BodyReader<T> = z.ZodType<T> | ((json: unknown) => T);

export interface RequestOptions {
  signal?: AbortSignal | undefined;
  /** Names the response in a validation message; the URL's path by default. */
  what?: string;
}

/** The body of a successful answer, as text; an error status throws an ApiError. */
export async function getText(url: string, options: RequestOptions = {}): Promise<string> {
  return request(url, {}, options);
}

/** GETs a JSON body and validates it. */
export async function getJson<T>(
  url: string,
  reader: BodyReader<T>,
  options: RequestOptions = {},
): Promise<T> {
  return read(url, await request(url, {}, options), reader, options);
}

/** PUTs `body` as JSON and validates the answer. */
export async function putJson<T>(
  url: string,
  body: unknown,
  reader: BodyReader<T>,
  options: RequestOptions = {},
): Promise<T> {
  const init: RequestInit = {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
  return read(url, await request(url, init, options), reader, options);
}

async function request(url: string, init: RequestInit, options: RequestOptions): Promise<string> {
  const response = await fetch(url, {
    ...init,
    headers: { ...API_HEADERS, ...(init.headers as Record<string, string> | undefined) },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new ApiError(response.status, text);
  return text;
}

function read<T>(url: string, text: string, reader: BodyReader<T>, options: RequestOptions): T {
  const what = options.what ?? url.split('?')[0] ?? url;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`unexpected ${what} response: not JSON`);
  }
  if (!('safeParse' in reader)) return reader(json);
  const parsed = reader.safeParse(json);
  if (!parsed.success) throw new Error(schemaProblem(what, parsed.error));
  return parsed.data;
}
