// camnet events page: every recorded event, newest first, filtered by camera and day, paged by
// id (fast with 100,000 events). Clicking one plays it: the hub replays the stored JPEGs as
// MJPEG from any position (Chromium does not play MJPEG in <video>), the scrubber restarts the
// replay where it is dropped, and a paused player shows the single frame at that position.
// The list is live: every few seconds (while the tab is shown) the newest page is asked again,
// new events appear at the top and an event that ends stops saying "recording…". Delete acts
// after an undo window, so a wrong click costs nothing.
// Camera names are untrusted: they only reach the DOM through textContent.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const list = $("events"), older = $("older"), none = $("none"), summary = $("summary");
  const cameraSelect = $("camera"), day = $("day"), labelSelect = $("label"), alerts = $("alerts");
  const player = $("player"), screen = $("screen"), scrubber = $("scrubber"), position = $("position");
  const toggle = $("toggle"), download = $("download");
  const PAGE = 50;
  const LIVE_EVERY = 4000; // ms between looks at the newest events
  const UNDO_FOR = 8000; // ms a deletion can be taken back
  const doomed = new Map(); // event id -> timer of a deletion not yet sent
  let last = null; // id of the oldest event shown: the next page starts below it
  let current = null; // the event in the player
  let playing = false, playFrom = 0, playStarted = 0, clock = 0;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  const when = (t) => new Date(t * 1000).toLocaleString();
  const secs = (s) => s.toFixed(1) + " s";

  function query(before) {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (cameraSelect.value) q.set("camera", cameraSelect.value);
    if (labelSelect.value) q.set("label", labelSelect.value);
    if (alerts.checked) q.set("alert", "1");
    if (day.value) {
      const start = new Date(day.value + "T00:00:00");
      q.set("since", String(start.getTime() / 1000));
      q.set("until", String(start.getTime() / 1000 + 86400));
    }
    if (before) q.set("before", String(before));
    return "/api/events?" + q;
  }

  async function load(more) {
    if (!more) { list.replaceChildren(); last = null; }
    const response = await fetch(query(more ? last : null), { cache: "no-store" });
    const events = await response.json();
    if (!response.ok) { summary.textContent = events.error; return; }
    for (const event of events) if (!doomed.has(event.id)) list.append(item(event));
    if (events.length) last = events[events.length - 1].id;
    older.hidden = events.length < PAGE;
    none.hidden = list.children.length > 0;
    none.textContent = alerts.checked || labelSelect.value
      ? "No events that saw " + (labelSelect.value ? "a " + labelSelect.value : "an object") + " here: clear the filters to see motion-only events too."
      : "No events yet: an event starts when a camera sees motion.";
    const n = list.children.length;
    summary.textContent = n + (n === 1 ? " event" : " events") + " shown";
  }

  function item(event) {
    const li = el("li", "event");
    li.dataset.id = event.id;
    li.dataset.state = event.state;
    li.dataset.duration = String(event.duration);
    li.dataset.labels = (event.labels || []).join(",");
    li.tabIndex = 0;
    const img = el("img");
    img.alt = "";
    img.loading = "lazy";
    if (event.thumb) img.src = event.thumb;
    const text = el("div", "what");
    text.append(el("strong", "camera", event.camera), el("span", "when", when(event.start)),
      el("span", "length", event.state === "recording" ? "recording…" : secs(event.duration)));
    const chips = el("span", "chips");
    for (const label of event.labels || []) {
      const best = Math.max(...event.objects.filter((o) => o.label === label).map((o) => o.score));
      const chip = el("span", "chip", label + (Number.isFinite(best) ? " " + best.toFixed(2) : ""));
      chip.dataset.label = label;
      chips.append(chip);
    }
    if (!(event.labels || []).length) chips.append(el("span", "chip motion-only", "motion only"));
    text.append(chips);
    if (event.state === "cut") text.append(el("span", "cut", "cut short"));
    if (event.gaps) text.append(el("span", "gaps", event.gaps + " frames lost"));
    if (event.trimmed) text.append(el("span", "gaps", "first " + secs(event.trimmed) + " deleted by retention"));
    li.append(img, text);
    const open = () => show(event);
    li.addEventListener("click", open);
    li.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
    return li;
  }

  // --- live: the newest page again, merged into what is shown ---------------------------------
  async function refresh() {
    if (document.hidden) return;
    let events;
    try {
      const response = await fetch(query(null), { cache: "no-store" });
      if (!response.ok) return;
      events = await response.json();
    } catch (err) { return; } // the hub restarting: the next look will do
    const rows = new Map([...list.children].map((li) => [Number(li.dataset.id), li]));
    const newest = rows.size ? Math.max(...rows.keys()) : 0;
    for (const event of [...events].reverse()) { // oldest first, so each new one goes on top
      if (doomed.has(event.id)) continue;
      const row = rows.get(event.id);
      if (row) {
        const changed = row.dataset.state !== event.state || row.dataset.duration !== String(event.duration)
          || row.dataset.labels !== (event.labels || []).join(",");
        if (changed) row.replaceWith(item(event));
      } else if (event.id > newest) {
        list.prepend(item(event));
      }
      if (current && current.id === event.id && current.state !== event.state) show(event, true);
    }
    none.hidden = list.children.length > 0;
    if (last === null && events.length) last = events[events.length - 1].id;
  }
  setInterval(refresh, LIVE_EVERY);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });

  function show(event, keepPlaying) {
    current = event;
    player.hidden = false;
    $("player-title").textContent = event.camera + " · " + when(event.start);
    scrubber.max = String(Math.max(event.duration, 0.1));
    // An event still recording replays, but its clip is not complete yet: no download, no delete.
    const recording = event.state === "recording";
    if (recording) download.removeAttribute("href"); else download.href = event.clip;
    download.setAttribute("aria-disabled", String(recording));
    $("delete").disabled = recording;
    $("busy").hidden = !recording;
    if (keepPlaying) return; // the event ended while it played: only its buttons change
    play(0);
    player.scrollIntoView({ block: "nearest" });
  }

  function play(from) {
    playing = true; playFrom = from; playStarted = performance.now();
    toggle.textContent = "Pause";
    screen.src = "/events/" + current.id + "/play?t=" + from.toFixed(2);
  }

  function pause(at) {
    playing = false; playFrom = at;
    toggle.textContent = "Play";
    screen.src = "/events/" + current.id + "/frame.jpg?t=" + at.toFixed(2);
  }

  function now() { return playing ? Math.min(playFrom + (performance.now() - playStarted) / 1000, Number(scrubber.max)) : playFrom; }

  function tick() {
    if (current && !player.hidden) {
      const t = now();
      if (!scrubber.matches(":active")) scrubber.value = String(t);
      position.textContent = secs(t) + " / " + secs(Number(scrubber.max));
    }
    clock = requestAnimationFrame(tick);
  }

  toggle.addEventListener("click", () => { if (playing) pause(now()); else play(now() >= Number(scrubber.max) ? 0 : now()); });
  scrubber.addEventListener("input", () => { pause(Number(scrubber.value)); });
  scrubber.addEventListener("change", () => { play(Number(scrubber.value)); });
  $("close").addEventListener("click", () => { player.hidden = true; screen.removeAttribute("src"); current = null; });
  // Delete hides the event at once and asks the hub only after UNDO_FOR ms; Undo puts it back.
  async function send(id) {
    doomed.delete(id);
    const response = await fetch("/api/events/" + id, {
      method: "DELETE", headers: { "Content-Type": "application/json" }, body: "{}", keepalive: true,
    });
    if (!response.ok) summary.textContent = "Not deleted: " + ((await response.json()).error || response.status);
  }

  function toast(text, undo) {
    const bar = el("div", "undo");
    bar.setAttribute("role", "status");
    const button = el("button", "", "Undo");
    button.type = "button";
    button.addEventListener("click", () => { undo(); bar.remove(); });
    bar.append(el("span", "", text), button);
    document.body.append(bar);
    button.focus();
    setTimeout(() => bar.remove(), UNDO_FOR);
  }

  $("delete").addEventListener("click", () => {
    if (!current) return;
    const event = current, row = list.querySelector('[data-id="' + event.id + '"]');
    const next = row ? row.nextSibling : null;
    if (row) row.remove();
    player.hidden = true; screen.removeAttribute("src"); current = null;
    doomed.set(event.id, setTimeout(() => send(event.id), UNDO_FOR));
    toast("Event deleted (" + event.camera + ", " + when(event.start) + ").", () => {
      clearTimeout(doomed.get(event.id));
      doomed.delete(event.id);
      if (row) list.insertBefore(row, next && next.parentNode === list ? next : null);
      summary.textContent = "Deletion undone.";
    });
  });
  window.addEventListener("pagehide", () => { for (const id of [...doomed.keys()]) send(id); });
  older.addEventListener("click", () => load(true));
  cameraSelect.addEventListener("change", () => load(false));
  day.addEventListener("change", () => load(false));
  labelSelect.addEventListener("change", () => load(false));
  alerts.addEventListener("change", () => load(false));
  $("clear").addEventListener("click", () => {
    cameraSelect.value = ""; day.value = ""; labelSelect.value = ""; alerts.checked = false; load(false);
  });

  fetch("/api/cameras", { cache: "no-store" }).then((r) => r.json()).then((cameras) => {
    for (const cam of cameras) {
      const option = el("option", "", cam.name);
      option.value = cam.name;
      cameraSelect.append(option);
    }
    const wanted = new URLSearchParams(location.search).get("camera");
    if (wanted) {
      if (![...cameraSelect.options].some((o) => o.value === wanted)) {
        const option = el("option", "", wanted); option.value = wanted; cameraSelect.append(option);
      }
      cameraSelect.value = wanted;
    }
    load(false);
    const opened = Number(new URLSearchParams(location.search).get("event")); // from the timeline
    if (opened > 0) {
      fetch("/api/events/" + opened, { cache: "no-store" }).then((r) => r.json().then((body) => {
        if (r.ok) show(body); else summary.textContent = body.error;
      }));
    }
  });
  clock = requestAnimationFrame(tick);
})();
