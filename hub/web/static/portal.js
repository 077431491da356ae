// camnet portal: every camera of every hub, grouped by hub, each tile an MJPEG stream the
// portal forwards from the owning hub (one upstream connection per camera however many watch).
// The hubs' states come from /api/hubs every few seconds: online, offline, not authorised (the
// token was refused: what to do is shown), unreachable. Names are untrusted: textContent only.
"use strict";

(() => {
  const root = document.getElementById("hubs"), summary = document.getElementById("summary");
  const single = document.body.dataset.camera ? [document.body.dataset.hub, document.body.dataset.camera] : null;
  const EVERY = 3000;
  const tiles = new Map(); // "hub/camera" -> {tile, img, streaming}
  const sections = new Map(); // hub -> {section, state, grid}

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  const path = (hub, camera) => encodeURIComponent(hub) + "/" + encodeURIComponent(camera);

  function section(hub) {
    let found = sections.get(hub.name);
    if (!found) {
      const box = el("section", "hub");
      box.dataset.hub = hub.name;
      const head = el("h2", "hub-name");
      const state = el("span", "hub-state");
      const name = el(hub.url ? "a" : "span", "", hub.name);
      if (hub.url) { name.href = hub.url + "/"; name.title = "this hub's own page"; } // http(s) only: checked by the portal
      head.append(name, state);
      const why = el("p", "hub-reason");
      const grid = el("div", single ? "single" : "grid");
      box.append(head, why, grid);
      root.append(box);
      found = { section: box, state, why, grid };
      sections.set(hub.name, found);
    }
    found.section.dataset.state = hub.state;
    found.state.textContent = hub.state.replace("-", " ");
    found.why.textContent = hub.state === "online" ? "" : (hub.reason || "");
    return found;
  }

  function tile(camera, grid) {
    const key = camera.hub + "/" + camera.name;
    let found = tiles.get(key);
    if (!found) {
      const article = el("article", "tile");
      article.dataset.hub = camera.hub;
      article.dataset.camera = camera.name;
      const frame = el("div", "frame");
      const img = el("img");
      img.alt = camera.name;
      img.addEventListener("load", () => { article.dataset.painted = String(Number(article.dataset.painted || 0) + 1); });
      const status = el("span", "status");
      frame.append(img, status);
      const label = el("div", "label");
      label.append(el("span", "name", camera.name), el("span", "time", camera.hub));
      article.append(frame, label);
      if (!single) article.addEventListener("click", () => { location.href = "/camera/" + path(camera.hub, camera.name); });
      grid.append(article);
      found = { article, img, status, streaming: false };
      tiles.set(key, found);
    }
    found.article.dataset.status = camera.status;
    found.status.textContent = camera.status;
    const live = camera.status === "online" || camera.status === "camera-error";
    if (live && !found.streaming) {
      found.img.src = "/video_feed/" + path(camera.hub, camera.name) + (single ? "" : "?sub=1");
      found.streaming = true;
    } else if (!live && found.streaming) {
      found.img.removeAttribute("src"); // the hub went away: stop asking, keep the tile
      found.streaming = false;
    }
    return found;
  }

  async function refresh() {
    let hubs, cameras;
    try {
      const [h, c] = await Promise.all([fetch("/api/hubs", { cache: "no-store" }), fetch("/api/cameras", { cache: "no-store" })]);
      if (!h.ok || !c.ok) { summary.textContent = "the portal answered " + h.status; return; }
      hubs = await h.json(); cameras = await c.json();
    } catch (err) { summary.textContent = "the portal did not answer; retrying"; return; }
    const shownHubs = single ? hubs.filter((h) => h.name === single[0]) : hubs;
    for (const hub of shownHubs) {
      const place = section(hub);
      for (const camera of cameras) {
        if (camera.hub !== hub.name || (single && camera.name !== single[1])) continue;
        tile(camera, place.grid);
      }
    }
    document.getElementById("empty").hidden = hubs.length > 0;
    const online = hubs.filter((h) => h.state === "online").length;
    summary.textContent = hubs.length + (hubs.length === 1 ? " hub" : " hubs") + " (" + online + " online), "
      + cameras.length + (cameras.length === 1 ? " camera" : " cameras");
  }
  refresh();
  setInterval(() => { if (!document.hidden) refresh(); }, EVERY);
})();
