// camnet timeline: one lane per camera across a day. Time-lapse spans (a frame every second
// or so between events) and event bars (coloured by what was seen) lie on each lane, with a
// strip of the share of each minute that moved under them. Dragging the playhead shows every
// camera's recorded frame at that moment; Play moves it at 1x, 10x or 60x (each camera's
// nearest frame: full rate inside events, time-lapse between them, gaps skipped). Zoom goes
// from the day down to five minutes around the playhead; a bar opens its event; the visible
// range of one camera downloads as one Matroska file.
// The page's state (day, playhead, zoom) lives in the URL, so Back and reload return to it.
// Camera names are untrusted: they only reach the DOM through textContent.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const lanes = $("lanes"), ruler = $("ruler"), frames = $("frames"), summary = $("summary");
  const day = $("day"), speed = $("speed"), playButton = $("play"), at = $("at");
  const exportCamera = $("export-camera"), progress = $("export-progress"), exportStatus = $("export-status");
  const ZOOMS = [86400, 21600, 3600, 900, 300]; // seconds across the view
  const REFRESH_EVERY = 15000; // ms between looks at today's new recordings
  const FRAME_EVERY = 66; // ms at least between two frame requests of one camera (15 a second)
  const state = { dayStart: 0, dayEnd: 0, viewStart: 0, span: 86400, t: 0, playing: false, cameras: {} };
  const shown = new Map(); // camera -> {figure, img, caption, busy, want, last, url}
  let lastTick = 0, dragging = null, refreshTimer = 0;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  const pad = (n) => String(n).padStart(2, "0");
  const clock = (t, seconds) => {
    const d = new Date(t * 1000);
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + (seconds ? ":" + pad(d.getSeconds()) : "");
  };
  const isoDay = (d) => d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  const spanText = (s) => (s >= 3600 ? s / 3600 + " h" : s / 60 + " min");
  const now = () => Date.now() / 1000;

  function setDay(text) {
    const [y, m, d] = text.split("-").map(Number);
    state.dayStart = new Date(y, m - 1, d).getTime() / 1000;
    state.dayEnd = new Date(y, m - 1, d + 1).getTime() / 1000; // a DST day is 23 or 25 hours
    day.value = text;
  }

  function clampView() {
    const full = state.dayEnd - state.dayStart;
    state.span = Math.min(state.span, full);
    state.viewStart = Math.min(Math.max(state.viewStart, state.dayStart), state.dayEnd - state.span);
  }

  function centreOn(t) {
    state.viewStart = t - state.span / 2;
    clampView();
  }

  function remember() {
    const q = new URLSearchParams({ day: day.value, t: state.t.toFixed(1), span: String(state.span) });
    history.replaceState(null, "", "/timeline?" + q);
  }

  const x = (t) => ((t - state.viewStart) / state.span) * 100; // percent across a track

  async function load() {
    const q = new URLSearchParams({ start: String(state.dayStart), end: String(Math.min(state.dayEnd, now() + 60)) });
    if (state.dayStart > now()) { state.cameras = {}; render(); return; }
    let body;
    try {
      const [timeline, live] = await Promise.all([
        fetch("/api/timeline?" + q, { cache: "no-store" }),
        fetch("/api/cameras", { cache: "no-store" }),
      ]);
      body = await timeline.json();
      if (!timeline.ok) { summary.textContent = body.error; return; }
      for (const cam of live.ok ? await live.json() : []) {
        if (!body.cameras[cam.name]) body.cameras[cam.name] = { spans: [], activity: [] };
      }
    } catch (err) { summary.textContent = "the hub did not answer; retrying"; return; }
    state.cameras = body.cameras;
    render();
  }

  function names() { return Object.keys(state.cameras).sort(); }

  function render() {
    const box = $("timeline");
    box.dataset.viewStart = state.viewStart.toFixed(3); // where the tracks begin and how much they hold
    box.dataset.span = String(state.span);
    renderRuler();
    const list = names();
    $("none").hidden = list.some((n) => state.cameras[n].spans.length);
    const rows = [];
    for (const name of list) rows.push(lane(name, state.cameras[name]));
    lanes.replaceChildren(...rows);
    const events = list.reduce((n, name) => n + state.cameras[name].spans.filter((s) => s.kind === "event").length, 0);
    summary.textContent = list.length + (list.length === 1 ? " camera, " : " cameras, ")
      + events + (events === 1 ? " event" : " events") + " this day";
    syncFrames(list);
    syncExport(list);
    $("zoom-label").textContent = spanText(state.span);
    placeHead();
  }

  function renderRuler() {
    const width = ruler.clientWidth || 800;
    const step = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600].find((s) => (s / state.span) * width >= 64) || 21600;
    const ticks = [];
    const first = state.dayStart + Math.ceil((state.viewStart - state.dayStart) / step) * step; // from local midnight
    for (let t = first; t <= state.viewStart + state.span; t += step) {
      const tick = el("span", "tick", clock(t));
      tick.style.left = x(t) + "%";
      ticks.push(tick);
    }
    ruler.replaceChildren(...ticks, el("span", "head"));
  }

  function lane(name, data) {
    const row = el("div", "lane");
    row.dataset.camera = name;
    const label = el("span", "lane-name", name);
    label.title = name;
    const track = el("div", "track");
    track.dataset.camera = name;
    const end = state.viewStart + state.span;
    for (const span of data.spans) {
      if (span.end < state.viewStart || span.start > end) continue;
      const bar = el("span", "span " + span.kind);
      bar.style.left = x(Math.max(span.start, state.viewStart)) + "%";
      bar.style.width = Math.max(x(Math.min(span.end, end)) - x(Math.max(span.start, state.viewStart)), 0.15) + "%";
      if (span.kind === "event") {
        bar.dataset.event = String(span.event);
        bar.dataset.start = String(span.start);
        if (span.labels && span.labels.length) {
          bar.classList.add("object");
          bar.dataset.label = span.labels[0];
          bar.title = span.labels.join(", ") + " · " + clock(span.start, true);
        } else {
          bar.title = "motion · " + clock(span.start, true);
        }
      }
      track.append(bar);
    }
    const strip = el("canvas", "activity");
    strip.height = 10;
    track.append(strip, el("span", "head"));
    requestAnimationFrame(() => drawActivity(strip, data.activity));
    row.append(label, track);
    return row;
  }

  function drawActivity(canvas, activity) {
    const width = canvas.clientWidth || 800;
    canvas.width = width;
    const g = canvas.getContext("2d");
    g.clearRect(0, 0, width, canvas.height);
    const minuteWidth = Math.max((60 / state.span) * width, 1);
    for (const m of activity) {
      if (m.minute + 60 < state.viewStart || m.minute > state.viewStart + state.span) continue;
      g.fillStyle = m.labels.length ? "#43a047" : "#ff5252";
      g.globalAlpha = 0.25 + 0.75 * m.motion;
      const h = Math.max(2, Math.round(canvas.height * m.motion));
      g.fillRect(Math.floor((x(m.minute) / 100) * width), canvas.height - h, Math.ceil(minuteWidth), h);
    }
  }

  function placeHead() {
    document.documentElement.style.setProperty("--head", x(state.t) + "%");
    document.body.dataset.playhead = state.t.toFixed(3);
    at.textContent = new Date(state.t * 1000).toLocaleString();
    const visible = state.t >= state.viewStart && state.t <= state.viewStart + state.span;
    document.body.classList.toggle("head-outside", !visible);
  }

  // ---- frames at the playhead: one request in flight per camera, the newest moment wins ----
  function syncFrames(list) {
    for (const name of list) {
      if (shown.has(name)) continue;
      const figure = el("figure", "tl-frame empty");
      figure.dataset.camera = name;
      const img = el("img");
      img.alt = "";
      const caption = el("figcaption");
      caption.append(el("strong", "", name), el("span", "when", ""));
      figure.append(img, caption);
      frames.append(figure);
      shown.set(name, { figure, img, caption, busy: false, want: null, last: 0, url: null });
    }
    for (const [name, item] of shown) {
      if (!list.includes(name)) { item.figure.remove(); shown.delete(name); }
    }
    showAt(state.t);
  }

  function showAt(t) {
    for (const [name, item] of shown) { item.want = t; fetchFrame(name, item); }
  }

  async function fetchFrame(name, item) {
    if (item.busy || item.want === null) return;
    const wait = FRAME_EVERY - (performance.now() - item.last);
    if (wait > 0) { item.busy = true; setTimeout(() => { item.busy = false; fetchFrame(name, item); }, wait); return; }
    const t = item.want;
    item.want = null;
    item.busy = true;
    item.last = performance.now();
    try {
      const response = await fetch("/api/cameras/" + encodeURIComponent(name) + "/frame?at=" + t.toFixed(3));
      if (response.ok) {
        const when = Number(response.headers.get("X-Camnet-Time"));
        const blob = await response.blob();
        if (item.url) URL.revokeObjectURL(item.url);
        item.url = URL.createObjectURL(blob);
        item.img.src = item.url;
        item.figure.dataset.time = when.toFixed(3);
        item.figure.classList.remove("empty");
        item.caption.lastChild.textContent = clock(when, true);
      } else {
        item.figure.classList.add("empty");
        delete item.figure.dataset.time;
        item.caption.lastChild.textContent = "nothing recorded";
      }
      item.figure.dataset.asked = t.toFixed(3);
    } catch (err) { /* the hub restarting: the next move asks again */ }
    item.busy = false;
    if (item.want !== null) fetchFrame(name, item);
  }

  // ---- the playhead: dragged on any track or the ruler ----
  function timeAt(track, clientX) {
    const box = track.getBoundingClientRect();
    const share = Math.min(Math.max((clientX - box.left) / box.width, 0), 1);
    return state.viewStart + share * state.span;
  }

  function moveTo(t, follow) {
    state.t = Math.min(Math.max(t, state.dayStart), state.dayEnd);
    if (follow && (state.t < state.viewStart || state.t > state.viewStart + state.span)) { centreOn(state.t); render(); }
    placeHead();
    showAt(state.t);
  }

  document.addEventListener("pointerdown", (e) => {
    const track = e.target.closest(".track");
    if (!track || e.button !== 0) return;
    dragging = { track, x0: e.clientX, moved: false, bar: e.target.closest(".span.event") };
    track.setPointerCapture(e.pointerId);
    stop();
    moveTo(timeAt(track, e.clientX), false);
    e.preventDefault();
  });
  document.addEventListener("pointermove", (e) => {
    if (!dragging) return;
    if (Math.abs(e.clientX - dragging.x0) > 4) dragging.moved = true;
    moveTo(timeAt(dragging.track, e.clientX), false);
  });
  document.addEventListener("pointerup", (e) => {
    if (!dragging) return;
    const { bar, moved } = dragging;
    dragging = null;
    remember();
    if (bar && !moved) location.href = "/events?event=" + encodeURIComponent(bar.dataset.event);
  });

  // ---- play: the playhead moves at the chosen speed; a stretch no camera recorded is skipped ----
  function nextRecorded(t) {
    let best = null, inside = false;
    for (const name of names()) {
      for (const span of state.cameras[name].spans) {
        if (span.start <= t && span.end >= t) inside = true;
        else if (span.start > t && (best === null || span.start < best)) best = span.start;
      }
    }
    return inside ? t : best;
  }

  function tick(stamp) {
    if (!state.playing) return;
    const dt = lastTick ? (stamp - lastTick) / 1000 : 0;
    lastTick = stamp;
    let t = state.t + dt * Number(speed.value);
    const recorded = nextRecorded(t);
    if (recorded === null || t >= Math.min(state.dayEnd, now())) { stop(); return; }
    t = recorded;
    moveTo(t, true);
    requestAnimationFrame(tick);
  }

  function play() {
    state.playing = true;
    lastTick = 0;
    playButton.textContent = "Pause";
    document.body.dataset.playing = "1";
    requestAnimationFrame(tick);
  }

  function stop() {
    if (!state.playing) return;
    state.playing = false;
    playButton.textContent = "Play";
    delete document.body.dataset.playing;
    remember();
  }

  playButton.addEventListener("click", () => (state.playing ? stop() : play()));

  // ---- events: previous and next from the playhead, across cameras ----
  function eventStarts() {
    const starts = [];
    for (const name of names()) for (const s of state.cameras[name].spans) if (s.kind === "event") starts.push(s.start);
    return starts.sort((a, b) => a - b);
  }
  $("prev-event").addEventListener("click", () => {
    const found = eventStarts().filter((s) => s < state.t - 0.5).pop();
    if (found === undefined) { summary.textContent = "no earlier event this day"; return; }
    stop(); moveTo(found, true); remember();
  });
  $("next-event").addEventListener("click", () => {
    const found = eventStarts().find((s) => s > state.t + 0.5);
    if (found === undefined) { summary.textContent = "no later event this day"; return; }
    stop(); moveTo(found, true); remember();
  });

  // ---- zoom and pan ----
  function zoom(step) {
    const i = Math.min(Math.max(ZOOMS.indexOf(state.span) + step, 0), ZOOMS.length - 1);
    state.span = ZOOMS[i === -1 ? 0 : i];
    centreOn(state.t);
    render();
    remember();
  }
  $("zoom-in").addEventListener("click", () => zoom(1));
  $("zoom-out").addEventListener("click", () => zoom(-1));
  function pan(share) { state.viewStart += state.span * share; clampView(); render(); }
  $("earlier").addEventListener("click", () => pan(-0.5));
  $("later").addEventListener("click", () => pan(0.5));
  window.addEventListener("resize", () => render());

  day.addEventListener("change", () => {
    if (!day.value) return;
    stop();
    setDay(day.value);
    state.span = 86400;
    clampView();
    state.t = Math.min(state.dayStart + 12 * 3600, now());
    remember();
    load();
  });

  // ---- download the visible range of one camera, with progress ----
  function syncExport(list) {
    const chosen = exportCamera.value;
    exportCamera.replaceChildren(...list.map((name) => { const o = el("option", "", name); o.value = name; return o; }));
    if (list.includes(chosen)) exportCamera.value = chosen;
  }

  $("export").addEventListener("click", async () => {
    const name = exportCamera.value;
    if (!name) return;
    const start = state.viewStart, end = Math.min(state.viewStart + state.span, now());
    const q = new URLSearchParams({ start: start.toFixed(3), end: end.toFixed(3) });
    exportStatus.textContent = "asking the hub…";
    progress.hidden = false; progress.value = 0;
    try {
      const response = await fetch("/api/cameras/" + encodeURIComponent(name) + "/export?" + q);
      if (!response.ok) {
        const body = await response.json().catch(() => ({ error: response.statusText }));
        exportStatus.textContent = body.error; progress.hidden = true; return;
      }
      const total = Number(response.headers.get("X-Camnet-Estimate")) || 0;
      const reader = response.body.getReader();
      const parts = [];
      let got = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value); got += value.length;
        progress.value = total ? Math.min(got / total, 0.99) : 0;
        exportStatus.textContent = (got / 1e6).toFixed(1) + " MB" + (total ? " of about " + (total / 1e6).toFixed(1) + " MB" : "");
      }
      progress.value = 1;
      const file = /filename=([^;]+)/.exec(response.headers.get("Content-Disposition") || "");
      const link = el("a");
      link.href = URL.createObjectURL(new Blob(parts, { type: "video/x-matroska" }));
      link.download = file ? file[1] : name + ".mkv";
      document.body.append(link); link.click(); link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
      exportStatus.textContent = "downloaded " + (got / 1e6).toFixed(1) + " MB: " + link.download;
      document.body.dataset.exported = String(got);
    } catch (err) { exportStatus.textContent = "the download stopped: " + err; }
  });

  // ---- start: the day, playhead and zoom from the URL, else now ----
  const q = new URLSearchParams(location.search);
  setDay(/^\d{4}-\d\d-\d\d$/.test(q.get("day") || "") ? q.get("day") : isoDay(new Date()));
  const wantedSpan = Number(q.get("span"));
  state.span = ZOOMS.includes(wantedSpan) ? wantedSpan : 86400;
  const wantedT = Number(q.get("t"));
  state.t = Number.isFinite(wantedT) && wantedT >= state.dayStart && wantedT <= state.dayEnd
    ? wantedT : Math.min(Math.max(now() - 60, state.dayStart), state.dayEnd);
  centreOn(state.t);
  load();
  refreshTimer = setInterval(() => { if (!document.hidden && state.dayEnd > now() - 60) load(); }, REFRESH_EVERY);
  window.addEventListener("pagehide", () => clearInterval(refreshTimer));
})();
