// camnet page: every camera live over ONE streaming connection (POST /api/stream).
//
// The hub sends binary records: [u32 meta length][u32 jpeg length][JSON meta][JPEG bytes],
// big-endian. "frame" records carry a camera's JPEG exactly as its sender made it; "cameras"
// records (every second) carry the list of cameras and their status. The page asks only for
// cameras whose tiles are visible, and paints the newest frame per tile (older ones are
// dropped while a tile is still decoding), so a slow device never builds a backlog.
// Camera names are untrusted: they only ever reach the DOM through textContent.
"use strict";

const single = document.body.dataset.single || "";
const params = new URLSearchParams(location.search);
const gridFps = Math.max(0, Number(params.get("fps")) || 0); // 0: every frame
const grid = document.getElementById("grid");
const summary = document.getElementById("summary");
const empty = document.getElementById("empty");
const tiles = new Map(); // camera name -> tile state
const visible = new Set();
let stream = null; // AbortController of the open stream
let subscribed = ""; // JSON of the current subscription
let resubscribeTimer = 0;
let retryDelay = 500;

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function makeTile(name) {
  const root = el("article", "tile");
  root.dataset.camera = name;
  root.dataset.status = "online";
  const frame = el("div", "frame");
  const img = el("img");
  img.alt = name;
  const box = el("div", "box");
  box.hidden = true;
  const label = el("div", "label");
  const nameEl = el("span", "name", name);
  const time = el("span", "time");
  const fps = el("span", "fps");
  const status = el("span", "status");
  const rec = el("span", "rec", "REC");
  rec.title = "recording an event";
  const chips = el("span", "chips"); // what the object detector sees now: "person 0.92"
  const objects = el("div", "objects"); // the camera page draws their boxes
  label.append(nameEl, rec, chips, time, fps);
  frame.append(img, box, objects, status);
  const details = el("div", "details");
  root.append(frame, label, details);
  if (!single) {
    root.tabIndex = 0;
    root.title = "Open " + name;
    const open = () => { location.href = "/camera/" + encodeURIComponent(name); };
    root.addEventListener("click", open);
    root.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
  }
  const tile = { name, root, frame, img, box, chips, objects, seen: "", time, fps, status, details, busy: false, pending: null, url: "" };
  img.addEventListener("load", () => painted(tile));
  img.addEventListener("error", () => painted(tile));
  return tile;
}

function addCamera(name) {
  const tile = makeTile(name);
  tiles.set(name, tile);
  // Keep the grid sorted by name whatever order cameras connect in.
  const after = [...tiles.keys()].sort().find((other) => other > name);
  grid.insertBefore(tile.root, after ? tiles.get(after).root : null);
  observer.observe(tile.root);
  document.dispatchEvent(new CustomEvent("camnet:tile", { detail: tile })); // masks.js draws on it
  return tile;
}

// --- painting: newest frame wins per tile ---------------------------------------------
function onFrame(meta, jpeg) {
  const tile = tiles.get(meta.camera);
  if (!tile) return;
  if (tile.busy) { tile.pending = [meta, jpeg]; return; }
  paint(tile, meta, jpeg);
}

function paint(tile, meta, jpeg) {
  tile.busy = true;
  tile.meta = meta;
  const old = tile.url;
  tile.url = URL.createObjectURL(new Blob([jpeg], { type: "image/jpeg" }));
  tile.img.src = tile.url;
  if (old) URL.revokeObjectURL(old);
}

function painted(tile) {
  const meta = tile.meta;
  if (meta) {
    tile.root.dataset.lastFrame = String(meta.seq);
    tile.root.dataset.painted = String(Number(tile.root.dataset.painted || 0) + 1); // frames shown (for tests and make bench)
    tile.frame.style.aspectRatio = meta.width + " / " + meta.height;
    if (tile.root.style.getPropertyValue("--aspect") !== String(meta.width / meta.height)) {
      tile.root.style.setProperty("--aspect", String(meta.width / meta.height));
      fit();
    }
    tile.root.dataset.frameTime = String(meta.time); // when the hub received it (tests: how old the shown frame is)
    drawBox(tile, meta);
    drawObjects(tile, meta);
    tile.time.textContent = new Date(meta.time * 1000).toLocaleTimeString();
    if (pace.id) { pace.painted[meta.camera] = meta.seq; sendPainted(); }
  }
  tile.busy = false;
  if (tile.pending) {
    const [next, jpeg] = tile.pending;
    tile.pending = null;
    paint(tile, next, jpeg);
  }
}

function drawBox(tile, meta) {
  const b = meta.box;
  tile.root.classList.toggle("motion", !!meta.motion);
  tile.box.hidden = !b;
  if (b) place(tile.box, b, meta);
}

