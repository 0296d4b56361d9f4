import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

import { Heron } from "../src/node.js";

const FAST = { flushInterval: 20, backoffBase: 1, backoffMax: 5, flushAtExit: false };

/** A fetch that records requests and answers from a script (status, {status, headers}, "network"). */
function fakeFetch(...script) {
  const calls = [];
  const fetch = async (url, init) => {
    const raw = init.headers["Content-Encoding"] === "gzip" ? gunzipSync(init.body) : init.body;
    const body = JSON.parse(String(raw));
    calls.push({ url, init, body, at: Date.now() });
    const answer = script.length ? script.shift() : 200;
    if (answer === "network") throw new TypeError("fetch failed");
    const { status, headers = {} } = typeof answer === "number" ? { status: answer } : answer;
    const payload = status === 200 ? { accepted: body.batch.length, errors: [] } : { error: { code: "x" } };
    return new Response(JSON.stringify(payload), { status, headers });
  };
  fetch.calls = calls;
  fetch.events = () => calls.flatMap((call) => call.body.batch);
  return fetch;
}

function client(fetch, options = {}) {
  return new Heron("wk", { host: "http://heron.test/", fetch, ...FAST, ...options });
}

test("events are batched by size and flush sends the rest", async () => {
  const fetch = fakeFetch();
  const heron = client(fetch, { batchSize: 3, flushInterval: 60000 });
  const ids = Array.from({ length: 7 }, (_, n) => heron.capture({ distinctId: "u1", event: "e", properties: { n } }));
  await heron.flush();
  assert.deepEqual(fetch.calls.map((call) => call.body.batch.length), [3, 3, 1]);
  assert.deepEqual(fetch.events().map((event) => event.uuid), ids);
  assert.equal(heron.stats.sent, 7);
  const { url, init, body } = fetch.calls[0];
  assert.equal(url, "http://heron.test/v1/events");
  assert.equal(init.headers.Authorization, "Bearer wk");
  assert.equal(init.headers["Content-Encoding"], "gzip");
  assert.ok(body.sent_at);
  assert.equal(body.batch[0].properties.$lib, "heron-node");
  await heron.shutdown();
});

