// Small values and helpers several proxy modules share: the account-id rule, the latest representable time,
// and the one shape of every API error body.
import type { FastifyReply } from 'fastify';
import { z } from 'zod';

/** Account ids: lowercase letters, digits and dashes, 1 to 64 characters. */
export const ACCOUNT_ID = /^[a-z0-9-]{1,64}$/;

/** An account id, with the message every place that validates one uses. */
export const accountIdSchema = z
  .string()
  .regex(ACCOUNT_ID, { message: 'must be 1–64 characters of a-z, 0-9 and -' });

/** Latest time a JavaScript Date can hold (ms since 1970-01-01 UTC). */
export const MAX_TIME = 8_640_000_000_000_000;

/** Answers with `status` and the API's error body `{ "error": message }`, as JSON. */
export function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'application/json; charset=utf-8')
    .send({ error: message });
}
