// The body of every error answer of the proxy's API: `{ "error": "<what was wrong, in words>" }`.
import { z } from 'zod';

export const errorBodySchema = z.object({ error: z.string() });
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** The body the proxy sends with an error status. */
export function errorBody(message: string): ErrorBody {
  return { error: message };
}

/** The error text of a response body, or null when the body is not an `{ "error" }` object. */
export function errorText(json: unknown): string | null {
  const result = errorBodySchema.safeParse(json);
  return result.success ? result.data.error : null;
}
