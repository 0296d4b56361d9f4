// Heron's Node client: batches events to POST /v1/events with gzip, retries and backoff.
import { gzipSync } from "node:zlib";

import { LIB_VERSION, backoffDelay, batchBody, makeEvent, parseRetryAfter, verdictFor } from "./core.js";

export const LIB = "heron-node";
const MAX_REMEMBERED_GROUPS = 10000;

/**
 * new Heron(writeKey, { host, batchSize, flushInterval, maxQueueSize, maxRetries,
 *   backoffBase, backoffMax, gzip, timeout, flushAtExit, onError, fetch })
 *
 * Events are queued and sent in batches (`batchSize` events, or `flushInterval` ms after
 * the first one). Network errors, 429 and 5xx are retried with exponential backoff and
 * full jitter, waiting at least the server's Retry-After; 400/401/413 drop the batch.
 * Each event has its own uuid, so a resent batch is stored once. `stats` counts `sent`,
 * `rejected`, `dropped` (queue full) and `failed` (retries ran out) events.
 */
export class Heron {
  constructor(writeKey, options = {}) {
    if (!writeKey) throw new TypeError("a write key is required");
    this.writeKey = writeKey;
    this.url = `${(options.host || "http://127.0.0.1:8000").replace(/\/+$/, "")}/v1/events`;
    this.batchSize = options.batchSize ?? 100;
    this.flushInterval = options.flushInterval ?? 500;
    this.maxQueueSize = options.maxQueueSize ?? 10000;
    this.maxRetries = options.maxRetries ?? 8;
    this.backoff = { base: options.backoffBase ?? 500, cap: options.backoffMax ?? 30000 };
    this.gzip = options.gzip ?? true;
    this.timeout = options.timeout ?? 10000;
    this.onError = options.onError || null;
    this.fetch = options.fetch || globalThis.fetch;
    this.stats = { sent: 0, rejected: 0, dropped: 0, failed: 0 };
    this.queue = [];
    this.groups = new Map();
    this.enqueued = 0;
    this.done = 0;
    this.timer = null;
    this.sending = null;
    this.closed = false;
    this.aborted = false;
    this.wakeSleeper = null;
    this.atExit = () => {
      if (this.queue.length) this.flush();
    };
    if (options.flushAtExit ?? true) process.on("beforeExit", this.atExit);
  }

  /** Queue an event; returns its uuid, or null if it was not queued. */
  capture({ distinctId, event, properties, timestamp, uuid, groups }) {
    const props = { ...(properties || {}) };
    const merged = { ...this._groupsOf(distinctId), ...(props.$groups || {}), ...(groups || {}) };
    if (Object.keys(merged).length) props.$groups = merged;
    props.$lib ??= LIB;
    props.$lib_version ??= LIB_VERSION;
    return this._enqueue(makeEvent(distinctId, event, props, { timestamp, uuid }));
  }

  /** `$identify`: distinctId is the known user; anonDistinctId's person merges into it. */
  identify({ distinctId, anonDistinctId, set, setOnce }) {
    const properties = {};
    if (anonDistinctId) properties.$anon_distinct_id = anonDistinctId;
    if (set) properties.$set = { ...set };
    if (setOnce) properties.$set_once = { ...setOnce };
    return this.capture({ distinctId, event: "$identify", properties });
  }

  /** `$create_alias`: alias becomes another id of distinctId's person. */
  alias({ distinctId, alias }) {
    return this.capture({ distinctId, event: "$create_alias", properties: { alias } });
  }

  /** `$groupidentify`; later events of distinctId carry the group in `$groups`. */
  group({ distinctId, groupType, groupKey, properties }) {
    const groups = this._groupsOf(distinctId);
    groups[groupType] = String(groupKey);
    this.groups.delete(distinctId);
    this.groups.set(distinctId, groups);
    if (this.groups.size > MAX_REMEMBERED_GROUPS) this.groups.delete(this.groups.keys().next().value);
    const props = { $group_type: groupType, $group_key: String(groupKey), $group_set: { ...(properties || {}) } };
    return this.capture({ distinctId, event: "$groupidentify", properties: props });
  }