test("the interval sends without a flush", async () => {
  const fetch = fakeFetch();
  const heron = client(fetch, { flushInterval: 30 });
  heron.capture({ distinctId: "u1", event: "e" });
  for (let waited = 0; !fetch.calls.length && waited < 5000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(fetch.events().length, 1);
  await heron.shutdown();
});

test("identify, alias, group and person updates are Heron events", async () => {
  const fetch = fakeFetch();
  const heron = client(fetch);
  heron.identify({ distinctId: "user-1", anonDistinctId: "anon-1", set: { email: "a@b" }, setOnce: { first: "x" } });
  heron.alias({ distinctId: "user-1", alias: "a@b" });
  heron.group({ distinctId: "user-1", groupType: "company", groupKey: "acme", properties: { name: "Acme" } });
  heron.set({ distinctId: "user-1", properties: { plan: "pro" } });
  heron.setOnce({ distinctId: "user-1", properties: { source: "ad" } });
  heron.capture({ distinctId: "user-1", event: "purchase" });
  heron.capture({ distinctId: "user-2", event: "purchase" });
  await heron.shutdown();
  const byName = Object.fromEntries(fetch.events().map((e) => [`${e.event}/${e.distinct_id}`, e.properties]));
  assert.equal(byName["$identify/user-1"].$anon_distinct_id, "anon-1");
  assert.deepEqual(byName["$identify/user-1"].$set, { email: "a@b" });
  assert.deepEqual(byName["$identify/user-1"].$set_once, { first: "x" });
  assert.equal(byName["$create_alias/user-1"].alias, "a@b");
  const group = byName["$groupidentify/user-1"];
  assert.deepEqual([group.$group_type, group.$group_key, group.$group_set], ["company", "acme", { name: "Acme" }]);
  assert.deepEqual(byName["$set/user-1"].$set, { plan: "pro" });
  assert.deepEqual(byName["$set_once/user-1"].$set_once, { source: "ad" });
  assert.deepEqual(byName["purchase/user-1"].$groups, { company: "acme" });
  assert.equal(byName["purchase/user-2"].$groups, undefined);
});

test("429, 5xx and network errors are retried with the same uuids", async () => {
  const fetch = fakeFetch({ status: 429, headers: { "Retry-After": "0.2" } }, "network", 503);
  const heron = client(fetch);
  heron.capture({ distinctId: "u1", event: "a" });
  await heron.flush();
  assert.equal(fetch.calls.length, 4);
  assert.ok(fetch.calls[1].at - fetch.calls[0].at >= 195, "waited for Retry-After");
  assert.equal(new Set(fetch.events().map((event) => event.uuid)).size, 1);
  assert.deepEqual(heron.stats, { sent: 1, rejected: 0, dropped: 0, failed: 0 });
  await heron.shutdown();
});

for (const status of [400, 401, 413]) {
  test(`a ${status} is not retried; the batch is dropped and counted`, async () => {
    const fetch = fakeFetch(status);
    const errors = [];
    const heron = client(fetch, { onError: (error) => errors.push(error.message) });
    heron.capture({ distinctId: "u1", event: "a" });
    heron.capture({ distinctId: "u1", event: "b" });
    await heron.flush();
    assert.equal(fetch.calls.length, 1);
    assert.deepEqual(heron.stats, { sent: 0, rejected: 2, dropped: 0, failed: 0 });
    assert.match(errors[0], new RegExp(`HTTP ${status}`));
    await heron.shutdown();
  });
}

test("retries run out", async () => {
  const fetch = fakeFetch(503, 503, 503);
  const heron = client(fetch, { maxRetries: 2 });
  heron.capture({ distinctId: "u1", event: "a" });
  await heron.flush();
  assert.equal(fetch.calls.length, 3);
  assert.equal(heron.stats.failed, 1);
  await heron.shutdown();
});

test("a full queue drops and counts", async () => {
  const fetch = fakeFetch();
  const heron = client(fetch, { maxQueueSize: 2, flushInterval: 60000 });
  const ids = [0, 1, 2, 3].map(() => heron.capture({ distinctId: "u1", event: "e" }));
  assert.deepEqual(ids.slice(2), [null, null]);
  assert.equal(heron.stats.dropped, 2);
  await heron.shutdown();
  assert.equal(fetch.events().length, 2);
});

test("shutdown flushes, then drops later events", async () => {
  const fetch = fakeFetch();
  const heron = client(fetch, { flushInterval: 60000 });
  heron.capture({ distinctId: "u1", event: "a" });
  assert.equal(await heron.shutdown(), true);
  assert.equal(heron.capture({ distinctId: "u1", event: "b" }), null);
  assert.equal(fetch.events().length, 1);
  assert.equal(heron.stats.dropped, 1);
});

test("shutdown gives up retrying when its time runs out", async () => {
  const fetch = fakeFetch(...Array(100).fill(503));
  const heron = client(fetch, { backoffBase: 5000, backoffMax: 5000 });
  heron.capture({ distinctId: "u1", event: "a" });
  const started = Date.now();
  assert.equal(await heron.shutdown(200), false);
  assert.ok(Date.now() - started < 3000);
  assert.equal(heron.stats.failed, 1);
});

test("names are checked", () => {
  const heron = client(fakeFetch());
  assert.throws(() => heron.capture({ distinctId: "", event: "e" }), TypeError);
  assert.throws(() => heron.capture({ distinctId: "u1", event: "" }), TypeError);
  assert.throws(() => new Heron(""), TypeError);
});

test("queued events are sent before the process exits", () => {
  const module = fileURLToPath(new URL("../src/node.js", import.meta.url));
  const script = `
    import { Heron } from ${JSON.stringify(module)};
    const fetch = async (url, init) => {
      process.stdout.write(JSON.stringify({ url }) + "\\n");
      return new Response(JSON.stringify({ accepted: 1, errors: [] }));
    };
    const heron = new Heron("wk", { host: "http://heron.test", fetch, flushInterval: 60000 });
    heron.capture({ distinctId: "u1", event: "at-exit" });
  `;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.deepEqual(
    out.trim().split("\n").map((line) => JSON.parse(line).url),
    ["http://heron.test/v1/events"],
  );
});
