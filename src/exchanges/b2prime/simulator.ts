// B2Prime's side of the account stream on loopback (proxy-only): the SignalR JSON hub protocol at
// /frontoffice/ws/v3/account (and /v4/account), bearer-token checks as ASP.NET Core does them, and a margin
// account that moves. The REST reads /frontoffice/api/v3/accounts and /assets answer too.
//
// Behaviour the B2Prime docs do not state is modelled on ASP.NET Core's defaults (UNCONFIRMED for B2Prime):
// 401 with an empty body and `WWW-Authenticate: Bearer …` for a missing, invalid or revoked token; a ping
// every 15 s; a client silent for 30 s is dropped without a word; errors worded as ASP.NET words them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import { Dec } from '../../domain/decimal.ts';
import { scaled } from '../kit/backoff.ts';
import { frameText } from '../kit/frames.ts';
import { constantTimeEqual } from '../kit/signing.ts';
import {
  Faults,
  LevelPath,
  type DemoLevels,
  header,
  seededRandom,
  sendJson,
  simSend,
  startSimServer,
} from '../kit/simkit.ts';
import type { RunningSimulator, SimControl, SimScenario, SimulatorOptions } from '../server-types.ts';
import { FULL_BALANCE, MARGIN_DATA } from './normalize.ts';
import { TOKEN_PARAM } from './sign.ts';
import {
  RECORD_SEPARATOR,
  cancelInvocation,
  handshakeRequest,
  hubTypeEnvelope,
  invocationMessage,
  streamInvocation,
  type FullBalanceRow,
} from './wire.ts';

/** Stream paths the simulator serves (B2Prime docs: v3; B2TRADER admin docs: v4). */
export const SIM_STREAM_PATHS = ['/frontoffice/ws/v3/account', '/frontoffice/ws/v4/account'] as const;
/** Server keep-alive ping interval (ASP.NET KeepAliveInterval default). */
export const SIM_PING_MS = 15_000;
/** A client that sends nothing for this long is dropped (ASP.NET ClientTimeoutInterval default). */
export const SIM_CLIENT_TIMEOUT_MS = 30_000;
/** Time a client has to send its handshake (ASP.NET HandshakeTimeout default). */
export const SIM_HANDSHAKE_TIMEOUT_MS = 15_000;
/** How often stream items are pushed (B2Prime's real push frequency is UNCONFIRMED). */
export const SIM_PUSH_MS = 2_000;

const STREAM_TARGETS: readonly string[] = [FULL_BALANCE, MARGIN_DATA];
const DEFAULT_ACCOUNT_ID = '67d0456f8c7b1108e4cf5d46';
/** `marginLevel` is sent in percent (equity / used margin × 100 %, as documented), truncated to 2 dp. */
const LEVEL_DECIMALS = 2;
const MONEY_DECIMALS = 2;
/** Used margin while a test pins the level: a round figure, so equity = level × used margin is exact. */
const PINNED_USED_MARGIN = new Dec('40000');

/** One collateral asset of the simulated account. */
interface SimAsset {
  assetId: string;
  assetName: string;
  /** Opening amount. */
  total: string;
  locked: string;
  /** The asset's margin ratio (collateral haircut). */
  marginRatio: string;
  /** Rate to RAT (USD here) and the relative size of its swing. */
  rate: string;
  swing: number;
  swingPeriodS: number;
}

const ASSETS: readonly SimAsset[] = [
  {
    assetId: 'usd',
    assetName: 'US Dollar',
    total: '60000',
    locked: '1500',
    marginRatio: '1',
    rate: '1',
    swing: 0,
    swingPeriodS: 1,
  },
  {
    assetId: 'btc',
    assetName: 'Bitcoin',
    total: '1.5',
    locked: '0.25',
    marginRatio: '0.9',
    rate: '64000',
    swing: 0.01,
    swingPeriodS: 47,
  },
  {
    assetId: 'eth',
    assetName: 'Ether',
    total: '12',
    locked: '0',
    marginRatio: '0.85',
    rate: '3100',
    swing: 0.015,
    swingPeriodS: 29,
  },
];
/** Swap (financing) charged on the open positions, in RAT per second, taken from the USD balance. */
const SWAP_PER_SECOND = new Dec('0.005');