  /** Set person properties (overwriting). */
  set({ distinctId, properties }) {
    return this.capture({ distinctId, event: "$set", properties: { $set: { ...properties } } });
  }

  /** Set person properties that are not set yet. */
  setOnce({ distinctId, properties }) {
    return this.capture({ distinctId, event: "$set_once", properties: { $set_once: { ...properties } } });
  }

  /** Resolves once every event queued before the call is settled (sent or given up). */
  async flush() {
    const target = this.enqueued;
    while (this.done < target) {
      this._kick();
      await this.sending;
    }
  }

  /**
   * Flush, then stop: later events are dropped. If the queue is not settled within
   * `timeoutMs`, retries stop and what is left counts as failed. Resolves to whether
   * everything was settled in time.
   */
  async shutdown(timeoutMs = 10000) {
    this.closed = true;
    process.off("beforeExit", this.atExit);
    let timer;
    const expired = new Promise((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const settled = await Promise.race([this.flush().then(() => true), expired]);
    clearTimeout(timer);
    if (!settled) {
      this.aborted = true;
      if (this.wakeSleeper) this.wakeSleeper();
      await this.flush();
    }
    return settled;
  }

  _groupsOf(distinctId) {
    return { ...(this.groups.get(distinctId) || {}) };
  }

  _enqueue(event) {
    if (this.closed || this.queue.length >= this.maxQueueSize) {
      this.stats.dropped += 1;
      return null;
    }
    this.queue.push(event);
    this.enqueued += 1;
    if (this.queue.length >= this.batchSize) this._kick();
    else this._schedule();
    return event.uuid;
  }

  _schedule() {
    if (this.timer || this.sending) return;
    this.timer = setTimeout(() => this._kick(), this.flushInterval);
    this.timer.unref?.();
  }

  _kick() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.sending) return;
    this.sending = this._drain().finally(() => {
      this.sending = null;
      if (this.queue.length) this._schedule();
    });
  }

  async _drain() {
    while (this.queue.length) {
      if (this.aborted) {
        this.stats.failed += this.queue.length;
        this.done += this.queue.length;
        this.queue = [];
        return;
      }
      const batch = this.queue.splice(0, this.batchSize);
      await this._deliver(batch);
      this.done += batch.length;
    }
  }

  async _deliver(batch) {
    for (let attempt = 0; ; attempt++) {
      const answer = await this._attempt(batch);
      if (answer.verdict === "ok") {
        const errors = Array.isArray(answer.body?.errors) ? answer.body.errors : [];
        this.stats.sent += Number.isInteger(answer.body?.accepted) ? answer.body.accepted : batch.length - errors.length;
        this.stats.rejected += errors.length;
        for (const error of errors) this._report("event rejected", error);
        return;
      }
      if (answer.verdict === "reject") {
        this.stats.rejected += batch.length;
        this._report(`batch refused (HTTP ${answer.status})`, answer.body);
        return;
      }
      if (attempt >= this.maxRetries || this.aborted) {
        this.stats.failed += batch.length;
        this._report(`batch not sent (${answer.reason})`, null);
        return;
      }
      await this._sleep(backoffDelay(attempt, answer.retryAfter, this.backoff));
    }
  }

  async _attempt(batch) {
    const body = batchBody(batch);
    const headers = { "Content-Type": "application/json", Authorization: `Bearer ${this.writeKey}` };
    if (this.gzip) headers["Content-Encoding"] = "gzip";
    try {
      const response = await this.fetch(this.url, {
        method: "POST",
        headers,
        body: this.gzip ? gzipSync(body) : body,
        signal: AbortSignal.timeout(this.timeout),
      });
      const text = await response.text();
      let parsed = null;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
      return {
        verdict: verdictFor(response.status),
        status: response.status,
        body: parsed,
        retryAfter: parseRetryAfter(response.headers.get("retry-after")),
        reason: `HTTP ${response.status}`,
      };
    } catch (error) {
      return { verdict: "retry", status: 0, body: null, retryAfter: null, reason: String(error) };
    }
  }

  _sleep(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleeper = done;
    }).finally(() => {
      this.wakeSleeper = null;
    });
  }

  _report(message, detail) {
    if (this.onError) this.onError(new Error(`heron: ${message}`), detail);
  }
}

export default Heron;
