// Screenshots for the web chat (webchat.js loads this on demand):
// capture(delay) takes one frame of a screen, window or tab the visitor
// picks (getDisplayMedia), at once or after `delay` seconds; fromFile(file)
// takes an image file instead (phones have no getDisplayMedia); edit(image)
// opens the redaction editor, where the visitor covers private parts with
// black or blurred rectangles (mouse, touch or keyboard, with undo), and
// resolves to { blob, name } (a compact PNG or WebP) or null.
//
// A blacked-out rectangle is filled on whole pixels, after every blur, and an encoding is used
// only if, decoded again, every pixel of every black rectangle is still
// exactly (0, 0, 0): lossy WebP usually is not, lossless WebP and PNG are.

const MAX_SIDE = 2560;  // larger screenshots are scaled down to this
const MIN_DRAG = 4;  // px (of the image) a drawn rectangle needs on each side

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function countdown(seconds, t) {
  const note = el("div", "countdown");
  note.setAttribute("role", "status");
  document.body.append(note);
  try {
    for (let left = seconds; left > 0; left -= 1) {
      note.textContent = t("screenshot_countdown", { seconds: left });
      await wait(1000);
    }
  } finally {
    note.remove();
  }
}

async function grab(stream) {
  const video = el("video");
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  await video.play();
  if (video.requestVideoFrameCallback) {
    await Promise.race([new Promise((r) => video.requestVideoFrameCallback(() => r())), wait(1500)]);
  } else {
    await wait(300);
  }
  const canvas = el("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  video.pause();
  video.srcObject = null;
  return canvas;
}

export async function capture(delay, t) {
  const media = navigator.mediaDevices;
  if (!media || typeof media.getDisplayMedia !== "function") {
    throw new DOMException("getDisplayMedia is not available", "NotSupportedError");
  }
  // The page the visitor is on (the shop's, around the widget) is what they
  // usually want to show: offer its tab too (Chromium leaves it out by default).
  const stream = await media.getDisplayMedia({ video: true, audio: false,
    selfBrowserSurface: "include" });
  try {
    if (delay > 0) await countdown(delay, t);
    return await grab(stream);
  } finally {
    for (const track of stream.getTracks()) track.stop();
  }
}

export function fromFile(file) {
  return createImageBitmap(file);
}

// -- what the editor does to the image ---------------------------------------------

function whole(rect, width, height) {
  const x = Math.max(0, Math.floor(rect.x));
  const y = Math.max(0, Math.floor(rect.y));
  const right = Math.min(width, Math.ceil(rect.x + rect.w));
  const bottom = Math.min(height, Math.ceil(rect.y + rect.h));
  return { x, y, w: Math.max(0, right - x), h: Math.max(0, bottom - y) };
}

function blur(ctx, r) {
  // Down to blocks of `k` pixels and smoothly up again: no text survives.
  const k = Math.max(8, Math.round(Math.min(r.w, r.h) / 6));
  const small = el("canvas");
  small.width = Math.max(1, Math.round(r.w / k));
  small.height = Math.max(1, Math.round(r.h / k));
  const s = small.getContext("2d");
  s.imageSmoothingEnabled = true;
  s.imageSmoothingQuality = "high";
  s.drawImage(ctx.canvas, r.x, r.y, r.w, r.h, 0, 0, small.width, small.height);
  ctx.save();
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, 0, 0, small.width, small.height, r.x, r.y, r.w, r.h);
  ctx.restore();
}

export function apply(ctx, op) {
  const r = whole(op, ctx.canvas.width, ctx.canvas.height);
  if (!r.w || !r.h) return;
  if (op.kind === "black") {
    ctx.fillStyle = "#000";
    ctx.fillRect(r.x, r.y, r.w, r.h);
  } else {
    blur(ctx, r);
  }
}

function toBlob(canvas, type, quality) {
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality));
}

async function blackKept(blob, rects, width, height) {
  if (!rects.length) return true;
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    return false;
  }
  const check = el("canvas");
  check.width = width;
  check.height = height;
  const ctx = check.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close?.();
  for (const rect of rects) {
    const r = whole(rect, width, height);
    if (!r.w || !r.h) continue;
    const data = ctx.getImageData(r.x, r.y, r.w, r.h).data;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] || data[i + 1] || data[i + 2] || data[i + 3] !== 255) return false;
    }
  }
  return true;
}

