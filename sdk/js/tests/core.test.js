import assert from "node:assert/strict";
import { test } from "node:test";

import { backoffDelay, batchBody, makeEvent, parseRetryAfter, uuid4, verdictFor } from "../src/core.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("uuid4 gives distinct version-4 uuids", () => {
  const ids = new Set(Array.from({ length: 100 }, uuid4));
  assert.equal(ids.size, 100);
  for (const id of ids) assert.match(id, UUID);
});

test("uuid4 works without crypto.randomUUID", () => {
  Object.defineProperty(globalThis.crypto, "randomUUID", { value: undefined, configurable: true });
  try {
    assert.match(uuid4(), UUID);
  } finally {
    delete globalThis.crypto.randomUUID;
  }
  assert.match(uuid4(), UUID);
});

test("backoff is exponential with full jitter, capped, and Retry-After is a floor", () => {
  const top = (attempt) => backoffDelay(attempt, null, { base: 500, cap: 30000 }, () => 1);
  assert.deepEqual([0, 1, 2, 3, 6, 7].map(top), [500, 1000, 2000, 4000, 30000, 30000]);
  assert.equal(backoffDelay(4, null, undefined, () => 0), 0);
  assert.equal(backoffDelay(0, 7000, undefined, () => 1), 7000);
  assert.equal(backoffDelay(8, 2000, undefined, () => 1), 30000);
  assert.equal(backoffDelay(0, 10 ** 9, undefined, () => 0), 300000);
});

test("Retry-After in seconds or as a date", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("3"), 3000);
  assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:01:30 GMT", now), 90000);
  assert.equal(parseRetryAfter(null), null);
  assert.equal(parseRetryAfter("soon"), null);
});

test("statuses are judged", () => {
  assert.equal(verdictFor(200), "ok");
  for (const status of [408, 429, 500, 502, 503, 504]) assert.equal(verdictFor(status), "retry");
  for (const status of [400, 401, 403, 413]) assert.equal(verdictFor(status), "reject");
});

test("events are checked and batches carry sent_at", () => {
  const event = makeEvent(42, "signup", { plan: "pro" }, { timestamp: 0 });
  assert.equal(event.distinct_id, "42");
  assert.equal(event.timestamp, "1970-01-01T00:00:00.000Z");
  assert.match(event.uuid, UUID);
  assert.throws(() => makeEvent("", "x"), TypeError);
  assert.throws(() => makeEvent("u", "x".repeat(201)), TypeError);
  const body = JSON.parse(batchBody([event], { api_key: "wk" }));
  assert.equal(body.api_key, "wk");
  assert.deepEqual(body.batch, [event]);
  assert.ok(Math.abs(Date.parse(body.sent_at) - Date.now()) < 5000);
});
