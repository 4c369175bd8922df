// The messages between the proxy benchmark (scripts/bench-proxy.ts) and its load process
// (scripts/bench-proxy-load.ts), validated on arrival on both sides.
import { z } from 'zod';

export const loadCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('simulators'), perExchange: z.number().int().positive(), seed: z.number() }),
  z.object({
    type: z.literal('clients'),
    url: z.string(),
    streams: z.number().int().nonnegative(),
    metricsToken: z.string(),
    scrapeSeconds: z.number().positive(),
  }),
  z.object({ type: z.literal('report') }),
  z.object({ type: z.literal('stop') }),
]);
export type LoadCommand = z.infer<typeof loadCommandSchema>;

/** One simulated account: a config entry pointing at its own simulator. */
export const simulatedAccountSchema = z.object({
  id: z.string(),
  exchange: z.string(),
  credentials: z.record(z.string(), z.string()),
  endpoints: z.object({ rest: z.string(), ws: z.string().optional() }),
  thresholds: z.record(z.string(), z.string()).optional(),
  pollSeconds: z.number().optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});
export type SimulatedAccount = z.infer<typeof simulatedAccountSchema>;

export const loadReportSchema = z.object({
  /** Stream frames each client received. */
  clientFrames: z.array(z.number()),
  frameBytes: z.number(),
  /** Stream sockets that failed or closed. */
  streamErrors: z.number(),
  /** Duration of each successful scrape of /metrics (ms). */
  scrapeMs: z.array(z.number()),
  /** Size of the latest exposition (characters). */
  scrapeBytes: z.number(),
  scrapeFailures: z.number(),
  /** CPU the load process used (µs, user + system). */
  cpuMicros: z.number(),
  rssBytes: z.number(),
});
export type LoadReport = z.infer<typeof loadReportSchema>;

export const loadReplySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('simulators'), accounts: z.array(simulatedAccountSchema) }),
  z.object({ type: z.literal('clients') }),
  z.object({ type: z.literal('report'), report: loadReportSchema }),
  z.object({ type: z.literal('stopped') }),
  z.object({ type: z.literal('failed'), error: z.string() }),
]);
export type LoadReply = z.infer<typeof loadReplySchema>;