// The smallest of lossless WebP (quality 1), WebP at 0.9 and PNG that keeps
// the black rectangles black; PNG when nothing else does.
export async function encode(canvas, ops) {
  const rects = ops.filter((op) => op.kind === "black");
  const { width, height } = canvas;
  let best = null;
  for (const [type, quality] of [["image/webp", 1], ["image/webp", 0.9]]) {
    const blob = await toBlob(canvas, type, quality);
    if (blob && blob.type === type && (!best || blob.size < best.size)
        && await blackKept(blob, rects, width, height)) best = blob;
  }
  const png = await toBlob(canvas, "image/png");
  if (!best || (png && png.size < best.size)) best = png;
  return best;
}

function fileName(type) {
  const now = new Date();
  const two = (n) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${two(now.getMonth() + 1)}${two(now.getDate())}-`
    + `${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())}`;
  return `screenshot-${stamp}.${type === "image/webp" ? "webp" : "png"}`;
}

// -- the editor ---------------------------------------------------------------------

class Editor {
  constructor(image, t) {
    this.t = t;
    const scale = Math.min(1, MAX_SIDE / Math.max(image.width, image.height));
    this.base = el("canvas");
    this.base.width = Math.max(1, Math.round(image.width * scale));
    this.base.height = Math.max(1, Math.round(image.height * scale));
    this.base.getContext("2d").drawImage(image, 0, 0, this.base.width, this.base.height);
    this.work = el("canvas");
    this.work.width = this.base.width;
    this.work.height = this.base.height;
    this.ops = [];
    this.tool = "black";
    this.drag = null;
    const { width, height } = this.base;
    this.frame = { x: width / 4, y: height / 4, w: width / 4, h: height / 6 };
    this.build();
    this.redraw();
  }

  build() {
    const t = this.t;
    this.dialog = el("dialog", "editor");
    this.dialog.setAttribute("aria-labelledby", "editor-title");
    const body = el("div", "editor-body");
    const head = el("div", "editor-head");
    const title = el("h2", null, t("editor_title"));
    title.id = "editor-title";
    head.append(title, el("p", null, t("editor_help")));
    const stage = el("div", "editor-stage");
    this.canvas = el("canvas");
    this.canvas.width = this.base.width;
    this.canvas.height = this.base.height;
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", t("editor_canvas"));
    stage.append(this.canvas);
    const tools = el("div", "editor-tools");
    this.buttons = {};
    for (const [kind, label] of [["black", "editor_black"], ["blur", "editor_blur"]]) {
      const button = el("button", "tool", t(label));
      button.type = "button";
      button.addEventListener("click", () => this.choose(kind));
      this.buttons[kind] = button;
      tools.append(button);
    }
    this.undoButton = el("button", null, t("editor_undo"));
    this.undoButton.type = "button";
    this.undoButton.addEventListener("click", () => this.undo());
    this.count = el("span", "count");
    this.count.setAttribute("aria-live", "polite");
    this.cancelButton = el("button", null, t("editor_cancel"));
    this.cancelButton.type = "button";
    this.sendButton = el("button", "primary", t("editor_send"));
    this.sendButton.type = "button";
    tools.append(this.undoButton, this.count, this.cancelButton, this.sendButton);
    body.append(head, stage, tools);
    this.dialog.append(body);
    this.choose("black");
    this.canvas.addEventListener("pointerdown", (e) => this.down(e));
    this.canvas.addEventListener("pointermove", (e) => this.move(e));
    this.canvas.addEventListener("pointerup", (e) => this.up(e));
    this.canvas.addEventListener("pointercancel", () => { this.drag = null; this.paint(); });
    this.canvas.addEventListener("keydown", (e) => this.key(e));
    this.canvas.addEventListener("focus", () => this.paint());
    this.canvas.addEventListener("blur", () => this.paint());
    this.dialog.addEventListener("keydown", (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") {
        e.preventDefault();
        this.undo();
      }
    });
  }

  choose(kind) {
    this.tool = kind;
    for (const [name, button] of Object.entries(this.buttons)) {
      button.setAttribute("aria-pressed", String(name === kind));
    }
  }

  point(e) {
    const box = this.canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - box.left) / box.width) * this.canvas.width,
      y: ((e.clientY - box.top) / box.height) * this.canvas.height,
    };
  }

  down(e) {
    if (e.button !== 0) return;
    this.canvas.setPointerCapture(e.pointerId);
    const p = this.point(e);
    this.drag = { x0: p.x, y0: p.y, x1: p.x, y1: p.y };
    e.preventDefault();
  }

  move(e) {
    if (!this.drag) return;
    const p = this.point(e);
    this.drag.x1 = p.x;
    this.drag.y1 = p.y;
    this.paint();
  }

  up(e) {
    if (!this.drag) return;
    this.move(e);
    const rect = this.dragRect();
    this.drag = null;
    if (rect.w >= MIN_DRAG && rect.h >= MIN_DRAG) this.add(rect);
    else this.paint();
  }

  dragRect() {
    const d = this.drag;
    return { x: Math.min(d.x0, d.x1), y: Math.min(d.y0, d.y1),
      w: Math.abs(d.x1 - d.x0), h: Math.abs(d.y1 - d.y0) };
  }

  key(e) {
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const f = this.frame;
    const { width, height } = this.canvas;
    if (e.key in moves) {
      e.preventDefault();
      const [dx, dy] = moves[e.key];
      const step = Math.max(4, Math.round(Math.max(width, height) / (e.altKey ? 200 : 50)));
      if (e.shiftKey) {
        f.w = Math.min(width, Math.max(MIN_DRAG, f.w + dx * step));
        f.h = Math.min(height, Math.max(MIN_DRAG, f.h + dy * step));
      } else {
        f.x += dx * step;
        f.y += dy * step;
      }
      f.x = Math.min(Math.max(0, f.x), width - f.w);
      f.y = Math.min(Math.max(0, f.y), height - f.h);
      this.paint();
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      this.add({ ...f });
    }
  }

  add(rect) {
    this.ops.push({ kind: this.tool, ...rect });
    this.redraw();
  }

  undo() {
    this.ops.pop();
    this.redraw();
  }

  redraw() {
    const ctx = this.work.getContext("2d");
    ctx.drawImage(this.base, 0, 0);
    // Blacked-out parts last, so that no blur drawn later can soften them.
    for (const op of this.ops) if (op.kind !== "black") apply(ctx, op);
    for (const op of this.ops) if (op.kind === "black") apply(ctx, op);
    this.count.textContent = this.t("editor_areas", { count: this.ops.length });
    this.undoButton.disabled = !this.ops.length;
    this.paint();
  }

  paint() {
    const ctx = this.canvas.getContext("2d");
    ctx.drawImage(this.work, 0, 0);
    const line = Math.max(2, Math.round(this.canvas.width / 500));
    const outline = (r) => {
      ctx.save();
      ctx.lineWidth = line;
      ctx.setLineDash([line * 4, line * 3]);
      ctx.strokeStyle = "#ffbf47";
      ctx.strokeRect(r.x, r.y, r.w, r.h);
      ctx.strokeStyle = "#000";
      ctx.lineDashOffset = line * 4;
      ctx.strokeRect(r.x, r.y, r.w, r.h);
      ctx.restore();
    };
    if (this.drag) outline(this.dragRect());
    else if (document.activeElement === this.canvas) outline(this.frame);
  }

  open() {
    return new Promise((resolve) => {
      let done = false;
      const finish = (value) => {
        if (done) return;
        done = true;
        this.dialog.close();
        this.dialog.remove();
        resolve(value);
      };
      this.cancelButton.addEventListener("click", () => finish(null));
      this.dialog.addEventListener("cancel", (e) => { e.preventDefault(); finish(null); });
      this.sendButton.addEventListener("click", async () => {
        this.sendButton.disabled = true;
        const blob = await encode(this.work, this.ops);
        finish(blob ? { blob, name: fileName(blob.type) } : null);
      });
      document.body.append(this.dialog);
      this.dialog.showModal();
      this.canvas.focus();
    });
  }
}

export function edit(image, t) {
  const editor = new Editor(image, t);
  image.close?.();
  return editor.open();
}
