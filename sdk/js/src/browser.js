// Heron's browser SDK: pageviews (incl. single-page apps), click autocapture, sessions,
// identity, batching with sendBeacon on page hide, opt-out and Do-Not-Track.
import { clickTarget, describeClick } from "./autocapture.js";
import { LIB_VERSION, backoffDelay, batchBody, makeEvent, parseRetryAfter, uuid4, verdictFor } from "./core.js";
import { openStorage } from "./storage.js";

export const LIB = "heron-js";
const BODY_LIMIT = 60000; // bytes: browsers cap sendBeacon and keepalive bodies at 64 KiB
const UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
const DEFAULTS = {
  host: null,
  autocapture: false,
  capture_pageview: true,
  respect_dnt: true,
  persistence: "localStorage",
  batch_size: 10,
  flush_interval: 1000,
  max_queue_size: 1000,
  max_retries: 10,
  session_timeout_minutes: 30,
};

function bytes(text) {
  return new TextEncoder().encode(text).length;
}

export class Heron {
  /** `win` is the window to work in (the real one unless a test passes its own). */
  constructor(win = globalThis) {
    this.win = win;
    this.config = null;
    this.queue = [];
    this.retrying = new Map();
    this.dropped = 0;
  }

  /**
   * Start capturing. Options: host (Heron's URL; default this page's origin),
   * autocapture (clicks, default false), capture_pageview (default true, incl. history
   * navigation), respect_dnt (default true), persistence ("localStorage" | "sessionStorage" |
   * "cookie" | "memory"), batch_size, flush_interval (ms), max_queue_size, max_retries,
   * session_timeout_minutes (default 30).
   */
  init(writeKey, options = {}) {
    if (this.config) return this;
    if (!writeKey) throw new TypeError("heron.init needs a write key");
    const win = this.win;
    this.writeKey = writeKey;
    this.config = { ...DEFAULTS, ...options };
    const host = this.config.host || win.location.origin;
    this.url = `${host.replace(/\/+$/, "")}/v1/events`;
    this.store = openStorage(win, this.config.persistence, `heron_${writeKey}`);
    this.state = this.store.load() || {};
    if (!this.state.distinct_id) this._newIdentity();
    this._save();
    const hide = () => this._flushOnHide();
    win.document.addEventListener("visibilitychange", () => {
      if (win.document.visibilityState === "hidden") hide();
    });
    win.addEventListener("pagehide", hide);
    if (this.config.capture_pageview) {
      this._hookHistory();
      this.capture("$pageview");
    }
    if (this.config.autocapture) {
      win.document.addEventListener("click", (event) => this._onClick(event), true);
    }
    return this;
  }

