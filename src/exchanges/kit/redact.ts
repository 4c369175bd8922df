// Redaction of secrets: every known secret replaced by *** in text and in nested values (also URL-encoded and
// JSON-escaped), and a redactor for the credential-bearing headers one signed request sent, for exchanges that
// echo them in an error body. The proxy's logger and stream hub redact with it too.

/** What replaces a secret. */
export const REDACTED = '***';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The ways a secret can be spelled in text: as is, URL-encoded (path or form style) and JSON-escaped. */
function spellings(secret: string): string[] {
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  return [secret, encodeURIComponent(secret), encodeURI(secret), form, JSON.stringify(secret).slice(1, -1)];
}

/** Replaces known secret values with `***` in text and in nested values. Secrets can be added later. */
export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | null = null;

  constructor(secrets: Iterable<string> = []) {
    this.add(secrets);
  }

  /** Adds values to redact; empty strings are ignored. */
  add(secrets: Iterable<string>): void {
    for (const secret of secrets) if (secret) this.secrets.add(secret);
    const all = new Set<string>();
    for (const secret of this.secrets) for (const s of spellings(secret)) if (s) all.add(s);
    const sorted = [...all].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.pattern = sorted.length > 0 ? new RegExp(sorted.join('|'), 'g') : null;
  }

  /** Number of distinct secrets known. */
  get size(): number {
    return this.secrets.size;
  }

  /** `text` with every secret replaced. */
  text(text: string): string {
    return this.pattern ? text.replace(this.pattern, REDACTED) : text;
  }

  /** A JSON-friendly copy of `value` with every string redacted (errors and URLs become redacted text). */
  value(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
    if (typeof value === 'string') return this.text(value);
    if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
    if (typeof value === 'bigint') return value.toString();
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
    if (value instanceof URL) return this.text(value.href);
    if (value instanceof Error) {
      const out: Record<string, unknown> = { name: value.name, message: this.text(value.message) };
      if (value.stack) out.stack = this.text(value.stack);
      if (value.cause !== undefined && depth < 4) out.cause = this.value(value.cause, depth + 1, seen);
      return out;
    }
    if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
    if (typeof value !== 'object') return undefined;
    if (seen.has(value)) return '[circular]';
    if (depth >= 6) return '[nested]';
    seen.add(value);
    if (Array.isArray(value)) return value.map((item) => this.value(item, depth + 1, seen) ?? null);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const v = this.value(item, depth + 1, seen);
      if (v !== undefined) out[this.text(key)] = v;
    }
    return out;
  }
}

/** Request headers that carry no credential and may legitimately appear in an answer. */
const HARMLESS_HEADERS = new Set([
  'content-type',
  'accept',
  'user-agent',
  'accept-encoding',
  'accept-language',
]);

/**
 * A redactor for what one signed request may have echoed back: every credential-bearing header value the proxy
 * just sent (signatures, keys, tokens, timestamps-with-signature), whole and in parts ("Bitso key:nonce:sig",
 * "Bearer token"). Values shorter than 16 characters and plain numbers (nonces, timestamps) are left alone.
 */
export function sentHeadersRedactor(headers: Readonly<Record<string, string>> | undefined): Redactor {
  const values = Object.entries(headers ?? {})
    .filter(([name, value]) => !HARMLESS_HEADERS.has(name.toLowerCase()) && value.length >= 16)
    .flatMap(([, value]) => [value, ...value.split(/[\s:]+/).filter((part) => part.length >= 16)])
    .filter((value) => !/^\d+$/.test(value));
  return new Redactor(values);
}
