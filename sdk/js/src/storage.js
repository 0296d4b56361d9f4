// Where the browser SDK keeps its state: localStorage, else a cookie, else memory.

const YEAR_SECONDS = 365 * 24 * 3600;

function webStorage(win, kind) {
  try {
    const storage = win[kind];
    const probe = "__heron_probe__";
    storage.setItem(probe, "1");
    storage.removeItem(probe);
    return storage;
  } catch {
    return null;
  }
}

function fromStorage(storage, name) {
  return {
    kind: "storage",
    load() {
      try {
        return JSON.parse(storage.getItem(name) || "null");
      } catch {
        return null;
      }
    },
    save(value) {
      try {
        storage.setItem(name, JSON.stringify(value));
      } catch {
        // Quota exceeded or storage revoked: keep going with the state in memory.
      }
    },
  };
}

function fromCookie(doc, name, secure) {
  const key = encodeURIComponent(name);
  return {
    kind: "cookie",
    load() {
      for (const part of String(doc.cookie || "").split(/;\s*/)) {
        const at = part.indexOf("=");
        if (at > 0 && part.slice(0, at) === key) {
          try {
            return JSON.parse(decodeURIComponent(part.slice(at + 1)));
          } catch {
            return null;
          }
        }
      }
      return null;
    },
    save(value) {
      const flags = `; path=/; max-age=${YEAR_SECONDS}; SameSite=Lax${secure ? "; Secure" : ""}`;
      doc.cookie = `${key}=${encodeURIComponent(JSON.stringify(value))}${flags}`;
    },
  };
}

function inMemory() {
  let value = null;
  return {
    kind: "memory",
    load: () => value,
    save(next) {
      value = JSON.parse(JSON.stringify(next));
    },
  };
}

function cookiesWork(doc) {
  try {
    doc.cookie = "__heron_probe__=1; path=/; SameSite=Lax";
    const works = String(doc.cookie).includes("__heron_probe__=1");
    doc.cookie = "__heron_probe__=; path=/; max-age=0";
    return works;
  } catch {
    return false;
  }
}

/**
 * A `{kind, load(), save(value)}` store of one JSON object under `name`.
 * `persistence`: "localStorage" (default; falls back to a cookie, then memory),
 * "sessionStorage", "cookie" or "memory".
 */
export function openStorage(win, persistence, name) {
  if (persistence === "memory") return inMemory();
  if (persistence !== "cookie") {
    const storage = webStorage(win, persistence === "sessionStorage" ? "sessionStorage" : "localStorage");
    if (storage) return fromStorage(storage, name);
  }
  const doc = win.document;
  if (doc && cookiesWork(doc)) return fromCookie(doc, name, win.location?.protocol === "https:");
  return inMemory();
}
