// One WebSocket session of an exchange stream: connect with the handshake's headers (inside the signing lock),
// settle exactly once, read a refused upgrade, count pings and messages as signs of life, and clear every end's
// detail of the credentials the handshake sent.
import WebSocket, { type RawData } from 'ws';
import { frameText } from './frames.ts';
import type { SessionContext, SessionEnd } from './reconnecting.ts';
import { sentHeadersRedactor } from './redact.ts';
import { oneLine, readRefusal, type HttpAnswer } from './refusal.ts';

/** Largest frame a stream session accepts by default (4 MiB). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** What a stream session's handlers may do with the connection. */
export interface WsLink {
  /** Sends a text frame while the socket is open (otherwise nothing). */
  send(text: string): void;
  /** Ends the session; the first call wins. */
  end(end: SessionEnd): void;
  /** Runs `fn` every `ms` until the session ends. */
  every(ms: number, fn: () => void): void;
  /** Runs `fn` once after `ms`, unless the session has ended by then. */
  after(ms: number, fn: () => void): void;
  readonly ended: boolean;
}

/** One WebSocket session of an exchange stream: where to connect and what the exchange's messages mean. */
export interface WsSessionSpec {
  url: URL | string;
  /** Handshake headers, built at the moment of connecting (inside `lock`, so a nonce is taken in send order). */
  headers?(): Record<string, string>;
  handshakeTimeoutMs: number;
  /** Largest accepted frame; default MAX_FRAME_BYTES. */
  maxPayload?: number;
  perMessageDeflate?: boolean;
  /** A lock held from signing until the exchange answers the upgrade; null when the session stopped waiting. */
  lock?(signal: AbortSignal): Promise<(() => void) | null>;
  /** How a refused upgrade ends the session (usually `refusalEnd(classifyRefusal(answer, words))`). */
  refused(answer: HttpAnswer): SessionEnd;
  /** The upgrade succeeded: send the protocol handshake or subscriptions, start keep-alives. */
  opened?(link: WsLink): void;
  /** One text frame (already counted as a sign of life). */
  message(text: string, link: WsLink, receivedAt: number): void;
  /** The exchange (or the network) closed the socket. */
  closed(code: number, reason: string): SessionEnd;
  /** A socket error (DNS, TLS, reset, handshake timeout). */
  failed(error: Error): SessionEnd;
  /** Applied to every end's detail before it is reported (e.g. to remove a token an error text echoes). */
  redact?(detail: string): string;
}

/** An error's message, for a session end. */
function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs one WebSocket session: connects (headers and maxPayload, no redirects), settles exactly once,
 * terminates the socket on abort unless it is already closed, reads a refused upgrade's status and capped
 * body, and maps close and error events to a SessionEnd. Pings, pongs and messages are signs of life. A spec
 * handler that throws ends the session as an `error` (never an exception in the socket's events), and every
 * end's detail is cleared of the handshake's credential headers before `spec.redact` sees it.
 */
export async function wsSession(ctx: SessionContext, spec: WsSessionSpec): Promise<SessionEnd> {
  const stopped: SessionEnd = { kind: 'closed', detail: 'connection closed by the proxy' };
  if (ctx.signal.aborted) return stopped;
  const release = spec.lock ? await spec.lock(ctx.signal) : () => {};
  if (release === null || ctx.signal.aborted) {
    release?.();
    return stopped;
  }
  return new Promise<SessionEnd>((resolve) => {
    const timers: { clear(): void }[] = [];
    let ended = false;
    let released = false;
    let scrubSent = (text: string): string => text;
    const unlock = (): void => {
      if (released) return;
      released = true;
      release();
    };
    function redacted(end: SessionEnd): SessionEnd {
      let detail = scrubSent(end.detail);
      try {
        if (spec.redact) detail = spec.redact(detail);
      } catch {
        detail = 'session ended (its detail could not be cleaned of credentials)';
      }
      return { ...end, detail };
    }
    /** The end a spec handler works out; a handler that throws ends the session as an error. */
    function endFrom(what: string, handler: () => SessionEnd): SessionEnd {
      try {
        return handler();
      } catch (err) {
        return { kind: 'error', detail: `${what} failed: ${errorText(err)}` };
      }
    }
    let socket: WebSocket;
    try {
      const headers = spec.headers?.() ?? {};
      const sent = sentHeadersRedactor(headers);
      scrubSent = (text) => sent.text(text);
      socket = new WebSocket(spec.url, {
        headers,
        handshakeTimeout: spec.handshakeTimeoutMs,
        maxPayload: spec.maxPayload ?? MAX_FRAME_BYTES,
        perMessageDeflate: spec.perMessageDeflate ?? false,
        followRedirects: false,
      });
    } catch (err) {
      unlock();
      const error = err instanceof Error ? err : new Error(String(err));
      resolve(redacted(endFrom('connecting', () => spec.failed(error))));
      return;
    }
    const link: WsLink = {
      send(text) {
        if (socket.readyState === WebSocket.OPEN) socket.send(text);
      },
      end(end) {
        if (ended) return;
        ended = true;
        unlock();
        for (const timer of timers) timer.clear();
        ctx.signal.removeEventListener('abort', onAbort);
        if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
        resolve(redacted(end));
      },
      every(ms, fn) {
        const id = setInterval(() => {
          if (!ended) guarded('a timer', fn);
        }, ms);
        timers.push({ clear: () => clearInterval(id) });
      },
      after(ms, fn) {
        const id = setTimeout(() => {
          if (!ended) guarded('a timer', fn);
        }, ms);
        timers.push({ clear: () => clearTimeout(id) });
      },
      get ended() {
        return ended;
      },
    };
    /** Runs a spec handler; a throw ends the session as an error. */
    function guarded(what: string, handler: () => void): void {
      try {
        handler();
      } catch (err) {
        link.end({ kind: 'error', detail: `${what} failed: ${errorText(err)}` });
      }
    }
    function onAbort(): void {
      link.end(stopped);
    }
    ctx.signal.addEventListener('abort', onAbort, { once: true });

    socket.on('unexpected-response', (request, response) => {
      unlock();
      readRefusal(response)
        .then((answer) =>
          link.end(endFrom('reading the refusal', () => spec.refused({ ...answer, redact: scrubSent }))),
        )
        .catch((err: unknown) =>
          link.end({ kind: 'error', detail: `reading the refusal failed: ${errorText(err)}` }),
        )
        .finally(() => request.destroy());
    });
    socket.on('open', () => {
      unlock();
      guarded('starting the session', () => spec.opened?.(link));
    });
    socket.on('ping', () => ctx.alive());
    socket.on('pong', () => ctx.alive());
    socket.on('message', (data: RawData) => {
      if (ended) return;
      const receivedAt = Date.now();
      ctx.alive();
      guarded('handling a message', () => spec.message(frameText(data), link, receivedAt));
    });
    socket.on('close', (code: number, reason: Buffer) => {
      link.end(endFrom('reading the close', () => spec.closed(code, oneLine(reason.toString('utf8'), 120))));
    });
    socket.on('error', (err: Error) => link.end(endFrom('reading the error', () => spec.failed(err))));
  });
}
