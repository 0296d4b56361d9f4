// A small stand-in for the parts of a browser window the SDK touches.

class FakeLocation {
  constructor(url) {
    this.url = new URL(url);
  }
  get href() {
    return this.url.href;
  }
  get origin() {
    return this.url.origin;
  }
  get host() {
    return this.url.host;
  }
  get pathname() {
    return this.url.pathname;
  }
  get search() {
    return this.url.search;
  }
  get protocol() {
    return this.url.protocol;
  }
}

function listenerTarget() {
  const handlers = {};
  return {
    addEventListener(type, handler) {
      (handlers[type] ||= []).push(handler);
    },
    dispatch(type, event = {}) {
      for (const handler of handlers[type] || []) handler({ type, ...event });
    },
  };
}

export function memoryStorage() {
  const items = new Map();
  return {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  };
}

/** An element for autocapture tests: el("button", {id, className, attrs, text}, ...children). */
export function el(tag, { id = "", className = "", attrs = {}, text = "", value = "" } = {}, ...children) {
  const node = {
    nodeType: 1,
    tagName: tag.toUpperCase(),
    id,
    className,
    value,
    parentElement: null,
    children,
    getAttribute: (name) => (name in attrs ? attrs[name] : name === "class" ? className : null),
    hasAttribute: (name) => name in attrs,
    get textContent() {
      return text + children.map((child) => child.textContent).join(" ");
    },
  };
  for (const child of children) child.parentElement = node;
  return node;
}

/**
 * A window at `url`. `responses` scripts fetch answers (a status, {status, headers}, or
 * "network" to reject); `requests` records every fetch and beacon with its parsed body.
 */
export function fakeWindow({
  url = "https://shop.example/pricing?utm_source=newsletter&utm_campaign=spring",
  referrer = "https://search.example/?q=heron",
  doNotTrack = null,
  localStorage = memoryStorage(),
  beacon = true,
  responses = [],
} = {}) {
  const win = listenerTarget();
  const document = listenerTarget();
  Object.assign(document, { title: "Pricing", referrer, visibilityState: "visible", cookie: "" });
  const location = new FakeLocation(url);
  const requests = [];
  const navigate = (to) => {
    location.url = new URL(to, location.href);
  };
  Object.assign(win, {
    document,
    location,
    localStorage,
    requests,
    responses,
    doNotTrack: null,
    screen: { width: 1280, height: 800 },
    navigator: { userAgent: "FakeBrowser/1.0", language: "en-GB", doNotTrack },
    history: {
      pushState: (state, title, to) => navigate(to),
      replaceState: (state, title, to) => navigate(to),
    },
    back(to) {
      navigate(to);
      win.dispatch("popstate");
    },
    hide() {
      document.visibilityState = "hidden";
      document.dispatch("visibilitychange");
    },
    async fetch(target, init) {
      requests.push({ kind: "fetch", url: target, init, body: JSON.parse(init.body) });
      const answer = responses.length ? responses.shift() : 200;
      if (answer === "network") throw new TypeError("Failed to fetch");
      const { status, headers = {} } = typeof answer === "number" ? { status: answer } : answer;
      return { status, headers: new Headers(headers) };
    },
    /** Every request's parsed body, beacons included (their Blobs are read here). */
    async bodies() {
      for (const request of requests) {
        if (request.blob && !request.body) request.body = JSON.parse(await request.blob.text());
      }
      return requests.map((request) => request.body);
    },
    async events() {
      return (await win.bodies()).flatMap((body) => body.batch);
    },
  });
  if (beacon) {
    win.navigator.sendBeacon = (target, blob) => {
      requests.push({ kind: "beacon", url: target, blob, type: blob.type });
      return beacon !== "refuse";
    };
  }
  return win;
}

/** Let pending promise callbacks run. */
export function settle() {
  return new Promise((resolve) => setImmediate(resolve));
}
