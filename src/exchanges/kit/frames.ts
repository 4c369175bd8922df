// Decoding what an exchange sends: a WebSocket frame's text however `ws` delivered it, and a body's JSON value
// (or the raw text, which the exchange's parser then reports).
import type { RawData } from 'ws';

/** The text of a WebSocket frame, however `ws` delivered it (one buffer, fragments, an ArrayBuffer). */
export function frameText(data: RawData | string): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** A frame's JSON value, or the raw text when it is not JSON (the exchange's parser reports that). */
export function decodeFrame(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
