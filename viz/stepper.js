// The microprop stepper, one front end for the stepper page, the notebook widget and
// the lab. mount(el, scene, options) builds everything inside `el` (classes prefixed
// "mp-", styles scoped to .mp-stepper, keys only while it has focus) and lays the
// scene's DOT out with Graphviz in WebAssembly (options.Viz, the vendored viz.js).
// Scenes come from microprop.viz.scene: frames keyed by SVG ids, frame 0 in full,
// then what changed. update(scene) with the same shape only rewrites numbers.
// options.onLeaf(values, quiz) is called when a leaf's field changes (widget, lab):
// the host answers with update(scene); scenes carry quiz questions only when asked
// (quiz true), since the hints cost more than the rest of a live update.
var micropropStepper = (function () {
  "use strict";
  const STATUS = ["current", "pending", "partial"];
  const MIN_TEXT_PX = 12; // node text never drawn smaller: scroll instead
  let vizPromise = null;

  function layout(Viz, dot) {
    if (!vizPromise) vizPromise = Viz.instance();
    return vizPromise.then((viz) => viz.renderSVGElement(dot));
  }

  function h(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") e.textContent = v;
      else if (k === "class") e.className = v;
      else e.setAttribute(k, v);
    }
    (children || []).forEach((c) => e.appendChild(c));
    return e;
  }

  function num(x) {
    if (typeof x === "string") return Number(x.replace("inf", "Infinity"));
    return x;
  }

  function parseAnswer(text) {
    const raw = text.trim();
    if (raw.includes("/")) {
      const [a, b] = raw.split("/", 2).map(Number);
      return a / b;
    }
    return raw === "" ? NaN : Number(raw);
  }

  function close(a, b) {
    if (Number.isNaN(b)) return Number.isNaN(a);
    return Math.abs(a - b) <= Math.max(1e-3 * Math.max(Math.abs(a), Math.abs(b)), 1e-9);
  }

  function mount(el, scene, options) {
    const opts = options || {};
    const ui = {};
    let data = scene;
    let view = data.start;
    const pos = { forward: 0, backward: 0 };
    let dom = null; // per view: svg, nodes, edges
    let laidOut = null; // the layout key of the drawing
    let timer = null;
    let projector = !!opts.projector;
    let quizOn = false;
    let quizIndex = 0; // the next question
    // the words, in the scene's language (from microprop's message catalogue)
    const T = data.ui;
    const DATA = data.views.forward.prefix; // "data " / "값 ": the cell a forward frame rewrites
    const GRAD = data.views.backward.prefix;
    const say = (key, fields) => T[key].replace(/\{(\w+)\}/g, (m, name) => (name in fields ? String(fields[name]) : m));
    const score = { right: 0, asked: 0 };
    let userMoved = false;
    let onState = null; // the host's listener (URL state in the lab)

    // ---- the DOM, all inside el ----
    el.classList.add("mp-stepper");
    el.setAttribute("lang", data.lang);
    el.setAttribute("tabindex", "0");
    const viewButtons = {};
    for (const v of ["forward", "backward"]) {
      viewButtons[v] = h("button", { type: "button", class: "mp-view", "aria-pressed": "false",
                                    text: T[v] });
      viewButtons[v].addEventListener("click", () => setView(v));
    }
    ui.quiz = h("button", { type: "button", "aria-pressed": "false", "data-testid": "quiz", text: T.quiz,
                           title: T.quiz_title });
    ui.projector = h("button", { type: "button", "aria-pressed": "false", "data-testid": "projector",
                                text: T.projector, title: T.projector_title });
    const bar = h("div", { class: "mp-bar" }, [
      h("span", { class: "mp-group", role: "group", "aria-label": T.view }, [viewButtons.forward, viewButtons.backward]),
      ui.quiz, ui.projector,
    ]);
    ui.leaves = h("div", { class: "mp-leaves" });
    ui.prev = h("button", { type: "button", "data-testid": "prev", title: T.prev_title, text: T.prev });
    ui.play = h("button", { type: "button", title: T.play_title, text: T.play });
    ui.next = h("button", { type: "button", "data-testid": "next", title: T.next_title, text: T.next });
    ui.slider = h("input", { type: "range", min: "0", max: "0", value: "0", "aria-label": T.step, class: "mp-slider" });
    ui.counter = h("span", { class: "mp-counter", "aria-live": "polite" });
    const controls = h("div", { class: "mp-controls" }, [ui.prev, ui.play, ui.next, ui.slider, ui.counter]);
    ui.caption = h("pre", { class: "mp-caption", "data-testid": "caption", "aria-live": "polite" });
    ui.answer = h("input", { type: "text", class: "mp-answer", "data-testid": "quiz-answer", inputmode: "decimal",
                            "aria-label": T.your_answer, placeholder: T.placeholder });
    ui.question = h("span", { class: "mp-question", "data-testid": "quiz-question" });
    ui.check = h("button", { type: "button", "data-testid": "quiz-check", text: T.check });
    ui.reveal = h("button", { type: "button", "data-testid": "quiz-reveal", text: T.reveal });
    ui.feedback = h("pre", { class: "mp-feedback", "data-testid": "quiz-hint", "aria-live": "polite" });
    ui.score = h("span", { class: "mp-score", "data-testid": "quiz-score" });
    ui.quizBox = h("div", { class: "mp-quizbox" }, [
      h("div", { class: "mp-ask" }, [ui.question, ui.answer, ui.check, ui.reveal, ui.score]), ui.feedback,
    ]);
    ui.quizBox.hidden = true;
    ui.legend = h("div", { class: "mp-legend" }, [
      h("span", { class: "mp-edge-key", text: T.edge_key }),
      h("span", { text: T.arrows }),
    ]);
    ui.graph = h("div", { class: "mp-graph", "data-testid": "graph" });
    ui.panes = { forward: h("div", { class: "mp-pane mp-pane-forward" }), backward: h("div", { class: "mp-pane mp-pane-backward" }) };
    ui.graph.appendChild(ui.panes.forward);
    ui.graph.appendChild(ui.panes.backward);
    ui.error = h("pre", { class: "mp-error", "data-testid": "error", role: "alert" });
    ui.error.hidden = true;
    ui.help = h("div", { class: "mp-help",
      text: T.help });
    el.replaceChildren(bar, ui.leaves, controls, ui.caption, ui.quizBox, ui.error, ui.legend, ui.graph, ui.help);

    // ---- layout: both views' SVGs, indexed by id ----
    function indexView(name, svg) {
      const prefix = data.views[name].prefix;
      const nodes = {};
      svg.querySelectorAll("g.node").forEach((g) => {
        const texts = [...g.querySelectorAll("text")];
        const entry = { g: g, name: null, data: null, grad: null, gradCell: null };
        if (/^v\d+$/.test(g.id)) {
          entry.name = texts[0] || null;
          texts.slice(1).forEach((t) => {
            const cell = t.previousElementSibling && t.previousElementSibling.tagName.toLowerCase() === "polygon"
              ? t.previousElementSibling : null;
            if (!entry.data && t.textContent.startsWith(DATA)) entry.data = t;
            else if (!entry.grad && t.textContent.startsWith(GRAD)) { entry.grad = t; entry.gradCell = cell; }
          });
          const changing = prefix === DATA ? entry.data : entry.grad;
          let p = changing && changing.previousElementSibling;
          while (p && p.tagName.toLowerCase() !== "polygon") p = p.previousElementSibling;
          if (p) p.classList.add("mp-changing");
        }
        if (/^o\d+$/.test(g.id)) g.classList.add("op");
        nodes[g.id] = entry;
      });
      const edges = {};
      svg.querySelectorAll("g.edge").forEach((g) => {
        const label = g.querySelector("text");
        if (label) {
          const p = label.previousElementSibling;
          if (p && p.tagName.toLowerCase() === "polygon") p.classList.add("mp-label-bg");
        }
        edges[g.id] = { g: g, label: label };
      });
      return { svg: svg, prefix: prefix, nodes: nodes, edges: edges };
    }

    function testids() { // value-NAME / grad-NAME on the backward view's cells
      const d = dom.backward;
      for (const [id, name] of Object.entries(data.names)) {
        const n = d.nodes[id];
        if (!n) continue;
        if (n.data) n.data.setAttribute("data-testid", "value-" + name);
        if (n.grad) n.grad.setAttribute("data-testid", "grad-" + name);
      }
    }

    function relayout() {
      const want = data.layout;
      return Promise.all(["forward", "backward"].map((v) => layout(opts.Viz, data.dot[v]))).then((svgs) => {
        if (data.layout !== want) return; // a newer scene arrived meanwhile
        dom = {};
        ["forward", "backward"].forEach((v, i) => {
          const svg = svgs[i];
          svg.querySelectorAll("g.node > title").forEach((t) => { if (t.textContent === "legend") t.parentNode.id = "legend"; });
          svg.querySelectorAll("title").forEach((t) => t.remove()); // no tooltips of ids
          svg.removeAttribute("font-family");
          ui.panes[v].replaceChildren(svg);
          dom[v] = indexView(v, svg);
        });
        laidOut = want;
        el.dataset.layouts = String(Number(el.dataset.layouts || 0) + 1);
        testids();
        fit();
        render();
      }).catch((err) => showError(say("layout_error", { error: err })));
    }

    // readable: never shrink node text below MIN_TEXT_PX; projector mode draws bigger
    function fit() {
      for (const v of ["forward", "backward"]) {
        const svg = dom[v].svg;
        const vb = svg.viewBox.baseVal;
        if (!vb || !vb.width) continue;
        let minFont = Infinity;
        svg.querySelectorAll("g.node text, g.edge text").forEach((t) => {
          const f = parseFloat(t.getAttribute("font-size"));
          if (f && f < minFont) minFont = f;
        });
        if (!isFinite(minFont)) minFont = 14;
        const natural = vb.width * 4 / 3; // points to CSS px
        const avail = Math.max(200, ui.graph.clientWidth - 4);
        const least = MIN_TEXT_PX * vb.width / minFont; // the width at which the smallest text is 12 px
        let width = Math.ceil(Math.max(least, Math.min(natural, avail))) + 1;
        if (projector) width = Math.max(width, natural * 1.5);
        svg.setAttribute("width", String(width));
        svg.setAttribute("height", String(width * vb.height / vb.width));
        svg.style.width = width + "px";
      }
    }

    // ---- a frame: classes and texts ----
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

    function setText(t, text) {
      if (t.textContent !== text) t.textContent = text;
    }

    function render() {
      const frames = data.views[view].frames;
      pos[view] = Math.max(0, Math.min(frames.length - 1, pos[view]));
      const k = pos[view];
      const s = stateAt(view, k);
      ui.caption.textContent = s.caption;
      ui.slider.max = String(frames.length - 1);
      ui.slider.value = String(k);
      ui.counter.textContent = say("counter", { label: data.views[view].label, k: k, last: frames.length - 1 });
      ui.prev.disabled = k === 0;
      ui.next.disabled = k === frames.length - 1;
      el.dataset.view = view;
      el.dataset.frame = String(k);
      for (const v of ["forward", "backward"]) {
        ui.panes[v].hidden = v !== view;
        viewButtons[v].setAttribute("aria-pressed", String(v === view));
      }
      ui.legend.hidden = view !== "backward";
      ui.quizBox.hidden = !(quizOn && view === "backward");
      if (!dom) return;
      const d = dom[view];
      const other = dom[view === "forward" ? "backward" : "forward"];
      for (const [id, entry] of Object.entries(other.nodes)) { // numbers in the hidden view
        if (entry.data && id in data.data) setText(entry.data, DATA + data.data[id]);
      }
      for (const [id, entry] of Object.entries(d.nodes)) {
        entry.g.classList.remove(...STATUS);
        if (s.status[id]) entry.g.classList.add(s.status[id]);
        const changing = d.prefix === DATA ? entry.data : entry.grad;
        if (changing && id in s.text) {
          setText(changing, d.prefix + s.text[id]);
          entry.g.dataset.value = s.text[id];
        }
        if (view === "backward" && entry.data && id in data.data) setText(entry.data, DATA + data.data[id]);
        if (entry.gradCell && data.grad_fill[id]) entry.gradCell.setAttribute("fill", data.grad_fill[id]);
      }
      const legend = d.nodes.legend && [...d.nodes.legend.g.querySelectorAll("text")];
      if (legend && data.legend) data.legend.forEach((t, i) => { if (legend[i + 1]) legend[i + 1].textContent = t; });
      if (s.current && d.nodes["o" + s.current.slice(1)]) d.nodes["o" + s.current.slice(1)].g.classList.add("current");
      for (const [id, e] of Object.entries(d.edges)) {
        e.g.classList.remove("hot", "unsent");
        if (id in s.edges && !s.edges[id]) e.g.classList.add("unsent");
        if (e.label && data.edge_text[id] !== undefined && /^e\d+$/.test(id)) setText(e.label, data.edge_text[id]);
      }
      const hot = s.current ? s.hot.concat(["r" + s.current.slice(1)]) : s.hot;
      hot.forEach((id) => { if (d.edges[id]) d.edges[id].g.classList.add("hot"); });
      if (userMoved && s.current && d.nodes[s.current]) reveal(d.nodes[s.current].g);
      renderQuiz();
      if (onState) onState({ view: view, frame: pos[view] });
    }

    // keep the current node in sight: centre it in the graph box unless it is already clear
    // of the box's edges, then bring the whole box into the window (it is at most 80vh tall),
    // so the node never sits at the window's edge below an empty strip of the box
    function reveal(g) {
      const box = ui.graph.getBoundingClientRect();
      const r = g.getBoundingClientRect();
      const mx = Math.min(48, box.width / 8), my = Math.min(48, box.height / 8);
      if (r.left < box.left + mx || r.right > box.right - mx) {
        ui.graph.scrollLeft += (r.left + r.right) / 2 - (box.left + box.right) / 2;
      }
      if (r.top < box.top + my || r.bottom > box.bottom - my) {
        ui.graph.scrollTop += (r.top + r.bottom) / 2 - (box.top + box.bottom) / 2;
      }
      const b2 = ui.graph.getBoundingClientRect();
      if (b2.height <= window.innerHeight) {
        if (b2.top < 0 || b2.bottom > window.innerHeight) ui.graph.scrollIntoView({ block: "nearest", inline: "nearest" });
      } else {
        const r2 = g.getBoundingClientRect();
        if (r2.top < 0 || r2.bottom > window.innerHeight) g.scrollIntoView({ block: "center", inline: "nearest" });
      }
    }

    // ---- quiz: each grad typed before the step that reveals it ----
    function pendingQuestion() {
      if (!quizOn || view !== "backward") return null;
      const q = (data.quiz || [])[quizIndex];
      return q && q.step === pos.backward + 1 ? q : null;
    }

    function renderQuiz() {
      const q = pendingQuestion();
      if (!quizOn || view !== "backward") return;
      ui.score.textContent = say("score", score);
      if (q) {
        ui.question.textContent = q.name + ".grad = ?";
        ui.answer.disabled = ui.check.disabled = ui.reveal.disabled = false;
        ui.next.disabled = true;
        ui.next.title = T.answer_first;
      } else if (!data.quiz) {
        ui.question.textContent = T.loading_questions || "…";
        ui.answer.disabled = ui.check.disabled = ui.reveal.disabled = true;
      } else {
        ui.question.textContent = pos.backward === data.views.backward.frames.length - 1
          ? T.done : T.no_new_grad;
        ui.answer.disabled = ui.check.disabled = ui.reveal.disabled = true;
        ui.next.title = T.next_title;
      }
    }

    function checkAnswer() {
      const q = pendingQuestion();
      if (!q) return;
      const answer = parseAnswer(ui.answer.value);
      if (Number.isNaN(answer) && ui.answer.value.trim().toLowerCase() !== "nan") {
        ui.feedback.textContent = say("not_a_number", { text: JSON.stringify(ui.answer.value.slice(0, 40)) });
        return;
      }
      score.asked += 1;
      if (close(answer, num(q.truth))) {
        score.right += 1;
        ui.feedback.textContent = say("right", { grad: q.name + ".grad = " + q.shown });
        advance();
      } else {
        const slip = q.slips.find((s) => close(answer, s[0]));
        ui.feedback.textContent = (slip ? say("not_quite_hint", { hint: slip[1] }) : T.not_quite) + "\n" + T.try_again;
        ui.feedback.classList.add("mp-wrong");
      }
      ui.score.textContent = say("score", score);
    }

    function revealAnswer() {
      const q = pendingQuestion();
      if (!q) return;
      ui.feedback.textContent = q.name + ".grad = " + q.shown + "\n" + q.derivation.join("\n");
      advance();
    }

    function advance() {
      ui.answer.value = "";
      quizIndex += 1;
      if (!pendingQuestion()) { // every grad of this step answered: show it
        userMoved = true;
        pos.backward += 1;
      }
      render();
      if (!ui.feedback.textContent.startsWith(T.not_quite)) ui.feedback.classList.remove("mp-wrong");
    }

    function syncQuiz() { // questions before the current step count as done
      const quiz = data.quiz || [];
      quizIndex = quiz.findIndex((q) => q.step > pos.backward);
      if (quizIndex < 0) quizIndex = quiz.length;
    }

    function setQuiz(on) {
      quizOn = on;
      ui.quiz.setAttribute("aria-pressed", String(on));
      ui.feedback.textContent = "";
      if (on && !data.quiz && opts.onLeaf) changed(); // ask the host for the questions
      if (on) {
        if (view !== "backward") view = "backward";
        pos.backward = 0;
        score.right = score.asked = 0;
        syncQuiz();
      }
      render();
      if (on) ui.answer.focus();
    }

    // ---- moving ----
    function go(k) {
      if (quizOn && view === "backward" && k > pos.backward) {
        syncQuiz();
        if (pendingQuestion()) { render(); return; } // answer first
      }
      userMoved = true;
      pos[view] = Math.max(0, Math.min(data.views[view].frames.length - 1, k));
      if (quizOn) syncQuiz();
      render();
    }

    function setView(name) {
      view = name;
      render();
    }

    function play(on) {
      if (timer) { clearInterval(timer); timer = null; }
      if (on) {
        if (pos[view] === data.views[view].frames.length - 1) go(0);
        timer = setInterval(() => {
          const before = pos[view];
          if (before >= data.views[view].frames.length - 1) play(false);
          else { go(before + 1); if (pos[view] === before) play(false); }
        }, 1200);
      }
      ui.play.textContent = timer ? T.pause : T.play;
    }

    function setProjector(on) {
      projector = on;
      el.classList.toggle("mp-projector", on);
      ui.projector.setAttribute("aria-pressed", String(on));
      if (dom) { fit(); render(); }
    }

    function showError(message) {
      ui.error.textContent = message || "";
      ui.error.hidden = !message;
    }

    // ---- leaves: a number field and a slider each (when a kernel or server recomputes) ----
    const leafInputs = {};
    function buildLeaves() {
      ui.leaves.replaceChildren();
      for (const k of Object.keys(leafInputs)) delete leafInputs[k];
      if (!opts.onLeaf) return;
      for (const leaf of data.leaves) {
        const value = num(leaf.value);
        const field = h("input", { type: "number", step: "any", class: "mp-leaf-field",
                                  "data-testid": "leaf-" + leaf.name, "aria-label": leaf.name });
        field.value = String(value);
        const span = Math.max(2, Math.abs(value) * 2);
        const slider = h("input", { type: "range", class: "mp-leaf-slider", min: String(-span), max: String(span),
                                   step: String(span / 100), "aria-label": say("slider", { name: leaf.name }) });
        slider.value = String(value);
        field.addEventListener("change", () => { slider.value = field.value; changed(); });
        slider.addEventListener("input", () => { field.value = slider.value; changed(); });
        leafInputs[leaf.name] = { field: field, slider: slider };
        ui.leaves.appendChild(h("label", { class: "mp-leaf" }, [
          h("span", { class: "mp-leaf-name", text: leaf.name }), field, slider,
        ]));
      }
    }

    function leafValues() {
      const out = {};
      for (const [name, inp] of Object.entries(leafInputs)) out[name] = Number(inp.field.value);
      return out;
    }

    function changed() {
      const values = leafValues();
      if (Object.values(values).some((v) => Number.isNaN(v))) return;
      opts.onLeaf(values, quizOn);
    }

    function update(next) {
      const sameLeaves = JSON.stringify(next.leaves.map((l) => l.name)) === JSON.stringify(data.leaves.map((l) => l.name));
      if (!next.dot) next.dot = data.dot; // the same layout: the page keeps its drawing
      data = next;
      if (!sameLeaves) buildLeaves();
      else for (const leaf of data.leaves) { // the server's values, unless being typed
        const inp = leafInputs[leaf.name];
        if (inp && document.activeElement !== inp.field) inp.field.value = String(num(leaf.value));
      }
      showError("");
      if (quizOn) syncQuiz();
      if (data.layout !== laidOut) return relayout();
      render();
      return Promise.resolve();
    }

    // ---- events ----
    ui.prev.addEventListener("click", () => go(pos[view] - 1));
    ui.next.addEventListener("click", () => go(pos[view] + 1));
    ui.play.addEventListener("click", () => play(!timer));
    ui.slider.addEventListener("input", () => go(Number(ui.slider.value)));
    ui.quiz.addEventListener("click", () => setQuiz(!quizOn));
    ui.projector.addEventListener("click", () => setProjector(!projector));
    ui.check.addEventListener("click", checkAnswer);
    ui.reveal.addEventListener("click", revealAnswer);
    ui.answer.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); checkAnswer(); } });
    el.addEventListener("keydown", (e) => {
      const t = e.target;
      const tag = t && t.tagName;
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
      if (tag === "BUTTON" && (e.key === " " || e.key === "Enter")) return; // a click
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const keys = {
        ArrowRight: () => go(pos[view] + 1), ArrowLeft: () => go(pos[view] - 1),
        Home: () => go(0), End: () => go(Infinity), " ": () => play(!timer),
        f: () => setView("forward"), b: () => setView("backward"),
        q: () => setQuiz(!quizOn), p: () => setProjector(!projector),
      };
      if (keys[e.key]) { e.preventDefault(); e.stopPropagation(); keys[e.key](); }
    });
    let drag = null; // drag to pan
    ui.graph.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, left: ui.graph.scrollLeft, top: ui.graph.scrollTop };
    });
    ui.graph.addEventListener("pointermove", (e) => {
      if (!drag) return;
      ui.graph.scrollLeft = drag.left - (e.clientX - drag.x);
      ui.graph.scrollTop = drag.top - (e.clientY - drag.y);
    });
    for (const ev of ["pointerup", "pointerleave", "pointercancel"]) ui.graph.addEventListener(ev, () => { drag = null; });
    if (typeof ResizeObserver !== "undefined") {
      let lastWidth = 0;
      new ResizeObserver(() => {
        if (dom && ui.graph.clientWidth !== lastWidth) { lastWidth = ui.graph.clientWidth; fit(); }
      }).observe(ui.graph);
    }

    buildLeaves();
    if (projector) el.classList.add("mp-projector");
    const ready = relayout();
    const api = {
      ready: ready, update: update, go: go, setView: setView, setQuiz: setQuiz, setProjector: setProjector,
      showError: showError, leafValues: leafValues,
      state: () => ({ view: view, frame: pos[view], quiz: quizOn, projector: projector }),
      setState: (st) => {
        if (st.view === "forward" || st.view === "backward") view = st.view;
        if (Number.isFinite(st.frame)) pos[view] = st.frame;
        render();
      },
      listen: (fn) => { onState = fn; },
    };
    el.micropropStepper = api;
    return api;
  }

  return { mount: mount };
})();
