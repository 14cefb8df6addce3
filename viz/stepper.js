// The microprop stepper: one SVG per view, laid out once; each frame only changes
// texts and classes. Frames come from microprop.viz.frames (frame 0 in full, then
// what changed), so the page shows exactly what the static step images show.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("stepper-data").textContent);
  const $ = (id) => document.getElementById(id);
  const STATUS = ["current", "pending", "partial"];
  const pos = { forward: 0, backward: 0 };
  let view = data.start;
  let timer = null;

  // the text element showing the changing number of each node ("data ..." / "grad ...")
  function indexView(name) {
    const root = $("svg-" + name);
    const prefix = data.views[name].prefix;
    const nodes = {};
    root.querySelectorAll("g.node").forEach((g) => {
      const entry = { g: g, text: null };
      g.querySelectorAll("text").forEach((t) => {
        if (t.textContent.startsWith(prefix)) {
          entry.text = t;
          let p = t.previousElementSibling;
          while (p && p.tagName.toLowerCase() !== "polygon") p = p.previousElementSibling;
          if (p) p.classList.add("changing");
        }
      });
      if (g.id.startsWith("o")) g.classList.add("op");
      nodes[g.id] = entry;
    });
    const edges = {};
    root.querySelectorAll("g.edge").forEach((g) => { edges[g.id] = g; });
    return { root: root, prefix: prefix, nodes: nodes, edges: edges };
  }
  const dom = { forward: indexView("forward"), backward: indexView("backward") };

  // frame k in full: frame 0 plus the changes of frames 1..k
  function stateAt(name, k) {
    const frames = data.views[name].frames;
    const s = { text: {}, status: {}, edges: {} };
    for (let i = 0; i <= k; i++) {
      Object.assign(s.text, frames[i].text || {});
      Object.assign(s.status, frames[i].status || {});
      Object.assign(s.edges, frames[i].edges || {});
    }
    s.caption = frames[k].caption;
    s.current = frames[k].current;
    s.hot = frames[k].hot || [];
    return s;
  }

  function render() {
    const frames = data.views[view].frames;
    const k = pos[view];
    const s = stateAt(view, k);
    const d = dom[view];
    for (const [id, entry] of Object.entries(d.nodes)) {
      entry.g.classList.remove(...STATUS);
      if (id in s.status && s.status[id]) entry.g.classList.add(s.status[id]);
      if (entry.text && id in s.text) {
        entry.text.textContent = d.prefix + s.text[id];
        entry.g.dataset.value = s.text[id];
      }
    }
    if (s.current) {
      const op = d.nodes["o" + s.current.slice(1)];
      if (op) op.g.classList.add("current");
    }
    for (const [id, g] of Object.entries(d.edges)) {
      g.classList.remove("hot", "unsent");
      if (id in s.edges && !s.edges[id]) g.classList.add("unsent");
    }
    const hot = s.current ? s.hot.concat(["r" + s.current.slice(1)]) : s.hot;
    hot.forEach((id) => { if (d.edges[id]) d.edges[id].classList.add("hot"); });
    if (full && s.current && d.nodes[s.current]) {
      d.nodes[s.current].g.scrollIntoView({ block: "nearest", inline: "center" });
    }
    $("caption").textContent = s.caption;
    $("slider").max = String(frames.length - 1);
    $("slider").value = String(k);
    $("counter").textContent = data.views[view].label + " " + k + " of " + (frames.length - 1);
    $("prev").disabled = k === 0;
    $("next").disabled = k === frames.length - 1;
    document.body.dataset.view = view;
    document.body.dataset.frame = String(k);
  }

  function go(k) {
    const last = data.views[view].frames.length - 1;
    pos[view] = Math.max(0, Math.min(last, k));
    render();
  }

  // fit the window, or full size (scrolling to the current node) for big graphs
  let full = false;
  function setZoom(on) {
    full = on;
    document.querySelector("main").classList.toggle("full", on);
    $("zoom").textContent = on ? "Fit" : "Full size";
    render();
  }

  function setView(name) {
    view = name;
    for (const v of ["forward", "backward"]) {
      $("svg-" + v).hidden = v !== name;
      $("view-" + v).setAttribute("aria-pressed", String(v === name));
    }
    render();
  }

  function play(on) {
    if (timer) { clearInterval(timer); timer = null; }
    if (on) {
      if (pos[view] === data.views[view].frames.length - 1) go(0);
      timer = setInterval(() => {
        if (pos[view] >= data.views[view].frames.length - 1) play(false);
        else go(pos[view] + 1);
      }, 1200);
    }
    $("play").textContent = timer ? "❚❚ Pause" : "▶ Play";
  }

  $("prev").addEventListener("click", () => go(pos[view] - 1));
  $("next").addEventListener("click", () => go(pos[view] + 1));
  $("play").addEventListener("click", () => play(!timer));
  $("slider").addEventListener("input", (e) => go(Number(e.target.value)));
  $("zoom").addEventListener("click", () => setZoom(!full));
  $("view-forward").addEventListener("click", () => setView("forward"));
  $("view-backward").addEventListener("click", () => setView("backward"));
  document.addEventListener("keydown", (e) => {
    const tag = e.target && e.target.tagName;
    if (tag === "INPUT" && e.key !== " ") return; // the slider moves itself
    if (tag === "BUTTON" && (e.key === " " || e.key === "Enter")) return; // a click
    const keys = {
      ArrowRight: () => go(pos[view] + 1), ArrowLeft: () => go(pos[view] - 1),
      Home: () => go(0), End: () => go(Infinity), " ": () => play(!timer), z: () => setZoom(!full),
    };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });

  window.stepper = {
    go: go, setView: setView, setZoom: setZoom, state: () => ({ view: view, frame: pos[view] }),
  };
  setView(view);
  // a graph more than twice as wide as the window is unreadable when fitted
  const svg = $("svg-" + view).querySelector("svg");
  if (svg && svg.width.baseVal.value > 2 * $("svg-" + view).clientWidth) setZoom(true);
})();
