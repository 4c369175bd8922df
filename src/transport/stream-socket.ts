// Framework-free client for the proxy's /api/stream: reconnects with capped exponential backoff and full
// jitter, and treats a silent connection as dead (the proxy pings every 15 s).
import { parseStreamFrame, type SocketPhase, type StreamFrame } from '../contract/stream.ts';

/** The part of the browser WebSocket this client uses (so tests can pass a fake). */
export interface WebSocketLike {
  onopen: ((event: Event) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  close(code?: number, reason?: string): void;
}

export type { SocketPhase };

/** What the connection is doing, for the header indicator. */
export interface SocketStatus {
  phase: SocketPhase;
  /** Failed attempts since the last healthy connection. */
  attempt: number;
  /** When `waiting`: when the next attempt starts (ms epoch). */
  retryAt?: number;
  /** Why the last connection ended. */
  reason?: string;
}

export interface StreamSocketOptions {
  url: string;
  onFrame(frame: StreamFrame): void;
  onStatus?(status: SocketStatus): void;
  /** Called on every successful connection after the first: the app refetches what it cached from REST. */
  onReconnected?(): void;
  /** Frames that were not valid JSON frames. */
  onInvalidFrame?(text: string): void;
  createSocket?: (url: string) => WebSocketLike;
  /** Uniform random in [0, 1); injectable for tests. */
  random?: () => number;
  /** First retry's upper bound, ms. */
  baseDelayMs?: number;
  /** Largest retry upper bound, ms. */
  maxDelayMs?: number;
  /** With no frame for this long the connection is considered dead, closed and reopened. */
  livenessTimeoutMs?: number;
}

export const DEFAULT_BASE_DELAY_MS = 500;
export const DEFAULT_MAX_DELAY_MS = 30_000;
/** The proxy pings every 15 s; two missed pings plus slack means the connection is gone. */
export const DEFAULT_LIVENESS_TIMEOUT_MS = 35_000;
/** Close code used when the client gives up on a silent connection. */
export const LIVENESS_CLOSE_CODE = 4000;

/**
 * "Full jitter" backoff: a uniformly random delay between 0 and min(cap, base × 2^attempt), so many tabs
 * that lost the proxy at once do not come back in lockstep.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** The stream URL for the page's own origin. */
export function streamUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/stream`;
}

/**
 * One connection to /api/stream that keeps itself open until `stop()`. Only ever receives: the proxy's
 * stream is server→browser, so nothing is sent.
 */
export class StreamSocket {
  private socket: WebSocketLike | null = null;
  private phase: SocketPhase = 'stopped';
  private attempt = 0;
  private connections = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private livenessTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly livenessTimeoutMs: number;
  private readonly random: () => number;
  private readonly createSocket: (url: string) => WebSocketLike;

  constructor(private readonly options: StreamSocketOptions) {
    this.baseDelayMs = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    this.livenessTimeoutMs = options.livenessTimeoutMs ?? DEFAULT_LIVENESS_TIMEOUT_MS;
    this.random = options.random ?? Math.random;
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url));
  }

  /** Opens the connection (no-op when already running). */
  start(): void {
    if (this.phase !== 'stopped') return;
    this.connect();
  }

  /** Closes the connection for good and cancels every timer. */
  stop(): void {
    this.clearTimers();
    this.dropSocket(1000, 'client stopped');
    this.setPhase('stopped');
  }

  /** Skips the remaining backoff (e.g. the browser came back online). */
  reconnectNow(): void {
    if (this.phase !== 'waiting') return;
    this.clearTimers();
    this.connect();
  }

  private connect(): void {
    this.setPhase('connecting');
    let socket: WebSocketLike;
    try {
      socket = this.createSocket(this.options.url);
    } catch (err) {
      this.scheduleRetry(err instanceof Error ? err.message : 'could not open the stream');
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.connections += 1;
      this.setPhase('open');
      this.armLiveness();
      if (this.connections > 1) this.options.onReconnected?.();
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      // Any frame proves the connection is alive and the proxy is serving: reset the backoff.
      this.attempt = 0;
      this.armLiveness();
      if (typeof event.data !== 'string') return;
      const frame = parseStreamFrame(event.data);
      if (frame) this.options.onFrame(frame);
      else this.options.onInvalidFrame?.(event.data);
    };
    socket.onerror = () => {
      // A close event always follows; reconnecting is handled there.
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.scheduleRetry(event.reason || `closed (code ${event.code})`);
    };
  }

  private scheduleRetry(reason: string): void {
    this.clearTimers();
    const delay = backoffDelay(this.attempt, this.baseDelayMs, this.maxDelayMs, this.random);
    this.attempt += 1;
    this.setPhase('waiting', reason, Date.now() + delay);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private armLiveness(): void {
    if (this.livenessTimer !== null) clearTimeout(this.livenessTimer);
    this.livenessTimer = setTimeout(() => {
      this.livenessTimer = null;
      const seconds = Math.round(this.livenessTimeoutMs / 1000);
      this.dropSocket(LIVENESS_CLOSE_CODE, 'no frame from the proxy');
      this.scheduleRetry(`no frame from the proxy for ${seconds} s`);
    }, this.livenessTimeoutMs);
  }

  private dropSocket(code: number, reason: string): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    socket.onopen = null;
    socket.onmessage = null;
    socket.onerror = null;
    socket.onclose = null;
    try {
      socket.close(code, reason);
    } catch {
      // Closing a socket that never opened may throw in some browsers; it is gone either way.
    }
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.livenessTimer !== null) clearTimeout(this.livenessTimer);
    this.retryTimer = null;
    this.livenessTimer = null;
  }

  private setPhase(phase: SocketPhase, reason?: string, retryAt?: number): void {
    this.phase = phase;
    const status: SocketStatus = { phase, attempt: this.attempt };
    if (reason !== undefined) status.reason = reason;
    if (retryAt !== undefined) status.retryAt = retryAt;
    this.options.onStatus?.(status);
  }
}
