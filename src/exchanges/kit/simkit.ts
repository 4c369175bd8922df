// Building blocks for the built-in exchange simulators: deterministic randomness, margin-level paths (a calm
// drift, a slow approach to the margin-call line, a sweep through every band), fault injection, nonce/timestamp
// guards, and a loopback HTTP + WebSocket server with the `POST /__sim/control` route tests use to inject
// faults. The control route takes only JSON sent to a loopback name, so no web page (a form, or a DNS-rebound
// name) can drive a simulator.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import type { SimControl, SimScenario } from '../server-types.ts';
import { scaled } from './backoff.ts';
import { isLoopbackHost } from './hosts.ts';

/** A seeded PRNG (mulberry32): the same seed gives the same sequence in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal sample from a uniform source (Box–Muller). */
export function gaussian(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** An account's demo levels and risk lines, in the exchange's unit (higher is safer). */
export interface DemoLevels {
  /** A comfortably safe level: where a calm account drifts and a sweep starts. */
  high: number;
  /** The bottom of a sweep: below the lowest band. */
  low: number;
  /** The margin-call (caution) line the approaching account sinks through. */
  marginCall: number;
  /** The liquidation line it stops short of (noise and a shock may still touch it). */
  liquidation: number;
}

export interface LevelPathOptions {
  seed: number;
  scenario: SimScenario;
  /** A comfortably safe level in the exchange's unit. */
  high: number;
  /** The deepest level of a demo sweep: below the lowest band. */
  low: number;
  /** The account's margin-call line: needed by `approach`. */
  marginCall?: number;
  /** The account's liquidation line: needed by `approach`. */
  liquidation?: number;
  /** Length of one sweep in ms (default 150 s × timeScale, so every band is crossed within a few minutes). */
  periodMs?: number;
  /** Time of the path's start (ms epoch); default now. */
  start?: number;
  /** Step of the random walk in ms (default 500 × timeScale). */
  stepMs?: number;
  /** Shrinks every duration of the path (tests run the demo desk faster). Default 1. */
  timeScale?: number;
}

const MINUTE_MS = 60_000;

/**
 * The approaching account's course in minutes: calm at the start, a slow fall through the margin-call line to
 * the trough, a pause there, the recovery, a pause, and round again.
 */
const APPROACH = { calm: 1, fall: 8, trough: 2, recovery: 5, rest: 2 } as const;
const APPROACH_CYCLE_MIN = Object.values(APPROACH).reduce((a, b) => a + b, 0);
/** Where the approach starts, as a multiple of the margin-call line. */
const APPROACH_START = 1.2;
/** How deep it goes between the margin-call and the liquidation line (0: at margin call, 1: at liquidation). */
const APPROACH_DEPTH = 0.7;

/** Noise and shocks of a scenario, per walk step (500 ms at time scale 1), on the log of the level. */
interface Movement {
  /** Pull back to the course per step (Ornstein–Uhlenbeck). */
  reversion: number;
  /** Standard deviation of each step. */
  volatility: number;
  /** The noise never strays further than this from the course (none: unbounded). */
  bound?: number;
  /** Chance of a shock per step, and its size: a sudden fall of `min` to `max`. */
  shock: { chance: number; min: number; max: number };
  /** How fast a shock wears off per step (0: it is part of the noise and reverts with it). */
  shockRecovery: number;
}

/** The sweep's walk (and the steady one's): fast and wide, shocks of 6–12 % that stay until the walk reverts. */
const SWEEP: Movement = {
  reversion: 0.08,
  volatility: 0.012,
  shock: { chance: 0.004, min: 0.06, max: 0.12 },
  shockRecovery: 0,
};

/**
 * The demo desk's walk: about 1 % moves over minutes, held within ±3 %, and shocks that wear off within a minute
 * or two. A calm account's shocks (2–4 %, about every 20 minutes) and its noise together stay under a 10 % fall,
 * so it never sets off a fast-fall alert; the approaching account's are rarer and larger (4–8 %).
 */
const DESK = { reversion: 0.004, volatility: 0.0013, bound: 0.03, shockRecovery: 0.008 } as const;

const MOVEMENT: Record<SimScenario, Movement> = {
  demo: SWEEP,
  steady: SWEEP,
  drift: { ...DESK, shock: { chance: 0.0004, min: 0.02, max: 0.04 } },
  approach: { ...DESK, shock: { chance: 0.0003, min: 0.04, max: 0.08 } },
};

/**
 * A margin level over time: a course set by the scenario (a sweep, a fixed centre, the approach to the
 * margin-call line) times a mean-reverting random walk with occasional shocks. Deterministic for a seed and
 * start time. `set` pins the level (tests, fault control).
 */
export class LevelPath {
  private readonly random: () => number;
  private readonly periodMs: number;
  private readonly stepMs: number;
  private readonly minuteMs: number;
  private readonly start: number;
  private readonly movement: Movement;
  private steps = 0;
  private walk = 0;
  private shock = 0;
  private pinned: number | null = null;

  constructor(private readonly options: LevelPathOptions) {
    const timeScale = options.timeScale ?? 1;
    this.random = seededRandom(options.seed);
    this.periodMs = options.periodMs ?? scaled(150_000, timeScale);
    this.stepMs = options.stepMs ?? scaled(500, timeScale);
    this.minuteMs = MINUTE_MS * timeScale;
    this.start = options.start ?? Date.now();
    this.movement = MOVEMENT[options.scenario];
    if (
      options.scenario === 'approach' &&
      (options.marginCall === undefined || options.liquidation === undefined)
    ) {
      throw new Error('an approaching level path needs the margin-call and liquidation lines');
    }
  }

  /** Pins the level to a value (in the exchange's unit), or resumes the path with null. */
  set(level: number | null): void {
    this.pinned = level;
  }

  get isPinned(): boolean {
    return this.pinned !== null;
  }

  /** The level at time `t` (ms epoch). Calls should move forward in time; earlier times return the walk as it is. */
  at(t: number): number {
    if (this.pinned !== null) return this.pinned;
    const target = Math.max(0, Math.floor((t - this.start) / this.stepMs));
    const m = this.movement;
    while (this.steps < target) {
      this.steps += 1;
      // Ornstein–Uhlenbeck step on the log level, plus a rare shock (a sudden fall).
      this.walk += -m.reversion * this.walk + m.volatility * gaussian(this.random);
      if (m.bound !== undefined) this.walk = Math.max(-m.bound, Math.min(m.bound, this.walk));
      this.shock *= 1 - m.shockRecovery;
      if (this.random() < m.shock.chance) {
        const size = m.shock.min + (m.shock.max - m.shock.min) * this.random();
        if (m.shockRecovery > 0) this.shock = Math.max(this.shock, size);
        else this.walk -= size;
      }
    }
    return Math.exp(this.course(t) + this.walk - this.shock);
  }

  /** The log of the level the walk moves around at time `t`. */
  private course(t: number): number {
    const { high, low, marginCall, liquidation } = this.options;
    const elapsed = Math.max(0, t - this.start);
    switch (this.options.scenario) {
      case 'steady':
      case 'drift':
        return Math.log(high);
      case 'demo': {
        const phase = (elapsed % this.periodMs) / this.periodMs;
        const depth = 0.5 - 0.5 * Math.cos(2 * Math.PI * phase); // 0 at the start, 1 mid-cycle
        return Math.log(high) + (Math.log(low) - Math.log(high)) * depth;
      }
      case 'approach': {
        const line = Math.log(marginCall ?? high);
        const top = line + Math.log(APPROACH_START);
        const bottom = line + APPROACH_DEPTH * (Math.log(liquidation ?? low) - line);
        let minute = (elapsed / this.minuteMs) % APPROACH_CYCLE_MIN;
        const stages: [number, number, number][] = [
          [APPROACH.calm, top, top],
          [APPROACH.fall, top, bottom],
          [APPROACH.trough, bottom, bottom],
          [APPROACH.recovery, bottom, top],
          [APPROACH.rest, top, top],
        ];
        for (const [length, from, to] of stages) {
          if (minute < length) return from + ((to - from) * minute) / length;
          minute -= length;
        }
        return top;
      }
    }
  }
}

/** Fault state a simulator consults; `apply` takes the commands of the control route. */
export class Faults {
  silent = false;
  revoked = false;
  /** The venue's liquidation status as forced by a `liquidating` command; null: derived from the level. */
  liquidating: boolean | null = null;
  private httpErrors: { status: number; left: number } | null = null;
  private malformed = 0;
  private badSchema = 0;

  apply(command: SimControl): void {
    switch (command.kind) {
      case 'silence':
        this.silent = command.on;
        break;
      case 'revoke':
        this.revoked = true;
        break;
      case 'restore':
        this.revoked = false;
        break;
      case 'http-error':
        this.httpErrors = command.count > 0 ? { status: command.status, left: command.count } : null;
        break;
      case 'malformed':
        this.malformed += 1;
        break;
      case 'bad-schema':
        this.badSchema += 1;
        break;
      case 'liquidating':
        this.liquidating = command.on;
        break;
      case 'drop':
      case 'set-level':
      case 'resume-walk':
        break;
    }
  }

  /** The status to fail the next REST request with, if an http-error fault is pending. */
  takeHttpError(): number | null {
    if (!this.httpErrors) return null;
    const { status } = this.httpErrors;
    this.httpErrors.left -= 1;
    if (this.httpErrors.left <= 0) this.httpErrors = null;
    return status;
  }

  /** True once per injected `malformed` command. */
  takeMalformed(): boolean {
    if (this.malformed === 0) return false;
    this.malformed -= 1;
    return true;
  }

  /** True once per injected `bad-schema` command. */
  takeBadSchema(): boolean {
    if (this.badSchema === 0) return false;
    this.badSchema -= 1;
    return true;
  }
}

/** Accepts a nonce only if it is strictly greater than the last accepted one for the same key. */
export class NonceGuard {
  private readonly last = new Map<string, bigint>();

  check(key: string, nonce: bigint | number | string): 'ok' | 'not-increasing' {
    const value = BigInt(nonce);
    const previous = this.last.get(key);
    if (previous !== undefined && value <= previous) return 'not-increasing';
    this.last.set(key, value);
    return 'ok';
  }
}

/** Accepts a ms timestamp within ±windowMs of the server clock, each (key, timestamp) once. */
export class TimestampGuard {
  private readonly seen = new Map<string, Set<number>>();

  constructor(private readonly windowMs: number) {}

  check(key: string, timestamp: number, now = Date.now()): 'ok' | 'stale' | 'future' | 'reused' {
    if (timestamp < now - this.windowMs) return 'stale';
    if (timestamp > now + this.windowMs) return 'future';
    let set = this.seen.get(key);
    if (!set) {
      set = new Set();
      this.seen.set(key, set);
    }
    if (set.has(timestamp)) return 'reused';
    set.add(timestamp);
    for (const old of set) if (old < now - this.windowMs) set.delete(old);
    return 'ok';
  }
}

export const simControlSchema: z.ZodType<SimControl> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('drop') }),
  z.object({ kind: z.literal('silence'), on: z.boolean() }),
  z.object({ kind: z.literal('malformed') }),
  z.object({ kind: z.literal('bad-schema') }),
  z.object({
    kind: z.literal('http-error'),
    status: z.number().int().min(400).max(599),
    count: z.number().int().min(0),
  }),
  z.object({ kind: z.literal('revoke') }),
  z.object({ kind: z.literal('restore') }),
  z.object({ kind: z.literal('set-level'), level: z.string().regex(/^\d+(\.\d+)?$/) }),
  z.object({ kind: z.literal('resume-walk') }),
  z.object({
    kind: z.literal('set-price'),
    currency: z.string().min(1).max(20),
    price: z.string().regex(/^\d+(\.\d+)?$/),
  }),
  z.object({ kind: z.literal('liquidating'), on: z.boolean().nullable() }),
]);

