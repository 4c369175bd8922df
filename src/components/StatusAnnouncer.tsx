// Tells screen reader users, politely and not too often, when figures stop or start being current: the
// browser's connection to Margin Watch, and each account turning stale, reconnecting, failing, or live again.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { AccountInfo } from '../contract/accounts.ts';
import type { SocketStatus } from '../stores/connection-store.ts';
import { useFreshnessKinds, useSocketStatus } from '../hooks/useAccountView.ts';
import type { FreshnessKind } from '../stores/freshness.ts';

/** At most one announcement per this many ms; what happens meanwhile is said together, latest word per account. */
export const ANNOUNCE_INTERVAL_MS = 5_000;

/** The browser's connection, as far as announcements care. */
export type ConnectionWord = 'starting' | 'up' | 'down';

/** What the announcer compares from one moment to the next. */
export interface StatusView {
  connection: ConnectionWord;
  kinds: Readonly<Record<string, FreshnessKind>>;
}

/** The connection in announcement terms: the very first attempt is not a loss. */
export function connectionWord(socket: Pick<SocketStatus, 'phase' | 'attempt'>): ConnectionWord {
  if (socket.phase === 'open') return 'up';
  return socket.phase === 'connecting' && socket.attempt === 0 ? 'starting' : 'down';
}

/** Kinds worth announcing when an account enters them, with the words. */
const ENTERED: Partial<Record<FreshnessKind, string>> = {
  stale: 'figures are stale',
  'proxy-stale': 'stale, the exchange has gone quiet',
  reconnecting: 'reconnecting to the exchange',
  auth_failed: 'authentication failed',
  error: 'error at the exchange connection',
};

/**
 * The announcements for a change from `before` to `after` as [key, words] pairs (one key per account, plus the
 * connection): the connection lost or back; an account entering stale, reconnecting, authentication failed
 * or error; an account live again after one of those. Nothing on the first view, and nothing per account while
 * the connection is not up (every card says the same then).
 */
export function statusChanges(
  before: StatusView | null,
  after: StatusView,
  labels: ReadonlyMap<string, string>,
): [string, string][] {
  if (!before) return [];
  const changes: [string, string][] = [];
  if (before.connection === 'up' && after.connection === 'down') {
    changes.push(['connection', 'Connection to Margin Watch lost; retrying']);
  } else if (before.connection === 'down' && after.connection === 'up') {
    changes.push(['connection', 'Connected to Margin Watch again']);
  }
  if (after.connection !== 'up' || before.connection !== 'up') return changes;
  for (const [id, kind] of Object.entries(after.kinds)) {
    const previous = before.kinds[id];
    if (previous === undefined || previous === kind) continue;
    const label = labels.get(id) ?? id;
    const entered = ENTERED[kind];
    if (entered) changes.push([id, `${label}: ${entered}`]);
    else if (kind === 'live' && ENTERED[previous]) changes.push([id, `${label}: live again`]);
  }
  return changes;
}

/**
 * Collects announcements and says them at most once per `intervalMs`: the first at once, later ones together
 * when the interval has passed. A newer word for the same key replaces the one waiting.
 */
export class ThrottledAnnouncer {
  private readonly waiting = new Map<string, string>();
  private lastAt = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly say: (text: string) => void,
    private readonly intervalMs = ANNOUNCE_INTERVAL_MS,
  ) {}

  push(key: string, words: string): void {
    this.waiting.delete(key);
    this.waiting.set(key, words);
    if (this.timer !== null) return;
    const delay = Math.max(0, this.lastAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => this.flush(), delay);
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.waiting.clear();
  }

  private flush(): void {
    this.timer = null;
    if (this.waiting.size === 0) return;
    this.say(`${[...this.waiting.values()].join('. ')}.`);
    this.waiting.clear();
    this.lastAt = Date.now();
  }
}

function decodeKinds(encoded: string): Record<string, FreshnessKind> {
  const kinds: Record<string, FreshnessKind> = {};
  for (const line of encoded.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0) kinds[line.slice(0, space)] = line.slice(space + 1) as FreshnessKind;
  }
  return kinds;
}

/** A visually hidden, polite live region with the latest (throttled) freshness announcement. Mount once. */
export function StatusAnnouncer({ accounts }: { accounts: readonly AccountInfo[] }) {
  const [text, setText] = useState('');
  const encoded = useFreshnessKinds(accounts);
  const socket = useSocketStatus();
  const connection = connectionWord(socket);
  const labels = useMemo(() => new Map(accounts.map((a) => [a.id, a.label])), [accounts]);
  const announcer = useRef<ThrottledAnnouncer | null>(null);
  const previous = useRef<StatusView | null>(null);

  useEffect(() => {
    const a = new ThrottledAnnouncer(setText);
    announcer.current = a;
    return () => {
      a.dispose();
      announcer.current = null;
    };
  }, []);

  useEffect(() => {
    const view: StatusView = { connection, kinds: decodeKinds(encoded) };
    for (const [key, words] of statusChanges(previous.current, view, labels)) {
      announcer.current?.push(key, words);
    }
    previous.current = view;
  }, [connection, encoded, labels]);

  return (
    <p className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="status-announcer">
      {text}
    </p>
  );
}