function place(node, b, meta) {
  const s = node.style;
  s.left = (100 * b[0] / meta.width) + "%";
  s.top = (100 * b[1] / meta.height) + "%";
  s.width = (100 * (b[2] - b[0]) / meta.width) + "%";
  s.height = (100 * (b[3] - b[1]) / meta.height) + "%";
}

// A chip per object in view; on the camera page, its box and label over the picture.
function drawObjects(tile, meta) {
  const objects = meta.objects || [];
  const seen = JSON.stringify(objects);
  if (seen === tile.seen) return;
  tile.seen = seen;
  tile.root.classList.toggle("object", objects.length > 0);
  tile.chips.replaceChildren(...objects.map((o) => {
    const chip = el("span", "chip", o.label + " " + Number(o.score).toFixed(2));
    chip.dataset.label = o.label;
    return chip;
  }));
  if (!single) return;
  tile.objects.replaceChildren(...objects.map((o) => {
    const b = el("div", "object-box");
    b.append(el("span", "object-label", o.label + " " + Number(o.score).toFixed(2)));
    place(b, o.box, meta);
    return b;
  }));
}

// --- camera list and status -----------------------------------------------------------
function onCameras(list) {
  let changed = false;
  let online = 0;
  for (const cam of list) {
    if (single && cam.name !== single) continue;
    let tile = tiles.get(cam.name);
    if (!tile) { tile = addCamera(cam.name); changed = true; }
    tile.root.dataset.status = cam.status;
    if (cam.status === "online") online++;
    const state = cam.status === "offline"
      ? "offline · last seen " + new Date(cam.last_seen * 1000).toLocaleTimeString()
      : cam.status === "camera-error" ? "camera error: " + (cam.camera_error || "")
      : cam.status === "view-blocked" ? "view blocked: the lens is covered or the view is too dark" : "";
    // Two senders claim this name: the hub keeps the first; the other must be renamed.
    const conflict = cam.name_conflict ? "another sender also uses this name: give it its own --name" : "";
    tile.status.textContent = [state, conflict].filter(Boolean).join(" · ");
    tile.root.classList.toggle("conflict", Boolean(cam.name_conflict));
    tile.root.classList.toggle("recording", Boolean(cam.recording));
    if (cam.recording_error) tile.status.textContent = [tile.status.textContent, "not recording: " + cam.recording_error].filter(Boolean).join(" · ");
    tile.root.classList.toggle("record-failing", Boolean(cam.recording_error));
    if (cam.status !== "online") {
      tile.root.classList.remove("motion");
      tile.box.hidden = true;
      if (cam.status === "offline") drawObjects(tile, { objects: [] });
    }
    tile.fps.textContent = cam.fps && cam.status === "online" ? cam.fps.toFixed(1) + " fps" : "";
    if (single) tile.details.textContent = describeSender(cam);
  }
  empty.hidden = tiles.size > 0;
  summary.textContent = single ? (tiles.size ? "" : "waiting for " + single + "…")
    : online + " of " + tiles.size + " cameras online";
  if (changed) { fit(); scheduleResubscribe(); }
}

// --- fitting the grid to the screen -------------------------------------------------------
// The column count that makes the tiles largest with every camera in view (three cameras on a
// 1440×900 screen fill it); when they cannot all be seen at a useful size (a phone, dozens of
// cameras), columns of at least MIN_TILE CSS pixels and the page scrolls.
const MIN_TILE = 320, GAP = 6, LABEL = 24;
function fit() {
  if (single || !tiles.size) return;
  const first = tiles.values().next().value;
  const aspect = Number(getComputedStyle(first.root).getPropertyValue("--aspect")) || 4 / 3;
  const width = grid.clientWidth - 2 * GAP;
  const height = window.innerHeight - grid.offsetTop - 2 * GAP;
  let best = 0, columns = 1;
  for (let cols = 1; cols <= tiles.size; cols++) {
    const rows = Math.ceil(tiles.size / cols);
    const w = Math.min((width - GAP * (cols - 1)) / cols, ((height - GAP * (rows - 1)) / rows - LABEL) * aspect);
    if (w > best) { best = w; columns = cols; }
  }
  const fits = best >= Math.min(MIN_TILE, width);
  grid.style.gridTemplateColumns = fits ? "repeat(" + columns + ", " + Math.floor(best) + "px)" : "";
  grid.style.justifyContent = fits ? "center" : "";
  scheduleResubscribe(); // tiles that grew past a sub-image's size want the main stream, and back
}
window.addEventListener("resize", fit);

function describeSender(cam) {
  const s = cam.sender || {};
  const parts = [cam.width && cam.height ? cam.width + "×" + cam.height : "",
    s.source ? "source " + s.source : "stock imagezmq sender",
    s.version ? "sender " + s.version : "", s.fps ? "sender " + Number(s.fps).toFixed(1) + " fps" : "",
    "received " + cam.frames, "analysed " + cam.analyzed, "dropped " + cam.dropped];
  return parts.filter(Boolean).join(" · ");
}

