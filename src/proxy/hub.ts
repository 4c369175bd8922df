// The stream hub behind `WS /api/stream`: server → browser only. It keeps the latest status and the latest
// snapshot frame of every account, replays them to each new client at once, fans out new frames, drops clients
// that cannot keep up, and ignores anything a browser sends. Every frame is built from src/contract/stream.ts.
import type { WebSocket } from 'ws';
import {
  alertFrame,
  pingFrame,
  statusFrame,
  type AlertFrameDto,
  type SnapshotFrameDto,
  type StatusFrameDto,
  type StreamFrameDto,
} from '../contract/stream.ts';
import type { UpstreamState } from '../exchanges/server-types.ts';
import { Redactor } from './log.ts';

export type { StreamFrameDto as StreamFrame } from '../contract/stream.ts';

/** WebSocket close code for a client dropped because it could not keep up ("try again later"). */
export const CLOSE_TOO_SLOW = 1013;
/** WebSocket close code when the proxy shuts down ("going away"). */
export const CLOSE_GOING_AWAY = 1001;

/** The part of a ws WebSocket the hub uses. */
export interface HubSocket {
  readonly readyState: number;
  /** Bytes queued but not yet handed to the network. */
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
}

const OPEN = 1;

export interface HubOptions {
  /** A client whose unsent data would exceed this many bytes is dropped (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Heartbeat period in ms (default 15 s); 0 disables the timer (tests call `heartbeat()`). */
  heartbeatMs?: number;
  /** Secrets to scrub from every frame (defence in depth: frames should never carry any). */
  redactor?: Redactor;
  now?: () => number;
}

/** One connected browser. */
export interface HubClient {
  /** Call when the socket closed. */
  detach(): void;
  /** Call on a protocol-level pong: the client is alive. */
  alive(): void;
}

interface ClientState {
  socket: HubSocket;
  alive: boolean;
}

export const DEFAULT_MAX_BUFFERED = 1024 * 1024;
export const DEFAULT_HEARTBEAT_MS = 15_000;

/** Fan-out of status and snapshot frames to every connected browser, with replay on connect. */
export class StreamHub {
  private readonly clients = new Set<ClientState>();
  private readonly statuses = new Map<string, { frame: StatusFrameDto; text: string }>();
  /** The latest snapshot frame of every account, encoded. */
  private readonly latest = new Map<string, string>();
  private readonly maxBuffered: number;
  private readonly redactor: Redactor;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(options: HubOptions = {}) {
    this.maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED;
    this.redactor = options.redactor ?? new Redactor();
    this.now = options.now ?? Date.now;
    const period = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    if (period > 0) {
      this.timer = setInterval(() => this.heartbeat(), period);
      this.timer.unref();
    }
  }

  /** Number of connected clients. */
  get size(): number {
    return this.clients.size;
  }

  private encode(frame: StreamFrameDto): string {
    return this.redactor.text(JSON.stringify(frame));
  }

  /** Records an account's state and broadcasts it, unless state and detail are unchanged. */
  status(accountId: string, state: UpstreamState, detail?: string): void {
    const previous = this.statuses.get(accountId)?.frame;
    if (previous && previous.state === state && previous.detail === detail) return;
    const frame = statusFrame(accountId, state, this.now(), detail);
    const text = this.encode(frame);
    this.statuses.set(accountId, { frame, text });
    this.broadcast(text);
  }

  /** The latest status frame of an account, if any. */
  statusOf(accountId: string): StatusFrameDto | undefined {
    return this.statuses.get(accountId)?.frame;
  }

  /** Broadcasts an account's snapshot frame and keeps it as the account's latest for replay. */
  snapshot(frame: SnapshotFrameDto): void {
    const text = this.encode(frame);
    this.latest.set(frame.accountId, text);
    this.broadcast(text);
  }

  /** Broadcasts an alert to every connected browser. */
  alert(alert: AlertFrameDto['alert']): void {
    this.broadcast(this.encode(alertFrame(alert)));
  }

  /** Adds a browser: sends a ping (the proxy clock), then replays every status and every account's latest snapshot at once. */
  attach(socket: HubSocket): HubClient {
    const client: ClientState = { socket, alive: true };
    this.clients.add(client);
    // A ping first: the browser learns the proxy's clock before it judges the age of anything replayed.
    this.send(client, this.encode(pingFrame(this.now())));
    for (const { text } of this.statuses.values()) if (!this.send(client, text)) break;
    if (this.clients.has(client)) {
      for (const text of this.latest.values()) if (!this.send(client, text)) break;
    }
    return {
      detach: () => {
        this.clients.delete(client);
      },
      alive: () => {
        client.alive = true;
      },
    };
  }

  private broadcast(text: string): void {
    const bytes = Buffer.byteLength(text);
    for (const client of this.clients) this.send(client, text, bytes);
  }

  /**
   * Queues `text` for one client, or drops the client when data is still queued and this frame would take the
   * queue past the bound (a single large frame to an idle client is always sent).
   */
  private send(client: ClientState, text: string, bytes = Buffer.byteLength(text)): boolean {
    const { socket } = client;
    if (socket.readyState !== OPEN) {
      this.clients.delete(client);
      return false;
    }
    const queued = socket.bufferedAmount;
    if (queued > 0 && queued + bytes > this.maxBuffered) {
      this.drop(client, CLOSE_TOO_SLOW, 'client too slow');
      return false;
    }
    socket.send(text);
    return true;
  }

  private drop(client: ClientState, code: number, reason: string): void {
    this.clients.delete(client);
    client.socket.close(code, reason);
    // The close frame waits behind the unsent data; a client that never drains is cut off.
    setTimeout(() => client.socket.terminate(), 1_000).unref();
  }

  /**
   * One heartbeat: clients that did not answer the previous protocol ping are cut off; the others get a
   * protocol ping and an application `ping` frame.
   */
  heartbeat(): void {
    const text = this.encode(pingFrame(this.now()));
    for (const client of [...this.clients]) {
      if (!client.alive) {
        this.clients.delete(client);
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      if (client.socket.readyState === OPEN) client.socket.ping();
      this.send(client, text);
    }
  }

  /** Stops the heartbeat and closes every client. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const client of [...this.clients]) {
      this.clients.delete(client);
      client.socket.close(CLOSE_GOING_AWAY, 'server shutting down');
      setTimeout(() => client.socket.terminate(), 1_000).unref();
    }
  }
}

/** Attaches a ws WebSocket: wires close and pong, and ignores (never forwards) anything the browser sends. */
export function attachWebSocket(hub: StreamHub, ws: WebSocket): void {
  const client = hub.attach(ws);
  ws.on('pong', () => client.alive());
  ws.on('message', () => {
    // Browser → server frames are ignored by design: the stream is read-only.
  });
  ws.on('close', () => client.detach());
  ws.on('error', () => client.detach());
}
