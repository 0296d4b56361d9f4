import assert from "node:assert/strict";
import { test } from "node:test";

import { Heron } from "../src/browser.js";
import { el, fakeWindow, memoryStorage, settle } from "./fake-browser.js";

const MANUAL = { flush_interval: 60000, batch_size: 100, host: "https://heron.example/" };

function start(win, options = {}) {
  return new Heron(win).init("wk", { ...MANUAL, ...options });
}

test("init captures a pageview with the page, referrer, UTM and session", async () => {
  const win = fakeWindow();
  const heron = start(win);
  await heron.flush();
  const [request] = win.requests;
  assert.equal(request.url, "https://heron.example/v1/events");
  assert.equal(request.init.headers["Content-Type"], "text/plain");
  assert.equal(request.init.keepalive, true);
  assert.equal(request.body.api_key, "wk");
  assert.ok(request.body.sent_at);
  const [pageview] = request.body.batch;
  assert.equal(pageview.event, "$pageview");
  assert.equal(pageview.distinct_id, heron.get_distinct_id());
  const props = pageview.properties;
  assert.equal(props.$current_url, "https://shop.example/pricing?utm_source=newsletter&utm_campaign=spring");
  assert.equal(props.$pathname, "/pricing");
  assert.equal(props.$referrer, "https://search.example/?q=heron");
  assert.equal(props.utm_source, "newsletter");
  assert.equal(props.utm_campaign, "spring");
  assert.equal(props.$title, "Pricing");
  assert.equal(props.$lib, "heron-js");
  assert.equal(props.$session_id, heron.get_session_id());
  assert.equal(props.$raw_user_agent, "FakeBrowser/1.0");
});

test("single-page navigation is a pageview; the same URL again is not", async () => {
  const win = fakeWindow();
  const heron = start(win);
  win.history.pushState({}, "", "/checkout");
  win.history.replaceState({}, "", "/checkout");
  win.history.replaceState({}, "", "/checkout?step=2");
  win.back("/pricing");
  await heron.flush();
  const paths = (await win.events()).map((event) => event.properties.$pathname);
  assert.deepEqual(paths, ["/pricing", "/checkout", "/checkout", "/pricing"]);
  assert.equal((await win.events())[2].properties.$current_url, "https://shop.example/checkout?step=2");
});

test("pageviews can be turned off", async () => {
  const win = fakeWindow();
  const heron = start(win, { capture_pageview: false });
  win.history.pushState({}, "", "/checkout");
  await heron.flush();
  assert.equal(win.requests.length, 0);
});

test("the anonymous id and session survive a reload; reset starts afresh", async () => {
  const localStorage = memoryStorage();
  const first = start(fakeWindow({ localStorage }));
  const second = start(fakeWindow({ localStorage }));
  assert.equal(second.get_distinct_id(), first.get_distinct_id());
  assert.equal(second.get_session_id(), first.get_session_id());
  second.reset();
  assert.notEqual(second.get_distinct_id(), first.get_distinct_id());
  assert.notEqual(second.get_session_id(), first.get_session_id());
  await first.flush();
  await second.flush();
});

test("a cookie keeps the state when localStorage is unavailable", async () => {
  const broken = { getItem() {}, setItem() { throw new Error("denied"); }, removeItem() {} };
  const win = fakeWindow({ localStorage: broken });
  let jar = "";
  Object.defineProperty(win.document, "cookie", {
    get: () => jar,
    set: (value) => {
      const [pair, ...flags] = value.split("; ");
      const name = pair.split("=")[0];
      const kept = jar.split("; ").filter((part) => part && !part.startsWith(`${name}=`));
      if (!flags.includes("max-age=0")) kept.push(pair);
      jar = kept.join("; ");
    },
  });
  const heron = start(win);
  assert.equal(heron.store.kind, "cookie");
  assert.ok(jar.includes(`heron_wk=`));
  const again = start({ ...win, requests: [] });
  assert.equal(again.get_distinct_id(), heron.get_distinct_id());
  await heron.flush();
  await again.flush();
});

