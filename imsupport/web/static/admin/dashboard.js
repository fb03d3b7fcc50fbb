// The live dashboard (/admin/): redraws #live from the server's "state"
// events (/admin/live, Server-Sent Events) and counts waits and talk times
// on between them. Every text goes in with textContent, never as markup.
"use strict";

(function () {
  const live = document.getElementById("live");
  const note = document.getElementById("live-note");
  if (!live || !window.EventSource) {
    return;
  }
  const COUNTS = [["total", "Operators"], ["online", "Online"], ["in_chats", "In a chat"],
    ["free", "Free"], ["busy", "Busy"], ["afk", "Away"], ["offline", "Offline"]];
  let received = Date.now();

  function el(name, attrs, ...children) {
    const node = document.createElement(name);
    for (const [key, value] of Object.entries(attrs || {})) {
      node.setAttribute(key, value);
    }
    for (const child of children) {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function duration(seconds) {
    const whole = Math.max(0, Math.floor(seconds));
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = String(whole % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  }

  function ticking(seconds) {
    return el("span", { class: "ticking", "data-s": String(Math.round(seconds)) },
      duration(seconds));
  }

  function table(head, rows, empty) {
    if (!rows.length) {
      return el("p", { class: "empty" }, empty);
    }
    return el("table", {},
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, ...rows.map((row) => el("tr", {}, ...row.map((cell) => el("td", {}, cell))))));
  }

  function counts(values) {
    return el("dl", { class: "counts" }, ...COUNTS.map(([key, label]) =>
      el("div", {}, el("dt", {}, label), el("dd", { "data-count": key }, String(values[key])))));
  }

  function chatLink(chat) {
    return el("a", { href: `/admin/chats/${encodeURIComponent(chat.id)}` }, `#${chat.id}`);
  }

  function nodeSection(node) {
    const queued = node.queued.map((c) => [chatLink(c), c.client_shown, c.languages.join(", "),
      c.first_line, ticking(c.waited_s)]);
    const active = node.active.map((c) => [chatLink(c), c.client_shown,
      c.operator_names.join(", "), ticking(c.talking_s)]);
    return el("section", { class: "node", "data-node": node.name },
      el("h2", {}, node.title, " ", el("small", {}, `(${node.name}: ${node.mode})`)),
      counts(node.operators),
      el("h3", {}, `Queued: ${node.queued.length}`),
      table(["Chat", "Client", "Languages", "First line", "Waiting"], queued, "Nobody is waiting."),
      el("h3", {}, `In chats: ${node.active.length}`),
      table(["Chat", "Client", "Operators", "Talking"], active, "No chat is open."));
  }

  function draw(state) {
    if (state.starting) {
      live.replaceChildren(el("p", {}, "The service is starting; this page fills in when it is up."));
      return;
    }
    const operators = state.operators_list.map((o) => [o.name, o.jid, o.state,
      `${o.chats.length} of ${o.max_chats}`, o.nodes.join(", ")]);
    live.replaceChildren(
      el("section", { class: "summary" },
        el("p", {}, el("strong", {}, String(state.queued)), " waiting, ",
          el("strong", {}, String(state.active)), " in chats"),
        counts(state.operators)),
      ...state.nodes.map(nodeSection),
      el("section", { class: "operators" }, el("h2", {}, "Operators"),
        table(["Name", "Address", "State", "Chats", "Nodes"], operators,
          "No operators are configured.")));
  }

  function tick() {
    const gone = (Date.now() - received) / 1000;
    for (const span of live.querySelectorAll("span.ticking")) {
      span.textContent = duration(Number(span.dataset.s) + gone);
    }
  }

  const source = new EventSource(live.dataset.src);
  source.addEventListener("state", (event) => {
    received = Date.now();
    draw(JSON.parse(event.data));
    if (note) {
      note.textContent = `Updated live; last change ${new Date().toLocaleTimeString()}.`;
    }
  });
  source.addEventListener("error", () => {
    if (!note) {
      return;
    }
    // CLOSED: the reconnect met the log-in (the session ended); else it retries
    note.textContent = source.readyState === EventSource.CLOSED
      ? "Live updates stopped: your session has ended. Reload the page to log in again."
      : "The live connection dropped; trying again...";
  });
  window.setInterval(tick, 1000);
})();
