// The web chat page, /chat/{node} (imsupport/web/chat/page.py): the pre-chat
// form, then the live chat over Server-Sent Events. The visitor's token
// stays in localStorage, so a reload (or a return within the service's
// client_grace) continues the same chat; the events seen so far stay in
// sessionStorage, and the stream resumes after the last of them (`last`,
// then the browser's own Last-Event-ID on reconnects). No inline script or
// style: configuration and texts come from data attributes of <main>.
import { ChatLog } from "./chatlog.js";
import { Keeper } from "./keep.js";

const root = document.getElementById("webchat");
const $ = (id) => document.getElementById(id);
const T = JSON.parse(root.dataset.texts || "{}");
const cfg = {
  node: root.dataset.node,
  lang: root.dataset.lang || "en",
  embed: root.dataset.embed === "1",
  languages: JSON.parse(root.dataset.languages || "[]"),
  maxUpload: Number(root.dataset.maxUpload) || 0,
  redact: root.dataset.redact,
  title: root.dataset.title || "",
};
const base = `/chat/${encodeURIComponent(cfg.node)}`;
const TYPING_IDLE = 4000;  // ms without a key press before "paused"
const TYPING_REPEAT = 10000;  // ms between repeated "composing"
const CACHE_LIMIT = 1000;  // events kept for a reload
// the core's chat states, as the visitor sees them
const STATES = { queued: "queued", offered: "queued", active: "active", held: "active",
  closed: "closed", abandoned: "closed" };

function t(key, fields = {}) {
  const text = T[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in fields ? String(fields[name]) : whole));
}

// what the browser keeps (keep.js)
const saved = new Keeper(`imsupport.webchat.${cfg.node}`, cfg.embed);

// -- HTTP -----------------------------------------------------------------------
class Refused extends Error {
  constructor(message, status, code, data) {
    super(message);
    this.status = status;
    this.code = code;
    this.data = data;
  }
}

