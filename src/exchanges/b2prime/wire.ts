// Schemas of B2Prime's account stream (ASP.NET Core SignalR, JSON hub protocol). Browser-safe.
//
// The proxy relays each stream item as the SignalR StreamItem object `{type: 2, invocationId, item}`.
// Unknown extra fields are accepted and dropped (z.object strips them).
import { z } from 'zod';
import { isDecimalText } from '../../domain/decimal.ts';
import { arrayOf, decimalString, describe, objectOf, textString } from '../wire-kit.ts';

/** The ASCII record separator that ends every SignalR JSON message. */
export const RECORD_SEPARATOR = '\u001e';

/** SignalR hub message types (HubProtocol spec) by number. */
export const HUB_MESSAGE_TYPES: Readonly<Record<number, string>> = {
  1: 'Invocation',
  2: 'StreamItem',
  3: 'Completion',
  4: 'StreamInvocation',
  5: 'CancelInvocation',
  6: 'Ping',
  7: 'Close',
  8: 'Ack',
  9: 'Sequence',
};

/** The message type of any hub message: an integer, read before the rest of the message is validated. */
export const hubTypeEnvelope = z.object({
  type: z
    .number({ error: (issue) => `expected the SignalR message type number, got ${describe(issue.input)}` })
    .int({ error: 'expected an integer SignalR message type' }),
});

const invocationId = textString('the invocation id as a string', { allowEmpty: true });

/** One row of the `FullBalance` stream item (doc: available = total − locked). */
export const fullBalanceRow = objectOf({
  assetId: textString('the asset id string', { allowEmpty: true }),
  available: decimalString,
  total: decimalString,
  locked: decimalString,
});
export type FullBalanceRow = z.infer<typeof fullBalanceRow>;

/** `FullBalance` StreamItem: the item is the array of every asset's balance. */
export const fullBalanceMessage = z.object({
  type: z.literal(2, { error: 'expected SignalR message type 2 (StreamItem)' }),
  invocationId,
  item: arrayOf(fullBalanceRow, 'an array of balances'),
});
export type FullBalanceMessage = z.infer<typeof fullBalanceMessage>;

/**
 * The `MarginData` item. All figures are in RAT (the deployment's reference asset). `marginLevel` must be a
 * decimal string whenever margin is in use; with zero used margin the exchange's value is undocumented
 * (UNCONFIRMED: probably "0" or empty) and ignored, so anything is accepted then.
 */
export const marginDataItem = z
  .object({
    marginBalanceInRAT: decimalString,
    unrealizedPnlInRAT: decimalString,
    equityInRAT: decimalString,
    usedMarginInRAT: decimalString,
    freeMarginInRAT: decimalString,
    marginLevel: z.unknown().optional(),
  })
  .superRefine((item, ctx) => {
    const level = item.marginLevel;
    if (typeof level === 'string' && isDecimalText(level)) return;
    const noMarginInUse = /^[+-]?0*\.?0*$/.test(item.usedMarginInRAT);
    if (noMarginInUse) return;
    ctx.addIssue({
      code: 'custom',
      path: ['marginLevel'],
      message: `expected a decimal string, got ${describe(level)}`,
    });
  })
  .transform(({ marginLevel, ...rest }) => ({
    ...rest,
    marginLevel: typeof marginLevel === 'string' && isDecimalText(marginLevel) ? marginLevel : null,
  }));
export type MarginDataItem = z.infer<typeof marginDataItem>;

/** `MarginData` StreamItem. */
export const marginDataMessage = z.object({
  type: z.literal(2, { error: 'expected SignalR message type 2 (StreamItem)' }),
  invocationId,
  item: marginDataItem,
});
export type MarginDataMessage = z.infer<typeof marginDataMessage>;

/** The client's first frame: `{"protocol":"json","version":1}`. */
export const handshakeRequest = z.object({
  protocol: z.string(),
  version: z.number().int(),
});
export type HandshakeRequest = z.infer<typeof handshakeRequest>;

/** The server's answer to the handshake: `{}` or `{"error": "…"}`. */
export const handshakeResponse = z.object({ error: z.string().optional() });
export type HandshakeResponse = z.infer<typeof handshakeResponse>;

/** Type 4, B2Prime's "subscribe": `{type: 4, invocationId, target, arguments: [accountId]}`. */
export const streamInvocation = z.object({
  type: z.literal(4),
  invocationId,
  target: z.string(),
  arguments: z.array(z.unknown()),
});
export type StreamInvocation = z.infer<typeof streamInvocation>;

/** Type 1: a hub method call; B2Prime's account hub offers none, only streams. */
export const invocationMessage = z.object({
  type: z.literal(1),
  invocationId: z.string().optional(),
  target: z.string(),
  arguments: z.array(z.unknown()),
});
export type InvocationMessage = z.infer<typeof invocationMessage>;

/** Type 5, B2Prime's "unsubscribe". */
export const cancelInvocation = z.object({ type: z.literal(5), invocationId });
export type CancelInvocation = z.infer<typeof cancelInvocation>;

/** Type 3: the end of a stream, with an error when the server refused or ended it abnormally. */
export const completionMessage = z.object({
  type: z.literal(3),
  invocationId,
  error: z.string().optional(),
  result: z.unknown().optional(),
});
export type CompletionMessage = z.infer<typeof completionMessage>;

/** Type 7: the server closes the connection, with an error text and whether reconnecting makes sense. */
export const closeMessage = z.object({
  type: z.literal(7),
  error: z.string().optional(),
  allowReconnect: z.boolean().optional(),
});
export type CloseMessage = z.infer<typeof closeMessage>;

/** Any StreamItem, item not yet validated (the client re-publishes it per channel). */
export const streamItemMessage = z.object({ type: z.literal(2), invocationId, item: z.unknown() });
export type StreamItemMessage = z.infer<typeof streamItemMessage>;
