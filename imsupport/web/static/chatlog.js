// The chat's log on the web chat page: one <li> per event the visitor may
// see (the back end's SSE `chat` events, ephemeral `notice` events, and the
// visitor's own messages while they are on their way). Every text from the
// service, an operator or the visitor goes in with textContent only.

const IMAGE = /\.(png|jpe?g|gif|webp|avif|bmp)$/i;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

// A link only to http(s) addresses (a file's /f/... link); anything else is text.
export function safeUrl(url) {
  if (typeof url !== "string" || !url) return null;
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function when(at) {
  if (at === undefined || at === null || at === "") return null;
  const value = typeof at === "number" ? new Date(at < 1e12 ? at * 1000 : at) : new Date(at);
  return Number.isNaN(value.getTime()) ? null : value;
}

export class ChatLog {
  constructor(list, t, lang) {
    this.list = list;
    this.t = t;
    this.clock = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });
    this.pending = [];  // the visitor's messages not yet back from the service
  }

  clear() {
    this.list.replaceChildren();
    this.pending = [];
  }

  nearBottom() {
    const l = this.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 80;
  }

  toEnd() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  add(item) {
    const follow = this.nearBottom();
    this.list.append(item);
    if (follow) this.list.scrollTop = this.list.scrollHeight;
    return item;
  }

  stamp(bubble, at) {
    const date = when(at);
    if (date) {
      const time = el("time", null, this.clock.format(date));
      time.dateTime = date.toISOString();
      bubble.append(time);
    }
  }

  bubble(mine, who, at) {
    const item = el("li", mine ? "mine" : "theirs");
    const bubble = el("div", "msg");
    bubble.append(el("span", "who", who));
    item.append(bubble);
    return { item, bubble, at };
  }

  // A stored event: { seq, at, kind, author, name, text, key, url, state, position }.
  event(ev) {
    const mine = ev.author === "client";
    const who = mine ? this.t("you") : (ev.name || this.t("operator"));
    if (ev.kind === "message") {
      if (ev.author === "system") return this.note(ev.text);
      if (mine) this.settle(ev.text);
      const { item, bubble } = this.bubble(mine, who);
      bubble.append(document.createTextNode(ev.text ?? ""));
      this.stamp(bubble, ev.at);
      item.dataset.seq = String(ev.seq ?? "");
      return this.add(item);
    }
    if (ev.kind === "file") {
      const { item, bubble } = this.bubble(mine, ev.author === "system" ? this.t("service") : who);
      this.fileBody(bubble, ev);
      this.stamp(bubble, ev.at);
      return this.add(item);
    }
    if (ev.text) return this.note(ev.text);
    return null;
  }

  fileBody(bubble, ev) {
    const name = ev.text || (ev.url ? decodeURIComponent(ev.url.split("/").pop() || "") : "");
    const href = safeUrl(ev.url);
    if (!href) {
      bubble.append(document.createTextNode(this.t("file_link", { name })));
      return;
    }
    const link = el("a", null, this.t("file_link", { name }));
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    bubble.append(link);
    if (IMAGE.test(name) && new URL(href).origin === location.origin) {
      const image = el("img");
      image.alt = name;
      image.loading = "lazy";
      image.src = href;
      bubble.append(image);
    }
  }

  note(text) {
    if (!text) return null;
    const item = el("li", "system");
    item.append(el("p", "note", text));
    return this.add(item);
  }

  // The visitor's message, shown at once, greyed until the service has it.
  sending(text) {
    const { item, bubble } = this.bubble(true, this.t("you"));
    item.classList.add("pending");
    bubble.append(document.createTextNode(text));
    this.pending.push({ text, item });
    return this.add(item);
  }

  failed(item, reason) {
    this.pending = this.pending.filter((p) => p.item !== item);
    item.classList.remove("pending");
    item.classList.add("failed");
    item.append(el("p", "error", this.t("sending_failed", { reason })));
  }

  // The service's copy of a message the visitor sent replaces the grey one.
  settle(text) {
    const index = this.pending.findIndex((p) => p.text === text);
    if (index >= 0) {
      this.pending[index].item.remove();
      this.pending.splice(index, 1);
    }
  }
}
