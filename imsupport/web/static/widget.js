// The web chat widget's loader, served at /widget.js. One tag on any site:
//   <script src="https://support.example/widget.js" data-node="sales" data-lang="ru" async></script>
// adds a button; pressing it opens the chat page /chat/{node}?embed=1 of the
// service that served this file in an iframe (a panel, full screen at phone
// widths). The chat lives in that iframe: the host page sees none of it;
// only "close", "activity", "wide" and "narrow" (the screenshot editor
// wants room) and, when the browser forbids the iframe storage
// of its own, the visitor's token to keep ("ask", "keep", "forget") come
// back, by postMessage, checked for origin and source. Optional attributes: data-label (the button's text). The
// host page's Content-Security-Policy, if any, must allow this script and
// the service in frame-src; the service's [web] widget_origins must name
// the host's origin.
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || !script.src) return;
  const origin = new URL(script.src, location.href).origin;
  const node = script.dataset.node || "";
  const registry = (window.imsupportWidgets = window.imsupportWidgets || {});
  if (!node || registry[origin + " " + node]) return;
  const wanted = (script.dataset.lang || document.documentElement.lang || navigator.language || "en");
  const TEXTS = {
    en: { open: "Chat with us", close: "Close the chat", title: "Support chat", unread: "new" },
    ru: { open: "Написать нам", close: "Закрыть чат", title: "Чат поддержки", unread: "новое" },
  };
  const lang = wanted.slice(0, 2).toLowerCase() in TEXTS ? wanted.slice(0, 2).toLowerCase() : "en";
  const texts = TEXTS[lang];
  const remembered = "imsupport-widget-open:" + origin + "/" + node;
  // the visitor's token, when the browser forbids the chat page (a third
  // party here) storage of its own (keep.js)
  const kept = "imsupport-widget-visitor:" + origin + "/" + node;

  const CSS = `
    :host { all: initial; }
    .launcher {
      position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
      font: 600 16px/1.2 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
      color: #fff; background: #1f5fbf; border: 0; border-radius: 24px; padding: 12px 18px;
      box-shadow: 0 4px 14px rgba(0, 0, 0, .25); cursor: pointer;
    }
    .launcher:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
    .badge { display: inline-block; margin-left: 8px; padding: 2px 6px; border-radius: 10px;
      background: #ffbf47; color: #1d2430; font-size: 12px; }
    .badge[hidden], .panel[hidden] { display: none; }
    .panel {
      position: fixed; right: 20px; bottom: 80px; z-index: 2147483001;
      width: 380px; height: min(620px, calc(100vh - 100px));
      background: #fff; border-radius: 12px; overflow: hidden;
      box-shadow: 0 8px 30px rgba(0, 0, 0, .3);
    }
    iframe { border: 0; width: 100%; height: 100%; display: block; }
    .panel.wide { width: min(960px, calc(100vw - 40px)); height: calc(100vh - 100px); }
    @media (max-width: 600px) {
      .panel { inset: 0; width: 100%; height: 100%; border-radius: 0; }
    }`;

  const host = document.createElement("div");
  host.setAttribute("data-imsupport-widget", node);
  const shadow = host.attachShadow({ mode: "open" });
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } catch {
    const style = document.createElement("style");
    style.textContent = CSS;
    shadow.append(style);
  }
  const launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "launcher";
  launcher.textContent = script.dataset.label || texts.open;
  launcher.setAttribute("aria-expanded", "false");
  const badge = document.createElement("span");
  badge.className = "badge";
  badge.hidden = true;
  badge.textContent = texts.unread;
  launcher.append(badge);
  const panel = document.createElement("div");
  panel.className = "panel";
  panel.id = "imsupport-panel";
  panel.hidden = true;
  panel.setAttribute("role", "region");
  panel.setAttribute("aria-label", texts.title);
  launcher.setAttribute("aria-controls", panel.id);
  shadow.append(launcher, panel);
  let frame = null;

  function open(focus = true) {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = texts.title;
      frame.allow = "display-capture";
      const query = new URLSearchParams({ embed: "1", lang });
      frame.src = `${origin}/chat/${encodeURIComponent(node)}?${query}`;
      panel.append(frame);
    }
    panel.hidden = false;
    badge.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    launcher.firstChild.textContent = texts.close;
    try { sessionStorage.setItem(remembered, "1"); } catch { /* storage forbidden */ }
    if (focus) frame.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.firstChild.textContent = script.dataset.label || texts.open;
    try { sessionStorage.removeItem(remembered); } catch { /* storage forbidden */ }
    launcher.focus();
  }

  launcher.addEventListener("click", () => (panel.hidden ? open(true) : close()));
  window.addEventListener("message", (event) => {
    if (!frame || event.origin !== origin || event.source !== frame.contentWindow) return;
    const data = event.data;
    if (!data || data.type !== "imsupport-widget") return;
    if (data.action === "close") close();
    else if (data.action === "activity" && panel.hidden) badge.hidden = false;
    else if (data.action === "wide" || data.action === "narrow") {
      panel.classList.toggle("wide", data.action === "wide");
    }
    else if (data.action === "ask") {
      let visitor = null;
      try { visitor = JSON.parse(localStorage.getItem(kept) || "null"); } catch { /* none */ }
      frame.contentWindow.postMessage({ type: "imsupport-widget", action: "visitor", visitor },
        origin);
    } else if (data.action === "keep" && data.visitor && typeof data.visitor.token === "string") {
      const visitor = { token: data.visitor.token, client: String(data.visitor.client || "") };
      try { localStorage.setItem(kept, JSON.stringify(visitor)); } catch { /* forbidden */ }
    } else if (data.action === "forget") {
      try { localStorage.removeItem(kept); } catch { /* forbidden */ }
    }
  });

  registry[origin + " " + node] = { open, close };
  const mount = () => {
    document.body.append(host);
    let reopen = false;
    try { reopen = sessionStorage.getItem(remembered) === "1"; } catch { /* forbidden */ }
    if (reopen) open(false);
  };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
