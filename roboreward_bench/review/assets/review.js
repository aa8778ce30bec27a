// The rrbench review page. Every string from the dataset goes into the page through
// textContent or an attribute set from script, never as markup.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const VERBS = { accept: "accepted", reject: "rejected", relabel: "relabelled" };
  const state = { session: null, item: null, index: 0, note: "", busy: false, lastFrameTime: Infinity, limit: Infinity };

  function setText(element, value) {
    element.textContent = value === null || value === undefined ? "" : String(value);
  }

  function status(message, kind) {
    setText($("status"), message);
    $("status").dataset.kind = kind || "";
  }

  async function getJSON(url) {
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }

  function describe(mine) {
    if (!mine) return "";
    if (mine.decision === "reject") return "rejected";
    if (mine.decision === "relabel") return `relabelled to ${mine.label}`;
    return `accepted (label ${mine.label})`;
  }

  // ---- rendering ----------------------------------------------------------------------------

  function renderProgress() {
    const session = state.session;
    setText($("progress"), `${session.reviewer} · ${session.reviewed} of ${session.count} reviewed`);
    setText($("position"), `item ${state.index + 1} of ${session.count}`);
  }

  function renderLevels(proposed) {
    const list = $("levels");
    list.replaceChildren();
    for (const [level, text] of Object.entries(state.session.rubric)) {
      const entry = document.createElement("li");
      entry.value = Number(level);
      setText(entry, text);
      if (Number(level) === proposed) entry.className = "proposed";
      list.append(entry);
    }
  }

  function renderDecision(item) {
    const element = $("decision");
    element.dataset.kind = item.mine ? item.mine.decision : "";
    if (item.mine) setText(element, `${describe(item.mine)} at ${item.mine.time}`);
    else if (item.stale) setText(element, "not reviewed: your earlier decision was on content that has changed since");
    else setText(element, "not reviewed yet");
  }

  function renderNote() {
    const saved = state.item && state.item.mine && state.item.mine.note;
    if (state.note) setText($("note-view"), `note (saved with your next decision): ${state.note}`);
    else setText($("note-view"), saved ? `note: ${saved}` : "");
  }

  function renderVideo(item) {
    const video = $("video");
    video.pause();
    if (item.error) {
      video.removeAttribute("src");
      video.load();
      video.hidden = true;
      $("video-error").hidden = false;
      setText($("video-error"), item.error);
      setText($("clip-info"), "");
      state.lastFrameTime = state.limit = Infinity;
      return;
    }
    video.hidden = false;
    $("video-error").hidden = true;
    state.lastFrameTime = item.clip_end / item.fps;
    state.limit = (item.clip_end + 0.5) / item.fps;  // the middle of the clip's last frame
    video.src = item.video_url;
    setText($("clip-info"), `Plays up to frame ${item.clip_end} (${state.lastFrameTime.toFixed(2)} s at ${item.fps} fps).`);
  }

  function renderStrip(item) {
    const strip = $("strip");
    strip.replaceChildren();
    item.thumbs.forEach((url, k) => {
      const frame = item.frame_indices[k];
      const figure = document.createElement("figure");
      const image = document.createElement("img");
      image.src = url;
      image.alt = `frame ${frame}`;
      const caption = document.createElement("figcaption");
      setText(caption, frame);
      figure.append(image, caption);
      figure.addEventListener("click", () => {
        $("video").pause();
        $("video").currentTime = (frame + 0.5) / item.fps;
      });
      strip.append(figure);
    });
  }

  function svg(name, attributes) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    return element;
  }

  function renderCurve(item) {
    const box = $("curve");
    box.replaceChildren();
    $("curve-section").hidden = !item.frame_labels;
    if (!item.frame_labels) return;
    const labels = item.frame_labels;
    const width = 720, height = 150, left = 30, right = 12, top = 10, bottom = 26;
    const x = (frame) => left + (labels.length > 1 ? frame / (labels.length - 1) : 0.5) * (width - left - right);
    const y = (level) => top + ((5 - level) / 4) * (height - top - bottom);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "label of every frame" });
    for (let level = 1; level <= 5; level += 1) {
      chart.append(svg("line", { class: "grid", x1: left, x2: width - right, y1: y(level), y2: y(level) }));
      const tick = svg("text", { x: left - 16, y: y(level) + 4 });
      setText(tick, level);
      chart.append(tick);
    }
    let path = `M ${x(0)} ${y(labels[0])}`;
    for (let frame = 1; frame < labels.length; frame += 1) path += ` H ${x(frame)} V ${y(labels[frame])}`;
    chart.append(svg("path", { class: "step", d: path }));
    for (const frame of item.frame_indices) {
      if (frame < labels.length) chart.append(svg("circle", { class: "sampled", cx: x(frame), cy: y(labels[frame]), r: 3.5 }));
    }
    for (const [frame, anchor] of [[0, "start"], [labels.length - 1, "end"]]) {
      const caption = svg("text", { x: x(frame), y: height - 6, "text-anchor": anchor });
      setText(caption, `frame ${frame}`);
      chart.append(caption);
    }
    const cursor = svg("line", { class: "cursor", id: "curve-cursor", x1: x(0), x2: x(0), y1: top, y2: height - bottom });
    chart.append(cursor);
    box.append(chart);
    state.curveX = x;
  }

  function moveCursor() {
    const cursor = document.getElementById("curve-cursor");
    if (!cursor || !state.item || !state.item.frame_labels) return;
    const frame = Math.min(Math.floor($("video").currentTime * state.item.fps), state.item.frame_labels.length - 1);
    cursor.setAttribute("x1", String(state.curveX(frame)));
    cursor.setAttribute("x2", String(state.curveX(frame)));
  }

  function renderItem(item) {
    setText($("item-id"), item.item_id);
    setText($("meta"), `${item.subset} · ${item.kind}`);
    setText($("file-name"), item.file_name === item.item_id ? "" : `video: ${item.file_name}`);
    setText($("instruction"), item.instruction);
    setText($("label"), item.label);
    setText($("rubric"), item.rubric);
    renderLevels(item.label);
    renderDecision(item);
    renderNote();
    renderVideo(item);
    renderStrip(item);
    renderCurve(item);
    renderProgress();
  }

  // ---- the clip ends at clip_end ---------------------------------------------------------

  function holdAtClipEnd() {
    const video = $("video");
    if (video.currentTime > state.limit) {
      video.pause();
      video.currentTime = state.limit;
    }
    moveCursor();
  }

  function watchFrames(now, frame) {
    const video = $("video");
    // Stop on the presented frame itself, so no frame after clip_end is ever shown.
    if (frame && frame.mediaTime >= state.lastFrameTime - 1e-3) {
      video.pause();
      video.currentTime = state.limit;
    } else if (!video.paused) {
      video.requestVideoFrameCallback(watchFrames);
    }
    moveCursor();
  }

  function setUpVideo() {
    const video = $("video");
    video.addEventListener("timeupdate", holdAtClipEnd);
    video.addEventListener("seeking", holdAtClipEnd);
    video.addEventListener("play", () => {
      if (video.currentTime >= state.lastFrameTime - 1e-3) video.currentTime = 0;
      if ("requestVideoFrameCallback" in video) video.requestVideoFrameCallback(watchFrames);
    });
  }

  // ---- actions ------------------------------------------------------------------------------

  async function show(index) {
    const item = await getJSON(`/api/item/${index}`);
    state.index = index;
    state.item = item;
    state.note = "";
    document.body.dataset.index = String(index);
    renderItem(item);
  }

  async function decide(decision, label) {
    if (state.busy || !state.item) return;
    state.busy = true;
    status("saving…", "busy");
    try {
      const response = await fetch("/api/decision", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ index: state.index, decision, label, note: state.note }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
      const saved = body.saved;
      state.session.reviewed = body.reviewed;
      const message = `saved: ${saved.item_id} ${VERBS[saved.decision]}`;
      if (body.next === null) {
        state.item.mine = { decision: saved.decision, label: saved.corrected_label ?? saved.proposed_label,
                            note: saved.note, time: saved.time };
        state.note = "";
        renderDecision(state.item);
        renderNote();
        renderProgress();
        status(`${message}. All ${state.session.count} items are reviewed.`, "done");
      } else {
        await show(body.next);
        status(message, "ok");
      }
      document.body.dataset.saved = String(Number(document.body.dataset.saved || 0) + 1);
    } catch (error) {
      status(`not saved: ${error.message}`, "error");
    } finally {
      state.busy = false;
    }
  }

  async function step(offset) {
    if (state.busy || !state.session) return;
    const count = state.session.count;
    try {
      await show((state.index + offset + count) % count);
      status("", "");
    } catch (error) {
      status(error.message, "error");
    }
  }

  function openNote() {
    $("note-row").hidden = false;
    $("note").value = state.note;
    $("note").focus();
  }

  function closeNote() {
    $("note-row").hidden = true;
    $("note").blur();
  }

  function onKey(event) {
    if (event.target === $("note")) {
      if (event.key === "Enter") {
        state.note = $("note").value.trim();
        closeNote();
        renderNote();
        event.preventDefault();
      } else if (event.key === "Escape") {
        closeNote();
        event.preventDefault();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const key = event.key;
    if (key === "a") decide("accept", null);
    else if (key === "r") decide("reject", null);
    else if (/^[1-5]$/.test(key)) decide("relabel", Number(key));
    else if (key === "n") openNote();
    else if (key === "ArrowRight") step(1);
    else if (key === "ArrowLeft") step(-1);
    else if (key === " ") {
      const video = $("video");
      if (video.paused) video.play(); else video.pause();
    } else return;
    event.preventDefault();
    event.stopPropagation();
  }

  async function start() {
    setUpVideo();
    document.addEventListener("keydown", onKey, true);
    try {
      state.session = await getJSON("/api/session");
      setText($("title"), state.session.title);
      await show(state.session.start);
      document.body.dataset.ready = "1";
    } catch (error) {
      status(`cannot load: ${error.message}`, "error");
    }
  }

  start();
})();