async function request(method, path, body) {
  let response;
  try {
    // ?lang: the language of what the service answers before a chat has one
    const url = `${base}${path}${path.includes("?") ? "&" : "?"}lang=${encodeURIComponent(cfg.lang)}`;
    response = await fetch(url, {
      method, credentials: "same-origin",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Refused(t("network_error"), 0, "network");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Refused(data?.error?.message || data?.message || `HTTP ${response.status}`,
      response.status, data?.error?.code, data);
  }
  return data;
}

// -- the page's parts -----------------------------------------------------------
const log = new ChatLog($("log"), t, cfg.lang);
const status = $("status");
let visitor = null;  // { token, client }
let cache = null;  // { token, events, last }
let seen = new Set();
let source = null;
let retryDelay = 1000;
let state = { state: null, name: null, position: null, online: false };
let redactModule = null;

function show(section) {
  for (const id of ["closed", "start", "chat"]) $(id).hidden = id !== section;
}

function showStatus() {
  let text;
  if (!state.online) text = t(state.state ? "status_reconnecting" : "status_connecting");
  else if (state.state === "closed") text = t("status_closed");
  else if (state.state === "active") {
    text = state.name ? t("status_active", { name: state.name }) : t("status_active_nobody");
  } else if (state.position) text = t("status_position", { position: state.position });
  else text = t("status_queued");
  status.textContent = text;
  const open = state.state !== "closed";
  $("end").hidden = !open || !state.state;
  $("new-chat").hidden = open;
}

// -- before the chat: is the node open? the form --------------------------------
async function checkNode() {
  show(null);
  status.textContent = t("loading");
  let node;
  try {
    node = await request("GET", "/status");
  } catch (e) {
    return closed(e.message);
  }
  if (!node.open) return closed(node.message);
  status.textContent = "";
  if (node.message) $("start-intro").textContent = node.message;
  fillLanguages(node.languages?.length ? node.languages : cfg.languages);
  show("start");
  $("start-question").focus();
}

function closed(message) {
  $("closed-message").textContent = message || "";
  status.textContent = "";
  show("closed");
}

function languageName(code) {
  try {
    const name = new Intl.DisplayNames([cfg.lang], { type: "language" }).of(code);
    return name ? name[0].toLocaleUpperCase(cfg.lang) + name.slice(1) : code;
  } catch {
    return code;
  }
}

function fillLanguages(codes) {
  const selects = [...$("start-languages").querySelectorAll("select")];
  const first = codes.includes(cfg.lang) ? cfg.lang : codes[0];
  selects.forEach((select, i) => {
    const label = select.closest("label");
    label.hidden = i >= codes.length;
    const options = i === 0 ? [] : [new Option(t("form_language_none"), "")];
    for (const code of codes) options.push(new Option(languageName(code), code));
    select.replaceChildren(...options);
    select.value = i === 0 ? first : "";
  });
}

async function start(event) {
  event.preventDefault();
  const question = $("start-question").value.trim();
  const error = $("start-error");
  if (!question) {
    error.textContent = t("form_question_missing");
    $("start-question").focus();
    return;
  }
  const languages = [];
  for (const select of $("start-languages").querySelectorAll("select")) {
    if (select.value && !languages.includes(select.value)) languages.push(select.value);
  }
  const button = $("start-send");
  button.disabled = true;
  button.textContent = t("form_sending");
  error.textContent = "";
  try {
    const answer = await request("POST", "/visitors",
      { name: $("start-name").value.trim(), languages, question });
    visitor = { token: answer.token, client: answer.client };
    saved.keepVisitor(visitor);
    openChat(true);
  } catch (e) {
    if (e.status === 409) return closed(e.message);
    error.textContent = e.message;
  } finally {
    button.disabled = false;
    button.textContent = t("form_start");
  }
}

// -- the chat: events --------------------------------------------------------------
function openChat(fresh) {
  cache = fresh ? { token: visitor.token, events: [], last: null } : saved.events(visitor.token);
  seen = new Set();
  log.clear();
  state = { state: null, name: null, position: null, online: false };
  show("chat");
  for (const ev of cache.events) render(ev.data, ev.id, false);
  log.toEnd();
  showStatus();
  connect();
  $("text").focus();
  redactModule ??= import(cfg.redact).catch(() => null);
}

function connect() {
  const params = new URLSearchParams({ token: visitor.token });
  if (cache.last) params.set("last", cache.last);
  const url = `${base}/events?${params}`;
  source = new EventSource(url);
  source.addEventListener("open", () => {
    retryDelay = 1000;
    state.online = true;
    showStatus();
  });
  source.addEventListener("chat", (e) => received(e));
  source.addEventListener("typing", (e) => typing(parse(e)));
  source.addEventListener("notice", (e) => {
    const data = parse(e);
    if (data) log.note(data.text);
    tellHost("activity");
  });
  source.addEventListener("error", () => {
    state.online = false;
    showStatus();
    if (source.readyState === EventSource.CLOSED) gaveUp(url);
  });
}

function parse(e) {
  try { return JSON.parse(e.data); } catch { return null; }
}

// EventSource stops retrying after an HTTP error: find out whether the
// token is refused (then the visitor starts again) or the service is down.
async function gaveUp(url) {
  source.close();
  const abort = new AbortController();
  let code = 0;
  try {
    code = (await fetch(url, { signal: abort.signal })).status;
  } catch { /* no connection */ }
  abort.abort();
  if (code === 403 || code === 404) {
    saved.forget();
    visitor = null;
    return checkNode();
  }
  setTimeout(connect, retryDelay);
  retryDelay = Math.min(retryDelay * 2, 30000);
}

function received(e) {
  const data = parse(e);
  const id = e.lastEventId;
  if (!data || (id && seen.has(id))) return;
  render(data, id, true);
  if (id) {
    cache.last = id;
    cache.events.push({ id, data });
    if (cache.events.length > CACHE_LIMIT) cache.events.splice(0, cache.events.length - CACHE_LIMIT);
    saved.keepEvents(cache);
  }
  if (data.author === "operator") tellHost("activity");
}

function render(ev, id, live) {
  if (id) seen.add(id);
  if (ev.position !== undefined && ev.position !== null) state.position = ev.position;
  if (ev.kind === "state") {
    state.state = STATES[ev.state] || ev.state;
    if (state.state === "active") state.name = ev.name || state.name;
    if (state.state === "queued") state.name = null;
    if (state.state !== "closed") rating(false);
    showStatus();
    if (ev.text) log.note(ev.text);
    return;
  }
  if (ev.author === "operator") {
    typing(null);
    // an operator who writes is in the chat, by this name
    if (ev.name) state.name = ev.name;
    if (state.state === "queued" || !state.state) state.state = "active";
  }
  if (ev.kind === "notice" && ev.key === "rating_question") {
    rating(true, live);
    return;
  }
  if (ev.kind === "notice" && ev.key === "rating_thanks") rating(false);
  const own = ev.kind === "notice" && ev.key ? `notice_${ev.key}` : null;
  if (own && own in T) {
    log.note(t(own, { position: ev.position ?? "", title: cfg.title }));
  } else {
    log.event(ev);
  }
  showStatus();
}

let typingTimer = null;
function typing(data) {
  const line = $("typing");
  clearTimeout(typingTimer);
  if (data && data.state === "composing") {
    line.textContent = t("typing", { name: data.name || t("operator") });
    line.hidden = false;
    typingTimer = setTimeout(() => { line.hidden = true; }, 30000);
  } else {
    line.hidden = true;
  }
}

// -- the visitor writes ------------------------------------------------------------
let composing = 0;
let idleTimer = null;

function typed() {
  clearTimeout(idleTimer);
  const now = Date.now();
  if (now - composing > TYPING_REPEAT) {
    composing = now;
    request("POST", "/typing", { token: visitor.token, state: "composing" }).catch(() => {});
  }
  idleTimer = setTimeout(stopTyping, TYPING_IDLE);
}

function stopTyping(send = true) {
  clearTimeout(idleTimer);
  if (composing && send) {
    request("POST", "/typing", { token: visitor.token, state: "paused" }).catch(() => {});
  }
  composing = 0;
}

async function send(event) {
  event.preventDefault();
  const box = $("text");
  const text = box.value.trim();
  if (!text || !visitor) return;
  box.value = "";
  stopTyping(false);
  const item = log.sending(text);
  try {
    await request("POST", "/messages", { token: visitor.token, text });
  } catch (e) {
    log.failed(item, e.message);
  }
  box.focus();
}

function keydown(event) {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) send(event);
}

let endArmed = null;
async function end() {
  const button = $("end");
  if (!endArmed) {
    button.textContent = t("end_confirm");
    endArmed = setTimeout(() => { endArmed = null; button.textContent = t("end"); }, 5000);
    return;
  }
  clearTimeout(endArmed);
  endArmed = null;
  button.textContent = t("end");
  try {
    await request("POST", "/end", { token: visitor.token });
  } catch (e) {
    $("composer-error").textContent = e.message;
  }
}

function newChat() {
  if (source) source.close();
  saved.forget();
  visitor = null;
  $("start-question").value = "";
  checkNode();
}

// -- files and screenshots ------------------------------------------------------------
function upload(blob, name) {
  const error = $("composer-error");
  error.textContent = "";
  if (cfg.maxUpload && blob.size > cfg.maxUpload) {
    const max_mb = (cfg.maxUpload / 1e6).toLocaleString(cfg.lang, { maximumSignificantDigits: 3 });
    error.textContent = t("upload_too_large", { name, max_mb });
    return Promise.resolve(false);
  }
  const progress = $("upload-progress");
  const params = new URLSearchParams({ token: visitor.token, name });
  const xhr = new XMLHttpRequest();
  xhr.open("POST", `${base}/files?${params}`);
  xhr.setRequestHeader("content-type", blob.type || "application/octet-stream");
  progress.value = 0;
  progress.hidden = false;
  progress.setAttribute("aria-label", t("uploading", { name }));
  xhr.upload.addEventListener("progress", (e) => {
    if (e.lengthComputable) progress.value = Math.round((100 * e.loaded) / e.total);
  });
  return new Promise((resolve) => {
    xhr.addEventListener("loadend", () => {
      progress.hidden = true;
      if (xhr.status >= 200 && xhr.status < 300) return resolve(true);
      let reason = t("network_error");
      try { reason = JSON.parse(xhr.responseText).error.message || reason; } catch { /* none */ }
      if (xhr.status && reason === t("network_error")) reason = `HTTP ${xhr.status}`;
      error.textContent = t("upload_failed", { name, reason });
      resolve(false);
    });
    xhr.send(blob);
  });
}

function menu(open) {
  const list = $("shot-menu");
  list.hidden = !open;
  $("shot").setAttribute("aria-expanded", String(open));
  if (open) list.querySelector("button").focus();
}

function menuKeys(event) {
  const items = [...$("shot-menu").querySelectorAll("button")];
  const at = items.indexOf(document.activeElement);
  if (event.key === "Escape") {
    event.stopPropagation();
    menu(false);
    $("shot").focus();
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const step = event.key === "ArrowDown" ? 1 : -1;
    items[(at + step + items.length) % items.length].focus();
  }
}

async function screenshot(delay) {
  menu(false);
  if (delay === "file") {
    $("shot-file").click();
    return;
  }
  const redact = await redactModule;
  if (!redact) return;
  let image;
  try {
    image = await redact.capture(Number(delay), t);
  } catch (e) {
    $("composer-error").textContent = e.name === "NotSupportedError" || e.name === "TypeError"
      ? t("screenshot_unsupported") : t("screenshot_denied");
    return;
  }
  await redactAndSend(redact, image);
}

async function redactAndSend(redact, image) {
  tellHost("wide");  // the editor wants room: the widget grows while it is open
  const shot = await redact.edit(image, t);
  tellHost("narrow");
  $("shot").focus();
  if (shot) await upload(shot.blob, shot.name);
}

async function imageChosen() {
  const input = $("shot-file");
  const file = input.files[0];
  input.value = "";
  const redact = await redactModule;
  if (!file || !redact) return;
  try {
    await redactAndSend(redact, await redact.fromFile(file));
  } catch {
    $("composer-error").textContent = t("screenshot_denied");
  }
}

// -- inside the widget -------------------------------------------------------------
function tellHost(action) {
  if (cfg.embed && window.parent !== window) {
    window.parent.postMessage({ type: "imsupport-widget", action }, "*");
  }
}

function rating(visible, focus = false) {
  const form = $("rating");
  if (form.hidden === !visible) return;
  form.hidden = !visible;
  if (visible && focus) form.querySelector("input").focus();
}

function starsChanged() {
  const chosen = Number(new FormData($("rating")).get("rating")) || 0;
  const stars = $("rating").querySelector(".stars");
  stars.classList.toggle("chosen", chosen > 0);
  stars.querySelectorAll(".star").forEach((label, i) => label.classList.toggle("lit", i < chosen));
}

async function rate(event) {
  event.preventDefault();
  const form = $("rating");
  const data = new FormData(form);
  const value = Number(data.get("rating"));
  const error = $("rating-error");
  if (!value) {
    error.textContent = t("rating_missing");
    form.querySelector("input").focus();
    return;
  }
  try {
    await request("POST", "/rating",
      { token: visitor.token, rating: value, comment: String(data.get("comment") || "").trim() });
    error.textContent = "";
    rating(false);  // the service's thanks come as a notice
    $("text").focus();
  } catch (e) {
    error.textContent = e.message;
  }
}

function wire() {
  $("start").addEventListener("submit", start);
  $("retry").addEventListener("click", checkNode);
  $("composer").addEventListener("submit", send);
  $("text").addEventListener("keydown", keydown);
  $("text").addEventListener("input", typed);
  $("end").addEventListener("click", end);
  $("new-chat").addEventListener("click", newChat);
  $("attach").addEventListener("click", () => $("file").click());
  $("file").addEventListener("change", () => {
    const input = $("file");
    const file = input.files[0];
    input.value = "";
    if (file) upload(file, file.name);
  });
  $("shot").addEventListener("click", () => menu($("shot-menu").hidden));
  $("shot-menu").addEventListener("keydown", menuKeys);
  $("shot-menu").addEventListener("click", (e) => {
    const item = e.target.closest("button");
    if (item) screenshot(item.dataset.delay);
  });
  $("shot-file").addEventListener("change", imageChosen);
  $("rating").addEventListener("change", starsChanged);
  $("rating").addEventListener("submit", rate);
  document.addEventListener("click", (e) => {
    if (!e.target.closest(".menu-wrap")) menu(false);
  });
  if (cfg.embed) {
    $("widget-close").hidden = false;
    $("widget-close").addEventListener("click", () => tellHost("close"));
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && !e.defaultPrevented && !document.querySelector("dialog[open]")) {
        tellHost("close");
      }
    });
  }
}

wire();
saved.visitor().then((kept) => {
  visitor = kept;
  if (visitor?.token) openChat(false);
  else checkNode();
});