/** The account's figures at one moment, already as the decimal strings the exchange sends. */
export interface SimFigures {
  marginBalanceInRAT: string;
  unrealizedPnlInRAT: string;
  equityInRAT: string;
  usedMarginInRAT: string;
  freeMarginInRAT: string;
  marginLevel: string;
  totalBalanceInRAT: string;
  balances: FullBalanceRow[];
}

function money(value: Dec): string {
  return value.toDecimalPlaces(MONEY_DECIMALS).toFixed();
}

/** Turns a simulation float (a wave, the level path) into an exact Decimal through its text. */
function decOf(value: number, places = 8): Dec {
  return new Dec(value.toFixed(places));
}

/**
 * The demo's levels as plain ratios (×1; the wire and the config say ×100, in percent): a calm account drifts
 * around 400 %; the approaching one sinks through the demo's margin-call line (100 %) towards its stop-out line
 * (50 %). server.ts derives the demo thresholds from these.
 */
export const DEMO_LEVELS: DemoLevels = { high: 4, low: 0.35, marginCall: 1, liquidation: 0.5 };

/**
 * The simulated margin account. The level follows a LevelPath (or a pinned value); used margin and asset
 * rates swing gently; unrealized PnL is what makes equity = level × used margin; swap accrues on the USD
 * balance. Every identity the exchange documents holds exactly: equity = margin balance + unrealized PnL,
 * free = equity − used, available = total − locked, and marginLevel = equity / used × 100 (percent), truncated
 * to 2 dp. The path moves the plain ratio; the wire and `set-level` speak percent.
 */
export class SimB2primeAccount {
  private readonly path: LevelPath;
  private pinned: Dec | null = null;

  /** `timeScale` shrinks the demo cycle and the walk's step with the protocol intervals (tests). */
  constructor(
    seed: number,
    scenario: SimScenario,
    private readonly start = Date.now(),
    timeScale = 1,
  ) {
    this.path = new LevelPath({
      seed,
      scenario,
      ...DEMO_LEVELS,
      timeScale,
      start,
      periodMs: scaled(150_000, timeScale),
      stepMs: scaled(500, timeScale),
    });
  }

  /** Pins the level (in percent, as `set-level` gives it) or, with null, resumes the path. */
  pin(percent: Dec | null): void {
    this.pinned = percent === null ? null : percent.div(100);
  }

  figures(t: number): SimFigures {
    const seconds = Math.max(0, (t - this.start) / 1000);
    const wave = (periodS: number, shift: number): number =>
      Math.sin((2 * Math.PI * seconds) / periodS + shift);
    const swap = SWAP_PER_SECOND.times(String(Math.floor(seconds)));
    let marginBalance = new Dec(0);
    let totalBalance = new Dec(0);
    const balances = ASSETS.map((asset, index): FullBalanceRow => {
      const total = asset.assetId === 'usd' ? new Dec(asset.total).minus(swap) : new Dec(asset.total);
      const rate = new Dec(asset.rate).times(decOf(1 + asset.swing * wave(asset.swingPeriodS, index)));
      marginBalance = marginBalance.plus(total.times(asset.marginRatio).times(rate));
      totalBalance = totalBalance.plus(total.times(rate));
      const locked = new Dec(asset.locked);
      return {
        assetId: asset.assetId,
        total: total.toFixed(),
        locked: locked.toFixed(),
        available: total.minus(locked).toFixed(),
      };
    });
    const used =
      this.pinned !== null
        ? PINNED_USED_MARGIN
        : new Dec(money(PINNED_USED_MARGIN.times(decOf(1 + 0.02 * wave(61, 2)))));
    const level = this.pinned ?? decOf(this.path.at(t), 6);
    const balance = new Dec(money(marginBalance));
    const equity = new Dec(money(level.times(used)));
    return {
      marginBalanceInRAT: balance.toFixed(),
      unrealizedPnlInRAT: equity.minus(balance).toFixed(),
      equityInRAT: equity.toFixed(),
      usedMarginInRAT: used.toFixed(),
      freeMarginInRAT: equity.minus(used).toFixed(),
      marginLevel: equity.div(used).times(100).toFixed(LEVEL_DECIMALS, Dec.ROUND_DOWN),
      totalBalanceInRAT: money(totalBalance),
      balances,
    };
  }
}

function record(message: unknown): string {
  return JSON.stringify(message) + RECORD_SEPARATOR;
}

