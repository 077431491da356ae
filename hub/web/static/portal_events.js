// camnet portal events: the events of every hub, newest first, filtered by hub, camera and
// label; a click plays the event, replayed by the hub that recorded it through the portal.
// Events of a hub that is away stay listed, marked unreachable. Names: textContent only.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const list = $("events"), older = $("older"), none = $("none"), summary = $("summary");
  const hubSelect = $("hub"), cameraSelect = $("camera"), label = $("label");
  const player = $("player"), screen = $("screen"), download = $("download");
  const PAGE = 50;
  let last = null;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function query(before) {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (hubSelect.value) q.set("hub", hubSelect.value);
    if (cameraSelect.value) q.set("camera", cameraSelect.value);
    if (label.value.trim()) q.set("label", label.value.trim().toLowerCase());
    if (before !== null) q.set("before", String(before));
    return "/api/events?" + q;
  }

  async function load(more) {
    if (!more) { list.replaceChildren(); last = null; }
    const response = await fetch(query(more ? last : null), { cache: "no-store" });
    const events = await response.json();
    if (!response.ok) { summary.textContent = events.error; return; }
    for (const event of events) list.append(item(event));
    if (events.length) last = events[events.length - 1].start;
    older.hidden = events.length < PAGE;
    none.hidden = list.children.length > 0;
    summary.textContent = list.children.length + " events shown";
  }

  function item(event) {
    const li = el("li", "event");
    li.dataset.hub = event.hub;
    li.dataset.id = String(event.id);
    li.dataset.reachable = String(event.reachable);
    const img = el("img");
    img.alt = "";
    img.loading = "lazy";
    if (event.thumb && event.reachable) img.src = event.thumb;
    const text = el("div", "what");
    text.append(el("strong", "camera", event.camera), el("span", "hub-of", event.hub),
      el("span", "when", new Date(event.start * 1000).toLocaleString()));
    for (const l of event.labels || []) text.append(el("span", "chip", l));
    if (!event.reachable) text.append(el("span", "cut", "hub unreachable"));
    li.append(img, text);
    li.addEventListener("click", () => {
      if (!event.reachable) { summary.textContent = "hub " + event.hub + " is away: its events play once it is back"; return; }
      player.hidden = false;
      $("player-title").textContent = event.hub + " · " + event.camera + " · " + new Date(event.start * 1000).toLocaleString();
      screen.src = event.play;
      download.href = event.clip;
    });
    return li;
  }

  $("close").addEventListener("click", () => { player.hidden = true; screen.removeAttribute("src"); });
  older.addEventListener("click", () => load(true));
  for (const control of [hubSelect, cameraSelect]) control.addEventListener("change", () => load(false));
  label.addEventListener("change", () => load(false));
  $("clear").addEventListener("click", () => { hubSelect.value = ""; cameraSelect.value = ""; label.value = ""; load(false); });

  fetch("/api/cameras", { cache: "no-store" }).then((r) => r.json()).then((cameras) => {
    for (const hub of [...new Set(cameras.map((c) => c.hub))].sort()) { const o = el("option", "", hub); o.value = hub; hubSelect.append(o); }
    for (const name of [...new Set(cameras.map((c) => c.name))].sort()) { const o = el("option", "", name); o.value = name; cameraSelect.append(o); }
    load(false);
  });
})();