// --- the stream -------------------------------------------------------------------------
// A tile of the grid shown at most about twice as wide as a sub-image (in CSS pixels, not
// device pixels: a phone at devicePixelRatio 3 would otherwise want the main stream in every
// tile) gets the sub-stream; the camera page, and a tile filling a TV, get the main one.
const SUB_WIDTH = 320;
// Client pacing: the hub sends a tile its next frame once we say we painted the last one, so a
// slow link never queues frames that would be shown late. One request in flight at a time,
// carrying every tile painted since the last.
const pace = { id: null, painted: {}, busy: false };

function sendPainted() {
  if (pace.busy || !pace.id || !Object.keys(pace.painted).length) return;
  const id = pace.id, body = JSON.stringify({ cameras: pace.painted });
  pace.painted = {};
  pace.busy = true;
  fetch("/api/stream/" + encodeURIComponent(id) + "/painted", {
    method: "POST", body, headers: { "Content-Type": "application/json" }, cache: "no-store",
  }).catch(() => {}).finally(() => {
    pace.busy = false;
    sendPainted(); // what was painted meanwhile (nothing, if the stream was reopened)
  });
}

function small(tile) {
  return !single && tile.root.getBoundingClientRect().width <= 2 * SUB_WIDTH;
}

function wanted() {
  const cameras = {};
  const sub = [];
  for (const [name, tile] of tiles) {
    if (single ? name === single : visible.has(name)) {
      cameras[name] = single ? 0 : gridFps;
      if (small(tile)) sub.push(name);
    }
  }
  if (single && !tiles.size) cameras[single] = 0;
  return { cameras, sub };
}

function scheduleResubscribe() {
  clearTimeout(resubscribeTimer);
  resubscribeTimer = setTimeout(() => {
    if (JSON.stringify(wanted()) !== subscribed) openStream();
  }, 150);
}

function closeStream() {
  if (stream) stream.abort();
  stream = null;
  pace.id = null;
  pace.painted = {};
}

async function openStream() {
  closeStream();
  if (document.hidden) return;
  const controller = new AbortController();
  stream = controller;
  const body = wanted();
  subscribed = JSON.stringify(body);
  try {
    const response = await fetch("/api/stream", {
      method: "POST", body: JSON.stringify({ ...body, paced: true }), signal: controller.signal,
      headers: { "Content-Type": "application/json" }, cache: "no-store",
    });
    if (response.status === 401) {  // logged out elsewhere, or the session was revoked
      location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
      return;
    }
    if (!response.ok) throw new Error("hub answered " + response.status);
    retryDelay = 500;
    await readRecords(response.body.getReader());
  } catch (err) {
    if (controller.signal.aborted) return;
    summary.textContent = "hub unreachable, retrying…";
  }
  if (stream === controller) {
    stream = null;
    setTimeout(openStream, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 5000);
  }
}

async function readRecords(reader) {
  const decoder = new TextDecoder();
  let buf = new Uint8Array(1 << 20);
  let len = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    if (len + value.length > buf.length) {
      const bigger = new Uint8Array(Math.max(buf.length * 2, len + value.length));
      bigger.set(buf.subarray(0, len));
      buf = bigger;
    }
    buf.set(value, len);
    len += value.length;
    let pos = 0;
    while (len - pos >= 8) {
      const view = new DataView(buf.buffer, pos, 8);
      const metaLen = view.getUint32(0), jpegLen = view.getUint32(4);
      const end = pos + 8 + metaLen + jpegLen;
      if (end > len) break;
      const meta = JSON.parse(decoder.decode(buf.subarray(pos + 8, pos + 8 + metaLen)));
      if (meta.type === "frame") onFrame(meta, buf.slice(pos + 8 + metaLen, end));
      else if (meta.type === "cameras") onCameras(meta.cameras);
      else if (meta.type === "stream") pace.id = meta.id;
      pos = end;
    }
    buf.copyWithin(0, pos, len);
    len -= pos;
  }
}

const observer = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    const name = entry.target.dataset.camera;
    if (entry.isIntersecting) visible.add(name); else visible.delete(name);
  }
  scheduleResubscribe();
}, { rootMargin: "200px" });

document.addEventListener("visibilitychange", () => {
  if (document.hidden) { closeStream(); subscribed = ""; } else openStream();
});

const fullscreen = document.getElementById("fullscreen");
if (fullscreen) {
  fullscreen.addEventListener("click", () => {
    const tile = tiles.get(single);
    if (tile && tile.root.requestFullscreen) tile.root.requestFullscreen();
  });
}

openStream();