/** Sends `text` unless the simulator is silenced or the socket is not open. */
export function simSend(ws: WebSocket, text: string, faults: Faults): void {
  if (faults.silent || ws.readyState !== ws.OPEN) return;
  ws.send(text);
}

export interface SimServerOptions {
  host?: string;
  port?: number;
  faults: Faults;
  /** Extra handling of a control command after `faults.apply` (e.g. set-level, push a frame at once). */
  onControl?(command: SimControl): void;
  /** Every HTTP request except the control route; `body` is the raw request body. */
  handleHttp(req: IncomingMessage, res: ServerResponse, body: string, url: URL): void | Promise<void>;
  /** Decides on a WebSocket upgrade before the handshake: null accepts, else the HTTP answer to refuse with. */
  authorizeUpgrade?(
    req: IncomingMessage,
    url: URL,
  ): { status: number; body: string; headers?: Record<string, string> } | null;
  /** A new WebSocket client (after authorizeUpgrade accepted). */
  onConnection?(ws: WebSocket, req: IncomingMessage, url: URL): void;
}

export interface SimServer {
  /** http://host:port */
  url: string;
  /** ws://host:port */
  wsUrl: string;
  server: Server;
  wss: WebSocketServer;
  /** Closes every WebSocket abruptly and every idle HTTP connection. */
  drop(): void;
  /**
   * Applies a fault command as the control route does, for RunningSimulator.control: the fault state, the
   * simulator's own handling (onControl), then a drop at once.
   */
  control(command: SimControl): void;
  close(): Promise<void>;
}