test("a session ends after 30 minutes without events", async () => {
  const win = fakeWindow();
  const heron = start(win);
  const first = heron.get_session_id();
  heron.capture("later");
  assert.equal(heron.get_session_id(), first);
  heron.state.session.last -= 31 * 60000;
  heron.capture("much later");
  assert.notEqual(heron.get_session_id(), first);
  await heron.flush();
  const sessions = (await win.events()).map((event) => event.properties.$session_id);
  assert.deepEqual(sessions, [first, first, heron.get_session_id()]);
});

test("identify links the anonymous id; later events are the user's", async () => {
  const win = fakeWindow();
  const heron = start(win);
  const anonymous = heron.get_distinct_id();
  heron.identify("user-1", { email: "ada@example.com" }, { first_seen: "2026-01-01" });
  heron.identify("user-1");
  heron.identify("user-1", { plan: "pro" });
  heron.alias("ada");
  heron.capture("purchase", { amount: 3 });
  await heron.flush();
  const events = await win.events();
  assert.deepEqual(events.map((e) => [e.event, e.distinct_id]), [
    ["$pageview", anonymous],
    ["$identify", "user-1"],
    ["$set", "user-1"],
    ["$create_alias", "user-1"],
    ["purchase", "user-1"],
  ]);
  assert.equal(events[1].properties.$anon_distinct_id, anonymous);
  assert.deepEqual(events[1].properties.$set, { email: "ada@example.com" });
  assert.deepEqual(events[1].properties.$set_once, { first_seen: "2026-01-01" });
  assert.deepEqual(events[2].properties.$set, { plan: "pro" });
  assert.equal(events[3].properties.alias, "ada");
});

test("groups and registered properties are added to later events", async () => {
  const win = fakeWindow();
  const heron = start(win, { capture_pageview: false });
  heron.group("company", "acme", { name: "Acme" });
  heron.register({ plan: "pro" });
  heron.capture("purchase");
  await heron.flush();
  const [group, purchase] = await win.events();
  assert.deepEqual(
    [group.properties.$group_type, group.properties.$group_key, group.properties.$group_set],
    ["company", "acme", { name: "Acme" }],
  );
  assert.deepEqual(purchase.properties.$groups, { company: "acme" });
  assert.equal(purchase.properties.plan, "pro");
});

test("autocapture describes the clicked control, not its inner element", async () => {
  const win = fakeWindow();
  const icon = el("span", { text: "Buy" });
  const button = el("button", { id: "buy", className: "btn primary" }, icon);
  const secret = el("input", { attrs: { type: "password" }, value: "hunter2" });
  const hidden = el("a", { attrs: { href: "/x", "data-heron-no-capture": "" }, text: "No" });
  const submit = el("input", { attrs: { type: "submit" }, value: "Send" });
  const link = el("a", { className: "nav", attrs: { href: "/docs" }, text: " Read   the docs " });
  const form = el("form", {}, secret, submit);
  el("body", {}, el("div", { className: "card" }, button, link, el("a", {}, el("em", { text: "2nd" }))), form, hidden);
  const heron = start(win, { autocapture: true, capture_pageview: false });
  for (const target of [icon, secret, hidden, submit, link, form]) win.document.dispatch("click", { target });
  await heron.flush();
  const clicks = (await win.events()).map((event) => event.properties);
  assert.equal(clicks.length, 3);
  assert.deepEqual(
    clicks.map((p) => [p.$el_tag, p.$el_text, p.$el_selector]),
    [
      ["button", "Buy", "button#buy"],
      ["input", "Send", "body > form > input:nth-of-type(2)"],
      ["a", "Read the docs", "body > div.card > a.nav:nth-of-type(1)"],
    ],
  );
  assert.deepEqual(clicks[0].$el_classes, ["btn", "primary"]);
  assert.equal(clicks[2].$el_href, "/docs");
  assert.ok(!JSON.stringify(clicks).includes("hunter2"));
});

test("without autocapture, clicks are not captured", async () => {
  const win = fakeWindow();
  const heron = start(win, { capture_pageview: false });
  win.document.dispatch("click", { target: el("button", { text: "Buy" }) });
  await heron.flush();
  assert.equal(win.requests.length, 0);
});

