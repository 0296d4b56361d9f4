// What the browser SDK and the Node client share: ids, timestamps, backoff and answers.

export const LIB_VERSION = "0.1.0";

/** Statuses worth retrying; every other non-2xx answer drops the batch. */
export const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** A random (version 4) UUID, from `crypto.randomUUID` or `crypto.getRandomValues`. */
export function uuid4() {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === "function") c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** ISO-8601 (UTC) of a Date, epoch milliseconds, an ISO string, or now. */
export function isoTimestamp(value) {
  if (value === undefined || value === null) return new Date().toISOString();
  if (typeof value === "string") return value;
  return new Date(value).toISOString();
}

/**
 * Milliseconds to wait before retry `attempt + 1`: exponential backoff with full jitter,
 * never less than the server's Retry-After (given in milliseconds, capped at 5 minutes).
 */
export function backoffDelay(attempt, retryAfterMs, { base = 500, cap = 30000 } = {}, random = Math.random) {
  const jitter = random() * Math.min(cap, base * 2 ** attempt);
  if (retryAfterMs === null || retryAfterMs === undefined) return jitter;
  return Math.max(Math.min(retryAfterMs, 300000), jitter);
}

/** A Retry-After header (seconds or an HTTP date) in milliseconds, or null. */
export function parseRetryAfter(value, now = Date.now()) {
  if (!value) return null;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const when = Date.parse(text);
  return Number.isNaN(when) ? null : Math.max(0, when - now);
}

/** "ok", "retry" or "reject" for an HTTP status. */
export function verdictFor(status) {
  if (status >= 200 && status < 300) return "ok";
  return RETRY_STATUSES.has(status) ? "retry" : "reject";
}

/** The `{"batch": [...], "sent_at": ...}` body of one attempt (fresh `sent_at` each time). */
export function batchBody(events, extra = {}) {
  return JSON.stringify({ ...extra, batch: events, sent_at: new Date().toISOString() });
}

/** A canonical event; `properties` is copied. */
export function makeEvent(distinctId, event, properties, { timestamp, uuid } = {}) {
  if (typeof event !== "string" || event.length === 0 || event.length > 200) {
    throw new TypeError("event must be a string of 1-200 characters");
  }
  const id = typeof distinctId === "number" ? String(distinctId) : distinctId;
  if (typeof id !== "string" || id.length === 0 || id.length > 200) {
    throw new TypeError("distinct id must be a string of 1-200 characters");
  }
  return {
    uuid: uuid || uuid4(),
    event,
    distinct_id: id,
    timestamp: isoTimestamp(timestamp),
    properties: { ...(properties || {}) },
  };
}
