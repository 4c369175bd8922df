// What browser journeys can rely on in the dashboard's DOM (test ids, attributes and texts). Fault journeys
// (drop / silence / revoke / malformed) should assert through these rather than through layout or CSS.
//
// Account card   [data-testid="account-card"][data-account-id="<id>"]
//   data-exchange   the exchange id
//   data-zone       safe | caution | liquidation | takeover | unknown
//   data-freshness  live | starting | stale | waiting | offline | connecting | reconnecting | auth_failed |
//                   error | proxy-stale | rejected   (first match wins in this order: starting (the very first
//                   connection to the proxy), offline (browser lost the proxy), the proxy's status
//                   reconnecting/auth_failed/error/stale, waiting (no figures yet), starting (the proxy's clock is
//                   not known yet: no ping seen), stale (older than 3× the channel cadence), connecting,
//                   rejected (newest message rejected), live)
//   inside:
//     [data-testid="level"]       the headline level as the exchange wrote it (grouped), "—" before any
//     [data-testid="zone"]        the zone in words: Safe | Caution | Liquidation | Takeover | Unknown
//     [data-testid="cushion"]     "Cushion to liquidation 23.4%" (or "unknown")
//     [data-testid="figures"]     data-live="true" only when the figures are current
//     [data-testid="freshness"]   words, e.g. "Live · updated 3 s ago", "Stale · 23 s",
//                                 "Reconnecting to the exchange: <proxy detail>",
//                                 "Authentication failed: <proxy detail>", "Error: <proxy detail>",
//                                 "Stale: the exchange has gone quiet: <detail>",
//                                 "No connection to Margin Watch, retrying: <reason>", "Last message rejected",
//                                 "Connecting to Margin Watch…" (first connection), "Connecting to Margin Watch…
//                                 (checking its clock)"
//     [data-testid="rejection-notice"]  role=status; data-recovered="false" while the channel's newest message is
//                                 the rejected one: "Message rejected (N s ago)", the WireError as
//                                 "<exchange> <channel>: <field>: <message>", "Showing the last good figures, from
//                                 N s ago." (also when data-freshness says something more urgent: stale,
//                                 reconnecting…). After a good message on that channel: data-recovered="true",
//                                 "A message was rejected (N s ago)" + the WireError, for 60 s after the rejection.
// Broken card    [data-testid="card-error"] (error boundary), with a "Try again" button
// Summary        [data-testid="summary"], [data-testid="summary-worst"][data-account-id][data-live] (with
//                [data-testid="summary-worst-dated"] when its figures are not current), [data-testid="zone-count-<zone>"]
//                (accounts with current figures), [data-testid="zone-count-no-current"], [data-testid="summary-no-current"]
// Announcements  [data-testid="status-announcer"] (polite: freshness and connection changes),
//                [data-testid="alert-announcement"] (role=alert: the newest alert's words)
// Stream         [data-testid="stream-status"][data-phase="open|connecting|waiting|stopped"] in the banner
// Drill-down     /accounts/<id>: [data-testid="drill-down"][data-account-id], heading level 2 = the label,
//                [data-testid="headline"], [data-testid="threshold-table"], [data-testid="details"],
//                [data-testid="currency-table"] (checkbox "Hide zero rows"), [data-testid="raw-messages"],
//                [data-testid="drill-history"] (where the chart loads) > [data-testid="history"] (the lazily loaded
//                chart), [data-testid="query-problem"] (a failed request, with "Retry")
// Price moves    card: [data-testid="danger"][data-kind="loading|move|below|out-of-reach|unavailable|none-yet|error"],
//                e.g. "BTC −23 % → margin call", "Market −31 % → liquidation", "Already below margin call",
//                "No price estimate for B2Prime"; overview: [data-testid="what-if-control"] (slider "Market move",
//                textbox "Move in %", button "Back to live", [data-testid="what-if-banner"][data-active]
//                "Estimate: market −10 % …" or "Live figures."), each card's [data-testid="what-if"][data-kind]
//                (estimate | unavailable | none-yet) with what-if-level / what-if-zone / what-if-cushion;
//                drill-down: [data-testid="risk-panel"] > [data-testid="risk-table"] (tr[data-currency], the market
//                row tr[data-currency="market"]), risk-nearest, risk-gaps, risk-trend, risk-unavailable, risk-method
import type { Locator, Page } from '@playwright/test';

/** One account's card on the overview. */
export function cardFor(page: Page, accountId: string): Locator {
  return page.locator(`[data-testid="account-card"][data-account-id="${accountId}"]`);
}

/** The freshness kinds a card can report in `data-freshness`. */
export const FRESHNESS_KINDS = [
  'live',
  'starting',
  'stale',
  'waiting',
  'offline',
  'connecting',
  'reconnecting',
  'auth_failed',
  'error',
  'proxy-stale',
  'rejected',
] as const;

/** An account as GET /api/accounts lists it (the fields journeys use). */
export interface ListedAccount {
  id: string;
  exchange: string;
  label: string;
}
