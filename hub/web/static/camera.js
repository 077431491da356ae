// camnet camera page: its motion masks (see, draw, save) and its recent events.
// Corners are kept in 0-1 coordinates of the frame, as the hub stores and applies them, so a
// mask fits the camera at any size the page is shown. Masks from the hub's config file are
// shown (dashed) but only the saved ones can be changed here: every corner of a saved mask
// (or of the one being drawn) is a handle to drag, by mouse or touch; Edit reopens a saved
// mask to add corners. The toolbar sits above the image, so it is in view while drawing.
"use strict";

(() => {
  const name = document.body.dataset.single;
  const panel = document.getElementById("masks");
  if (!name || !panel) return;
  const api = "/api/cameras/" + encodeURIComponent(name) + "/masks";
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  const [drawBtn, finishBtn, undoBtn, cancelBtn, clearBtn, saveBtn] =
    ["mask-draw", "mask-finish", "mask-undo", "mask-cancel", "mask-clear", "mask-save"].map($);
  const list = $("mask-list");
  const status = $("mask-status");
  let fixed = [];   // from the config file: shown, not editable
  let saved = [];   // as the page will save them
  let drawing = null; // corners of the polygon being drawn
  let dirty = false;
  let svg = null;
  let handles = null; // the corner handles' layer, over the image
  let dragged = false; // a drag just ended: its click adds no corner

  function attach(frame) {
    if (svg) return;
    svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 1 1");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("class", "masks");
    svg.addEventListener("click", addCorner);
    handles = document.createElement("div");
    handles.className = "handles";
    frame.append(svg, handles);
    render();
  }

  const clamp = (v) => Math.min(1, Math.max(0, Math.round(v * 10000) / 10000));

  function where(e) {
    const r = svg.getBoundingClientRect();
    return [clamp((e.clientX - r.left) / r.width), clamp((e.clientY - r.top) / r.height)];
  }

  function handle(corners, i, what) {
    const node = document.createElement("button");
    node.type = "button";
    node.className = "handle";
    node.setAttribute("aria-label", what + ", corner " + (i + 1) + ": drag to move it");
    const place = () => { node.style.left = 100 * corners[i][0] + "%"; node.style.top = 100 * corners[i][1] + "%"; };
    place();
    node.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      e.stopPropagation();
      node.setPointerCapture(e.pointerId);
      const move = (m) => { corners[i] = where(m); place(); dragged = true; redraw(); };
      const up = () => {
        node.removeEventListener("pointermove", move);
        node.removeEventListener("pointerup", up);
        node.removeEventListener("pointercancel", up);
        if (dragged) { dirty = drawing === null ? true : dirty; render(); }
        setTimeout(() => { dragged = false; }, 0);
      };
      node.addEventListener("pointermove", move);
      node.addEventListener("pointerup", up);
      node.addEventListener("pointercancel", up);
    });
    node.addEventListener("click", (e) => e.stopPropagation());
    return node;
  }
  document.addEventListener("camnet:tile", (e) => { if (e.detail.name === name) attach(e.detail.frame); });
  const existing = document.querySelector(".tile .frame");
  if (existing) attach(existing);

  function shape(tag, corners, cls) {
    const node = document.createElementNS(SVG, tag);
    node.setAttribute("points", corners.map((c) => c[0] + "," + c[1]).join(" "));
    node.setAttribute("class", cls);
    return node;
  }

  function item(text, onRemove, onEdit) {
    const li = document.createElement("li");
    li.textContent = text;
    for (const [label, action] of [["Remove", onRemove], ["Edit", onEdit]]) {
      if (!action) continue;
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.addEventListener("click", action);
      li.append(" ", button);
    }
    list.append(li);
  }

  function redraw() {
    if (!svg) return;
    svg.replaceChildren(
      ...fixed.map((p) => shape("polygon", p, "fixed")),
      ...saved.map((p) => shape("polygon", p, "saved")),
      ...(drawing ? [shape("polyline", drawing, "draft")] : []),
    );
    svg.classList.toggle("drawing", drawing !== null);
  }

  function render() {
    redraw();
    if (handles && document.body.dataset.role !== "viewer") {
      handles.replaceChildren(
        ...saved.flatMap((p, n) => p.map((_, i) => handle(p, i, "saved mask " + (n + 1)))),
        ...(drawing ? drawing.map((_, i) => handle(drawing, i, "new mask")) : []),
      );
    }
    list.replaceChildren();
    fixed.forEach((p, i) => item("Mask " + (i + 1) + " from the hub's config file (" + p.length + " corners)"));
    saved.forEach((p, i) => item("Saved mask " + (i + 1) + " (" + p.length + " corners)", () => {
      saved.splice(i, 1); dirty = true; render();
    }, drawing === null ? () => {
      drawing = saved.splice(i, 1)[0]; dirty = true;
      status.textContent = "Editing: drag corners, click to add one, then Finish and Save.";
      render();
    } : null));
    if (!fixed.length && !saved.length) item("No masks: motion anywhere in view counts.");
    drawBtn.disabled = drawing !== null;
    finishBtn.disabled = !drawing || drawing.length < 3;
    undoBtn.disabled = !drawing || drawing.length === 0;
    cancelBtn.disabled = drawing === null;
    clearBtn.disabled = drawing !== null || saved.length === 0;
    saveBtn.disabled = drawing !== null || !dirty;
  }

  function addCorner(e) {
    if (!drawing || dragged) return;
    drawing.push(where(e));
    render();
  }

  drawBtn.addEventListener("click", () => {
    drawing = [];
    status.textContent = "Click the corners of the area to ignore on the image, then Finish.";
    render();
  });
  finishBtn.addEventListener("click", () => {
    saved.push(drawing); drawing = null; dirty = true;
    status.textContent = "Not saved yet: press Save to apply it.";
    render();
  });
  undoBtn.addEventListener("click", () => { drawing.pop(); render(); });
  cancelBtn.addEventListener("click", () => { drawing = null; status.textContent = ""; render(); });
  clearBtn.addEventListener("click", () => { saved = []; dirty = true; render(); });
  saveBtn.addEventListener("click", async () => {
    saveBtn.disabled = true;
    status.textContent = "Saving…";
    try {
      const response = await fetch(api, {
        method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ masks: saved }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error || "the hub answered " + response.status);
      show(body);
      dirty = false;
      const n = body.config.length + body.saved.length;
      status.textContent = "Saved. " + n + (n === 1 ? " mask" : " masks") + " in force.";
    } catch (err) {
      status.textContent = "Not saved: " + err.message;
    }
    render();
  });

  function show(body) {
    fixed = body.config;
    saved = body.saved;
  }

  fetch(api, { cache: "no-store" })
    .then(async (response) => {
      const body = await response.json();
      if (!response.ok) throw new Error(body.error || "the hub answered " + response.status);
      show(body);
      render();
    })
    .catch((err) => { status.textContent = "Masks unavailable: " + err.message; });
})();

// The camera's recent events, newest first, each linking to the events page's player.
(() => {
  const name = document.body.dataset.single;
  const list = document.getElementById("recent-list");
  if (!name || !list) return;
  async function refresh() {
    try {
      const response = await fetch("/api/events?limit=10&camera=" + encodeURIComponent(name), { cache: "no-store" });
      const events = await response.json();
      if (!response.ok) throw new Error(events.error);
      list.replaceChildren(...events.map((event) => {
        const li = document.createElement("li");
        const link = document.createElement("a");
        link.href = event.snapshot || event.clip;
        link.textContent = new Date(event.start * 1000).toLocaleString() + " · "
          + (event.state === "recording" ? "recording…" : event.duration.toFixed(1) + " s")
          + (event.state === "cut" ? " · cut short" : "");
        li.append(link);
        return li;
      }));
      if (!events.length) list.replaceChildren(Object.assign(document.createElement("li"), { textContent: "No events yet." }));
    } catch (err) {
      list.replaceChildren(Object.assign(document.createElement("li"), { textContent: "Events unavailable: " + err.message }));
    }
  }
  refresh();
  setInterval(refresh, 10000);
})();