/** JSON response helper for simulators. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The host name of a Host header (`name`, `name:port`, `[v6]:port`), or undefined when it has none. */
function hostName(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const match = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(host.trim());
  return match?.[1];
}

/** Why a control request is refused, or null when it may change the simulator. */
function controlRefusal(req: IncomingMessage): { status: number; error: string } | null {
  if (req.method !== 'POST') return { status: 405, error: 'POST only' };
  const name = hostName(header(req, 'host'));
  if (name === undefined || !isLoopbackHost(name)) {
    return { status: 403, error: 'the control route answers only on a loopback name' };
  }
  if (!/^application\/json\s*(;|$)/i.test(header(req, 'content-type') ?? '')) {
    return { status: 415, error: 'send the command as application/json' };
  }
  return null;
}

/** Starts a simulator's loopback server. */
export async function startSimServer(options: SimServerOptions): Promise<SimServer> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const wss = new WebSocketServer({ noServer: true });

  /** The request's URL, or null for a request target that is not a path. */
  function urlOf(req: IncomingMessage): URL | null {
    try {
      return new URL(req.url ?? '/', `http://${host}`);
    } catch {
      return null;
    }
  }

  const server = createServer((req, res) => {
    const url = urlOf(req);
    if (!url) return sendJson(res, 400, { error: 'bad request target' });
    readBody(req)
      .then(async (body) => {
        if (url.pathname === '/__sim/control') {
          const refused = controlRefusal(req);
          if (refused) return sendJson(res, refused.status, { error: refused.error });
          let parsed: unknown;
          try {
            parsed = JSON.parse(body);
          } catch {
            return sendJson(res, 400, { error: 'body must be JSON' });
          }
          const command = simControlSchema.safeParse(parsed);
          if (!command.success)
            return sendJson(res, 400, { error: command.error.issues[0]?.message ?? 'bad command' });
          options.faults.apply(command.data);
          options.onControl?.(command.data);
          // Answer first: a drop also closes the connection this request came on.
          if (command.data.kind === 'drop') res.once('finish', () => setImmediate(drop));
          return sendJson(res, 200, { ok: true, applied: command.data.kind });
        }
        await options.handleHttp(req, res, body, url);
      })
      .catch((err: unknown) => {
        if (!res.headersSent)
          sendJson(res, 500, { error: err instanceof Error ? err.message : 'internal error' });
        else res.destroy();
      });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  /** Answers an upgrade with an HTTP refusal and closes the socket. */
  function refuseUpgrade(
    socket: Socket,
    refusal: { status: number; body: string; headers?: Record<string, string> },
  ): void {
    const headers = { 'content-type': 'application/json', ...refusal.headers };
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
    socket.end(
      `HTTP/1.1 ${refusal.status} Refused\r\n${lines.join('\r\n')}\r\ncontent-length: ${Buffer.byteLength(refusal.body)}\r\nconnection: close\r\n\r\n${refusal.body}`,
    );
  }

  server.on('upgrade', (req, socket: Socket, head) => {
    // A client that resets the connection while it is refused (or mid-handshake) must not crash the process.
    socket.on('error', () => socket.destroy());
    const url = urlOf(req);
    if (!url) return refuseUpgrade(socket, { status: 400, body: '{"error":"bad request target"}' });
    let refusal: ReturnType<NonNullable<SimServerOptions['authorizeUpgrade']>>;
    try {
      refusal = options.authorizeUpgrade?.(req, url) ?? null;
    } catch (err) {
      const error = err instanceof Error ? err.message : 'internal error';
      return refuseUpgrade(socket, { status: 500, body: JSON.stringify({ error }) });
    }
    if (refusal) return refuseUpgrade(socket, refusal);
    wss.handleUpgrade(req, socket, head, (ws) => {
      try {
        options.onConnection?.(ws, req, url);
      } catch {
        ws.terminate();
      }
    });
  });

  function drop(): void {
    for (const client of wss.clients) client.terminate();
    for (const socket of sockets) socket.destroy();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return {
    url: `http://${authority}`,
    wsUrl: `ws://${authority}`,
    server,
    wss,
    drop,
    control(command) {
      options.faults.apply(command);
      options.onControl?.(command);
      if (command.kind === 'drop') drop();
    },
    close: () =>
      new Promise<void>((resolve) => {
        drop();
        wss.close();
        server.close(() => resolve());
      }),
  };
}

/** A request header's value (the first one when it was sent more than once); undefined when absent. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