function itemOf(target: string, figures: SimFigures): unknown {
  if (target === FULL_BALANCE) return figures.balances;
  return {
    marginBalanceInRAT: figures.marginBalanceInRAT,
    unrealizedPnlInRAT: figures.unrealizedPnlInRAT,
    equityInRAT: figures.equityInRAT,
    usedMarginInRAT: figures.usedMarginInRAT,
    freeMarginInRAT: figures.freeMarginInRAT,
    marginLevel: figures.marginLevel,
  };
}

/** The token of a request: `access_token` in the query (what B2Prime documents) or an `Authorization: Bearer`. */
function presentedToken(req: IncomingMessage, url: URL): string | null {
  const fromQuery = url.searchParams.get(TOKEN_PARAM);
  if (fromQuery !== null && fromQuery.length > 0) return fromQuery;
  const authorization = header(req, 'authorization');
  const match = authorization === undefined ? null : /^Bearer\s+(\S+)$/i.exec(authorization);
  return match?.[1] ?? null;
}

interface SimClient {
  ws: WebSocket;
  handshakeDone: boolean;
  /** Every invocation id the client has used on this connection. */
  usedIds: Set<string>;
  /** Active streams: invocation id → target. */
  streams: Map<string, string>;
  lastHeard: number;
  pending: string;
  handshakeTimer: NodeJS.Timeout;
}