  /** Queue an event with the page's context; returns its uuid, or null when not captured. */
  capture(event, properties, options = {}) {
    if (!this.config || this._blocked()) return null;
    properties = properties || {};
    const props = { ...this._context(), ...(this.state.super || {}), ...properties };
    const groups = { ...(this.state.groups || {}), ...(properties.$groups || {}) };
    if (Object.keys(groups).length) props.$groups = groups;
    if (event === "$pageview") {
      this.lastPage = this._page();
      props.$title = this.win.document.title;
    }
    const built = makeEvent(this.state.distinct_id, event, props, options);
    if (this.queue.length >= this.config.max_queue_size) {
      this.dropped += 1;
      return null;
    }
    this.queue.push(built);
    if (this.queue.length >= this.config.batch_size) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.config.flush_interval);
    return built.uuid;
  }

  /** Link this browser's anonymous id to a known user (`$identify`), setting person properties. */
  identify(distinctId, set, setOnce) {
    if (!this.config || !distinctId) return null;
    const previous = this.state.distinct_id;
    if (String(distinctId) === previous) {
      if (!set && !setOnce) return null;
      return this.capture("$set", { ...(set ? { $set: set } : {}), ...(setOnce ? { $set_once: setOnce } : {}) });
    }
    this.state.distinct_id = String(distinctId);
    this.state.identified = true;
    this._save();
    const props = { $anon_distinct_id: previous };
    if (set) props.$set = set;
    if (setOnce) props.$set_once = setOnce;
    return this.capture("$identify", props);
  }

  /** `$create_alias`: `alias` becomes another id of the current user. */
  alias(alias) {
    return this.capture("$create_alias", { alias: String(alias) });
  }

  /** `$groupidentify`; later events carry the group in `$groups`. */
  group(groupType, groupKey, properties = {}) {
    if (!this.config) return null;
    this.state.groups = { ...(this.state.groups || {}), [groupType]: String(groupKey) };
    this._save();
    return this.capture("$groupidentify", {
      $group_type: groupType,
      $group_key: String(groupKey),
      $group_set: { ...properties },
    });
  }

  /** Properties added to every later event (persisted). */
  register(properties) {
    if (!this.config) return;
    this.state.super = { ...(this.state.super || {}), ...properties };
    this._save();
  }

  /** Forget the user (log out): a new anonymous id and session; groups and properties cleared. */
  reset() {
    if (!this.config) return;
    this._newIdentity();
    this._save();
  }

  opt_out_capturing() {
    if (!this.config) return;
    this.state.opted_out = true;
    this.queue = [];
    this._save();
  }

  opt_in_capturing() {
    if (!this.config) return;
    this.state.opted_out = false;
    this._save();
  }

  has_opted_out_capturing() {
    return Boolean(this.state?.opted_out);
  }

  get_distinct_id() {
    return this.state?.distinct_id ?? null;
  }

  get_session_id() {
    return this.state?.session?.id ?? null;
  }

  /** Send everything queued now (fetch); resolves when these requests have settled. */
  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    const sends = [];
    for (const batch of this._chunks(this.queue.splice(0))) sends.push(this._send(batch, 0));
    return Promise.all(sends);
  }

  _blocked() {
    if (this.state.opted_out) return true;
    const nav = this.win.navigator || {};
    const dnt = [nav.doNotTrack, this.win.doNotTrack, nav.msDoNotTrack].some((v) => v === "1" || v === "yes");
    return this.config.respect_dnt && dnt;
  }

  _newIdentity() {
    const optedOut = this.state?.opted_out;
    this.state = { distinct_id: uuid4(), identified: false };
    if (optedOut) this.state.opted_out = true;
  }

  _save() {
    this.store.save(this.state);
  }

  _session(now) {
    const timeout = this.config.session_timeout_minutes * 60000;
    let session = this.state.session;
    if (!session || now - session.last > timeout || now < session.last - timeout) {
      session = { id: uuid4(), start: now };
    }
    session.last = now;
    this.state.session = session;
    this._save();
    return session.id;
  }

  _page() {
    const { pathname, search } = this.win.location;
    return pathname + search;
  }

  _context() {
    const { location, document, navigator = {}, screen } = this.win;
    const props = {
      $current_url: location.href,
      $host: location.host,
      $pathname: location.pathname,
      $lib: LIB,
      $lib_version: LIB_VERSION,
      $session_id: this._session(Date.now()),
    };
    if (document.referrer) props.$referrer = document.referrer;
    if (navigator.userAgent) props.$raw_user_agent = navigator.userAgent;
    if (navigator.language) props.$browser_language = navigator.language;
    if (screen) Object.assign(props, { $screen_width: screen.width, $screen_height: screen.height });
    const params = new URLSearchParams(location.search);
    for (const key of UTM) if (params.get(key)) props[key] = params.get(key);
    return props;
  }

  _hookHistory() {
    const { history } = this.win;
    const onNavigate = () => {
      if (this._page() !== this.lastPage) this.capture("$pageview");
    };
    for (const name of ["pushState", "replaceState"]) {
      const original = history[name];
      if (typeof original !== "function") continue;
      history[name] = function (...args) {
        const result = original.apply(this, args);
        onNavigate();
        return result;
      };
    }
    this.win.addEventListener("popstate", onNavigate);
  }

  _onClick(event) {
    const el = clickTarget(event.target);
    if (el) this.capture("$autocapture", describeClick(el));
  }

  /** Split events into batches of at most `batch_size` whose bodies fit BODY_LIMIT. */
  _chunks(events) {
    const batches = [];
    let batch = [];
    let size = 200;
    for (const event of events) {
      const length = bytes(JSON.stringify(event)) + 1;
      if (batch.length && (batch.length >= this.config.batch_size || size + length > BODY_LIMIT)) {
        batches.push(batch);
        batch = [];
        size = 200;
      }
      batch.push(event);
      size += length;
    }
    if (batch.length) batches.push(batch);
    return batches;
  }

  _body(batch) {
    return batchBody(batch, { api_key: this.writeKey });
  }

  // A text/plain body with the key inside is a "simple" request: no CORS preflight.
  async _send(batch, attempt) {
    const body = this._body(batch);
    let verdict = "retry";
    let retryAfter = null;
    try {
      const response = await this.win.fetch(this.url, {
        method: "POST",
        body,
        headers: { "Content-Type": "text/plain" },
        keepalive: bytes(body) < BODY_LIMIT,
        credentials: "omit",
      });
      verdict = verdictFor(response.status);
      retryAfter = parseRetryAfter(response.headers.get("retry-after"));
    } catch {
      verdict = "retry";
    }
    if (verdict !== "retry" || attempt >= this.config.max_retries) return verdict;
    const delay = backoffDelay(attempt, retryAfter, { base: 1000, cap: 30000 });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.retrying.delete(timer);
        resolve(this._send(batch, attempt + 1));
      }, delay);
      this.retrying.set(timer, { batch, resolve });
    });
  }

  // The page may be going away: hand everything (queued and waiting to retry) to sendBeacon.
  _flushOnHide() {
    if (!this.config) return;
    clearTimeout(this.timer);
    this.timer = null;
    const events = this.queue.splice(0);
    for (const [timer, waiting] of this.retrying) {
      clearTimeout(timer);
      events.push(...waiting.batch);
      waiting.resolve("beacon");
    }
    this.retrying.clear();
    const nav = this.win.navigator || {};
    for (const batch of this._chunks(events)) {
      const body = this._body(batch);
      const sent =
        typeof nav.sendBeacon === "function" &&
        nav.sendBeacon(this.url, new Blob([body], { type: "text/plain;charset=UTF-8" }));
      if (!sent) this._send(batch, this.config.max_retries);
    }
  }
}

/** The page's instance. The snippet's queued calls (window.heron = [[method, ...args]]) replay. */
export const heron = new Heron(typeof window === "undefined" ? globalThis : window);

if (typeof window !== "undefined") {
  const stub = window.heron;
  window.heron = heron;
  if (Array.isArray(stub)) {
    for (const [method, ...args] of stub) {
      if (typeof heron[method] === "function") heron[method](...args);
    }
  }
}

export default heron;
