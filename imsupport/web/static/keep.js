// Where the web chat page keeps the visitor's token (so that a reload or a
// return continues the chat) and the events it has shown (so that a reload
// resumes the stream after the last one).
//
// The token goes to localStorage, the events to sessionStorage. Inside the
// widget the page is a third party of the shop's site, and a browser that
// blocks third-party storage denies both: then the widget's loader keeps
// the token in the shop page's own storage, asked and told by postMessage
// (only the parent window is listened to), and the events stay in memory,
// so a reload replays the whole chat from the service.

const PROBE = "imsupport.probe";
const ASK_TIMEOUT = 1500;  // ms to wait for the loader's answer

function usable(name) {
  try {
    const storage = window[name];
    storage.setItem(PROBE, "1");
    storage.removeItem(PROBE);
    return storage;
  } catch {
    return null;
  }
}

function read(storage, key) {
  try { return JSON.parse(storage.getItem(key) || "null"); } catch { return null; }
}

function write(storage, key, value) {
  try { storage.setItem(key, JSON.stringify(value)); } catch { /* full */ }
}

export class Keeper {
  constructor(key, embed) {
    this.key = key;
    this.local = usable("localStorage");
    this.session = usable("sessionStorage");
    this.host = !this.local && embed && window.parent !== window ? window.parent : null;
    this.hostOrigin = location.ancestorOrigins?.[0] || "*";
    this.memory = { visitor: null, events: null };
  }

  tellHost(action, visitor) {
    this.host.postMessage({ type: "imsupport-widget", action, visitor }, this.hostOrigin);
  }

  // The visitor kept from before ({ token, client }), or null.
  visitor() {
    if (this.local) return Promise.resolve(read(this.local, this.key));
    if (!this.host) return Promise.resolve(this.memory.visitor);
    return new Promise((resolve) => {
      const done = (value) => {
        window.removeEventListener("message", answer);
        clearTimeout(timer);
        resolve(value);
      };
      const answer = (event) => {
        const data = event.data;
        if (event.source !== this.host || !data || data.type !== "imsupport-widget"
            || data.action !== "visitor") return;
        const v = data.visitor;
        done(v && typeof v.token === "string" ? { token: v.token, client: v.client } : null);
      };
      const timer = setTimeout(() => done(null), ASK_TIMEOUT);
      window.addEventListener("message", answer);
      this.tellHost("ask", null);
    });
  }

  keepVisitor(visitor) {
    this.memory.visitor = visitor;
    if (this.local) write(this.local, this.key, visitor);
    else if (this.host) this.tellHost("keep", visitor);
  }

  events(token) {
    const cache = this.session ? read(this.session, this.key + ".events") : this.memory.events;
    return cache && cache.token === token ? cache : { token, events: [], last: null };
  }

  keepEvents(cache) {
    this.memory.events = cache;
    if (this.session) write(this.session, this.key + ".events", cache);
  }

  forget() {
    this.memory = { visitor: null, events: null };
    try {
      this.local?.removeItem(this.key);
      this.session?.removeItem(this.key + ".events");
    } catch { /* storage gone */ }
    if (this.host) this.tellHost("forget", null);
  }
}