/** Starts the B2Prime simulator. */
export async function startB2primeSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const timeScale = options.timeScale ?? 1;
  const token = options.account.credentials.accessToken ?? '';
  const optionId = options.account.options?.accountId;
  const accountId = typeof optionId === 'string' ? optionId : DEFAULT_ACCOUNT_ID;
  const faults = new Faults();
  const account = new SimB2primeAccount(options.seed, options.scenario, Date.now(), timeScale);
  const random = seededRandom(options.seed ^ 0x5eed);
  const clients = new Set<SimClient>();

  /** ASP.NET's bearer check: null when accepted, else the WWW-Authenticate challenge of the 401. */
  function challenge(req: IncomingMessage, url: URL): string | null {
    const presented = presentedToken(req, url);
    if (presented === null) return 'Bearer';
    if (faults.revoked || !constantTimeEqual(presented, token)) return 'Bearer error="invalid_token"';
    return null;
  }

  function unauthorized(res: ServerResponse, wwwAuthenticate: string): void {
    res.writeHead(401, { 'www-authenticate': wwwAuthenticate, 'content-length': 0 });
    res.end();
  }

  function problem(res: ServerResponse, status: number): void {
    const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
    if (status === 429) headers['retry-after'] = '1';
    sendJson(res, status, { title: status === 429 ? 'Too Many Requests' : 'Error', status }, headers);
  }

  function handleHttp(req: IncomingMessage, res: ServerResponse, _body: string, url: URL): void {
    const negotiate = SIM_STREAM_PATHS.some((p) => url.pathname === `${p}/negotiate`);
    const restPaths = ['/frontoffice/api/v3/accounts', '/frontoffice/api/v3/assets'];
    if (!negotiate && !restPaths.includes(url.pathname)) {
      res.writeHead(404, { 'content-length': 0 });
      res.end();
      return;
    }
    if (req.method !== (negotiate ? 'POST' : 'GET')) {
      res.writeHead(405, { allow: negotiate ? 'POST' : 'GET', 'content-length': 0 });
      res.end();
      return;
    }
    const failWith = faults.takeHttpError();
    if (failWith !== null) return problem(res, failWith);
    const refusal = challenge(req, url);
    if (refusal !== null) return unauthorized(res, refusal);
    if (negotiate) {
      const connectionId = `sim-${Math.floor(random() * 1e9).toString(36)}`;
      sendJson(res, 200, {
        negotiateVersion: 1,
        connectionId,
        connectionToken: connectionId,
        availableTransports: [{ transport: 'WebSockets', transferFormats: ['Text', 'Binary'] }],
      });
      return;
    }
    if (url.pathname.endsWith('/accounts')) {
      const figures = account.figures(Date.now());
      sendJson(res, 200, [
        {
          accountId,
          publicAccountId: 1000123,
          accountName: 'Demo margin account',
          accountType: 'Netting',
          totalBalanceInRAT: figures.totalBalanceInRAT,
          isCopyTradingAccount: false,
        },
      ]);
      return;
    }
    sendJson(
      res,
      200,
      ASSETS.map((a) => ({ assetId: a.assetId, assetName: a.assetName, isRootAsset: a.assetId === 'usd' })),
    );
  }

  /** Sends a Close message (reconnecting will not help) and closes the socket, as ASP.NET does on errors. */
  function closeWithError(client: SimClient, error: string): void {
    simSend(client.ws, record({ type: 7, error, allowReconnect: false }), faults);
    client.ws.close(1000);
  }

  function pushTo(client: SimClient, figures: SimFigures, ids: Iterable<string>): void {
    const records: string[] = [];
    for (const id of ids) {
      const target = client.streams.get(id);
      if (target !== undefined)
        records.push(record({ type: 2, invocationId: id, item: itemOf(target, figures) }));
    }
    if (records.length === 0) return;
    // Sometimes several records share one frame, as SignalR servers do.
    if (random() < 0.35) simSend(client.ws, records.join(''), faults);
    else for (const r of records) simSend(client.ws, r, faults);
  }

  function idOf(client: SimClient, target: string): string {
    for (const [id, t] of client.streams) if (t === target) return id;
    return client.streams.keys().next().value ?? '0';
  }

  function sendFaultFrames(): void {
    const malformed = faults.takeMalformed();
    const badSchema = faults.takeBadSchema();
    for (const client of clients) {
      if (!client.handshakeDone) continue;
      const id = idOf(client, MARGIN_DATA);
      if (malformed)
        simSend(
          client.ws,
          `{"type":2,"invocationId":"${id}","item":{"marginBalanceInRAT":"49${RECORD_SEPARATOR}`,
          faults,
        );
      if (badSchema) {
        const figures = account.figures(Date.now());
        // A number where a decimal string belongs, and equity missing.
        const { equityInRAT: _missing, ...rest } = figures;
        const item = { ...rest, balances: undefined, totalBalanceInRAT: undefined, usedMarginInRAT: 100.18 };
        simSend(client.ws, record({ type: 2, invocationId: id, item }), faults);
      }
    }
  }

  function onInvocation(client: SimClient, message: unknown): void {
    const parsed = streamInvocation.safeParse(message);
    if (!parsed.success) {
      return closeWithError(
        client,
        'Connection closed with an error. InvalidDataException: Invalid StreamInvocation message.',
      );
    }
    const { invocationId, target, arguments: args } = parsed.data;
    if (client.usedIds.has(invocationId)) {
      return closeWithError(
        client,
        `Connection closed with an error. InvalidDataException: Invocation ID '${invocationId}' is already in use.`,
      );
    }
    client.usedIds.add(invocationId);
    const fail = (error: string): void =>
      simSend(client.ws, record({ type: 3, invocationId, error }), faults);
    if (!STREAM_TARGETS.includes(target)) {
      return fail(
        `Failed to invoke '${target}' due to an error on the server. HubException: Method does not exist.`,
      );
    }
    if (args.length !== 1 || typeof args[0] !== 'string') {
      return fail(
        `Failed to invoke '${target}' due to an error on the server. InvalidDataException: Invocation provides ${args.length} argument(s) but target expects 1.`,
      );
    }
    if (args[0] !== accountId) {
      return fail(
        'An error occurred on the server while streaming results. HubException: Account not found.',
      );
    }
    client.streams.set(invocationId, target);
    pushTo(client, account.figures(Date.now()), [invocationId]);
  }

  function onRecord(client: SimClient, text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      if (!client.handshakeDone) return refuseHandshake(client, 'Error reading JSON.');
      return closeWithError(
        client,
        'Connection closed with an error. InvalidDataException: Error reading JSON.',
      );
    }
    if (!client.handshakeDone) {
      const handshake = handshakeRequest.safeParse(message);
      if (!handshake.success) return refuseHandshake(client, 'Handshake request is missing required fields.');
      if (handshake.data.protocol !== 'json') {
        return refuseHandshake(client, `The protocol '${handshake.data.protocol}' is not supported.`);
      }
      if (handshake.data.version !== 1) {
        return refuseHandshake(
          client,
          `The server does not support version ${handshake.data.version} of the 'json' protocol.`,
        );
      }
      client.handshakeDone = true;
      clearTimeout(client.handshakeTimer);
      simSend(client.ws, record({}), faults);
      return;
    }
    const envelope = hubTypeEnvelope.safeParse(message);
    if (!envelope.success) {
      return closeWithError(
        client,
        "Connection closed with an error. InvalidDataException: Missing required property 'type'.",
      );
    }
    switch (envelope.data.type) {
      case 4:
        return onInvocation(client, message);
      case 5: {
        const cancel = cancelInvocation.safeParse(message);
        if (cancel.success && client.streams.delete(cancel.data.invocationId)) {
          simSend(client.ws, record({ type: 3, invocationId: cancel.data.invocationId }), faults);
        }
        return;
      }
      case 1: {
        const call = invocationMessage.safeParse(message);
        if (call.success && call.data.invocationId !== undefined) {
          const error = `Failed to invoke '${call.data.target}' due to an error on the server. HubException: Method does not exist.`;
          simSend(client.ws, record({ type: 3, invocationId: call.data.invocationId, error }), faults);
        }
        return;
      }
      case 6:
        return;
      case 7:
        client.ws.close(1000);
        return;
      default:
        return closeWithError(
          client,
          `Connection closed with an error. InvalidDataException: Unknown message type '${envelope.data.type}'.`,
        );
    }
  }

  function refuseHandshake(client: SimClient, error: string): void {
    simSend(client.ws, record({ error }), faults);
    client.ws.close(1000);
  }

  function onConnection(ws: WebSocket): void {
    const client: SimClient = {
      ws,
      handshakeDone: false,
      usedIds: new Set(),
      streams: new Map(),
      lastHeard: Date.now(),
      pending: '',
      handshakeTimer: setTimeout(
        () => {
          if (!client.handshakeDone) ws.close(1000);
        },
        scaled(SIM_HANDSHAKE_TIMEOUT_MS, timeScale),
      ),
    };
    clients.add(client);
    ws.on('message', (data, isBinary) => {
      client.lastHeard = Date.now();
      if (isBinary) {
        return closeWithError(
          client,
          'Connection closed with an error. InvalidDataException: Binary frames are not supported by the json protocol.',
        );
      }
      const records = (client.pending + frameText(data)).split(RECORD_SEPARATOR);
      client.pending = records.pop() ?? '';
      for (const r of records) if (ws.readyState === ws.OPEN && r.length > 0) onRecord(client, r);
    });
    ws.on('close', () => {
      clearTimeout(client.handshakeTimer);
      clients.delete(client);
    });
    ws.on('error', () => ws.terminate());
  }

  /** Every subscribed stream of every client gets the account as it is now. */
  function pushAll(): void {
    const figures = account.figures(Date.now());
    for (const client of clients)
      if (client.handshakeDone) pushTo(client, figures, [...client.streams.keys()]);
  }

  function onControl(command: SimControl): void {
    switch (command.kind) {
      case 'set-level':
        account.pin(new Dec(command.level));
        pushAll();
        break;
      case 'resume-walk':
        account.pin(null);
        pushAll();
        break;
      case 'revoke':
        for (const client of clients) {
          closeWithError(
            client,
            'Connection closed with an error. Unauthorized: the access token was revoked.',
          );
        }
        break;
      case 'malformed':
      case 'bad-schema':
        sendFaultFrames();
        break;
      default:
        break;
    }
  }

  const sim = await startSimServer({
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    faults,
    onControl,
    handleHttp,
    authorizeUpgrade(req, url) {
      if (!(SIM_STREAM_PATHS as readonly string[]).includes(url.pathname)) return { status: 404, body: '' };
      const refusal = challenge(req, url);
      return refusal === null ? null : { status: 401, body: '', headers: { 'www-authenticate': refusal } };
    },
    onConnection,
  });

  const timers = [
    setInterval(pushAll, scaled(SIM_PUSH_MS, timeScale)),
    setInterval(
      () => {
        for (const client of clients)
          if (client.handshakeDone) simSend(client.ws, record({ type: 6 }), faults);
      },
      scaled(SIM_PING_MS, timeScale),
    ),
    setInterval(
      () => {
        const now = Date.now();
        for (const client of clients) {
          if (now - client.lastHeard >= scaled(SIM_CLIENT_TIMEOUT_MS, timeScale)) client.ws.terminate();
        }
      },
      scaled(1_000, timeScale),
    ),
  ];

  return {
    url: sim.url,
    endpoints: { rest: sim.url, ws: `${sim.wsUrl}${SIM_STREAM_PATHS[0]}` },
    control: (command) => sim.control(command),
    async close() {
      for (const timer of timers) clearInterval(timer);
      for (const client of clients) clearTimeout(client.handshakeTimer);
      await sim.close();
    },
  };
}