test("events are sent when the batch is full or the interval passes", async () => {
  const win = fakeWindow();
  const heron = start(win, { batch_size: 3, flush_interval: 30 });
  heron.capture("a");
  heron.capture("b");
  await settle();
  assert.equal(win.requests.length, 1, "the pageview, a and b fill a batch");
  heron.capture("c");
  for (let waited = 0; win.requests.length < 2 && waited < 5000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.deepEqual(win.requests.map((request) => request.body.batch.length), [3, 1]);
});

test("hiding the page sends the queue with sendBeacon, the key in the body", async () => {
  const win = fakeWindow();
  const heron = start(win);
  heron.capture("a");
  win.hide();
  assert.deepEqual(win.requests.map((request) => request.kind), ["beacon"]);
  assert.equal(win.requests[0].type, "text/plain;charset=utf-8");
  const [body] = await win.bodies();
  assert.equal(body.api_key, "wk");
  assert.deepEqual(body.batch.map((event) => event.event), ["$pageview", "a"]);
  heron.capture("b");
  win.dispatch("pagehide");
  assert.deepEqual((await win.events()).map((event) => event.event), ["$pageview", "a", "b"]);
});

test("when sendBeacon refuses, a keepalive fetch goes instead", async () => {
  const win = fakeWindow({ beacon: "refuse" });
  start(win);
  win.hide();
  await settle();
  assert.deepEqual(win.requests.map((request) => request.kind), ["beacon", "fetch"]);
  assert.equal(win.requests[1].init.keepalive, true);
});

test("failed sends are retried with backoff; a hidden page beacons them", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const win = fakeWindow({ responses: [503, "network", { status: 429, headers: { "Retry-After": "5" } }] });
  const heron = start(win);
  heron.flush();
  await settle();
  t.mock.timers.tick(1000);
  await settle();
  t.mock.timers.tick(2000);
  await settle();
  assert.equal(win.requests.length, 3);
  t.mock.timers.tick(4999);
  await settle();
  assert.equal(win.requests.length, 3, "Retry-After is respected");
  win.hide();
  const uuids = (await win.events()).map((event) => event.uuid);
  assert.equal(new Set(uuids).size, 1, "every attempt carries the same event");
  assert.deepEqual(win.requests.map((request) => request.kind), ["fetch", "fetch", "fetch", "beacon"]);
});

test("a refused batch (400/401/413) is not retried", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const win = fakeWindow({ responses: [401] });
  const heron = start(win);
  const [verdict] = await heron.flush();
  assert.equal(verdict, "reject");
  t.mock.timers.tick(60000);
  await settle();
  assert.equal(win.requests.length, 1);
});

test("opting out stops capture and is remembered", async () => {
  const localStorage = memoryStorage();
  const win = fakeWindow({ localStorage });
  const heron = start(win, { capture_pageview: false });
  heron.opt_out_capturing();
  assert.equal(heron.capture("nope"), null);
  const later = start(fakeWindow({ localStorage }));
  assert.equal(later.has_opted_out_capturing(), true);
  assert.equal(later.capture("still no"), null);
  later.opt_in_capturing();
  assert.ok(later.capture("yes"));
  await heron.flush();
  await later.flush();
  assert.equal(win.requests.length, 0);
});

test("Do Not Track is respected unless respect_dnt is false", async () => {
  const win = fakeWindow({ doNotTrack: "1" });
  const heron = start(win);
  assert.equal(heron.capture("x"), null);
  await heron.flush();
  assert.equal(win.requests.length, 0);
  const other = fakeWindow({ doNotTrack: "1" });
  const overridden = start(other, { respect_dnt: false });
  await overridden.flush();
  assert.equal(other.requests.length, 1);
});

test("calls queued by the snippet replay when the SDK loads", async () => {
  const win = fakeWindow();
  const stub = [];
  stub.push(["init", "wk", MANUAL], ["identify", "user-1"], ["capture", "from-snippet", { a: 1 }]);
  globalThis.window = Object.assign(win, { heron: stub });
  try {
    const { heron } = await import("../src/browser.js?snippet");
    assert.equal(globalThis.window.heron, heron);
    await heron.flush();
  } finally {
    delete globalThis.window;
  }
  const events = await win.events();
  assert.deepEqual(events.map((e) => [e.event, e.distinct_id]).slice(1), [
    ["$identify", "user-1"],
    ["from-snippet", "user-1"],
  ]);
});
