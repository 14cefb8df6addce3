// The lab's page: an expression box and presets around the stepper front end. Every
// change is sent to the server (POST /api/scene with the page's token), which answers
// with the new scene; the state (expression, values, passes, view, step) lives in the URL hash.
(function () {
  "use strict";
  const boot = JSON.parse(document.getElementById("lab-data").textContent);
  const token = new URLSearchParams(location.search).get("token") || "";
  const exprBox = document.getElementById("expr");
  const presetBox = document.getElementById("preset");
  let expr = boot.initial.expr;
  let values = Object.assign({}, boot.initial.values);
  let passes = 1; // 2: backward() called twice without zero_grad
  let stepper = null;
  let busy = false;
  let queued = null;
  let sent = null; // the request in flight
  let layout = null; // the layout the page has drawn: the server leaves its DOT out

  // state in the hash: #expr=...&view=backward&step=3&v.x1=2&v.w1=-3 (&passes=2)
  function readHash() {
    const h = new URLSearchParams(location.hash.slice(1));
    const state = { expr: h.get("expr"), view: h.get("view"), step: h.get("step"), passes: Number(h.get("passes")) || 1, values: {} };
    for (const [k, v] of h) if (k.startsWith("v.")) state.values[k.slice(2)] = Number(v);
    return state;
  }

  function writeHash(view, step) {
    const h = new URLSearchParams();
    h.set("expr", expr);
    h.set("view", view);
    h.set("step", String(step));
    if (passes !== 1) h.set("passes", String(passes));
    for (const [k, v] of Object.entries(values)) h.set("v." + k, String(v));
    history.replaceState(null, "", location.pathname + location.search + "#" + h.toString());
  }

  function ask(request) {
    if (busy) { queued = request; return Promise.resolve(); } // only the latest waits
    busy = true;
    sent = request;
    return fetch("/api/scene?token=" + encodeURIComponent(token), {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(Object.assign({ have: layout, quiz: stepper.state().quiz }, request)),
    }).then((r) => r.json().then((body) => ({ ok: r.ok, body: body })))
      .then(({ ok, body }) => {
        if (!ok) { stepper.showError(body.pretty || body.error); return; }
        expr = request.expr;
        passes = request.passes || 1;
        values = {};
        for (const leaf of body.leaves) values[leaf.name] = typeof leaf.value === "string" ? Number(leaf.value.replace("inf", "Infinity")) : leaf.value;
        layout = body.layout;
        const pending = stepper.update(body);
        const s = stepper.state();
        writeHash(s.view, s.frame);
        return pending;
      })
      .catch((err) => stepper.showError(boot.ui.no_answer.replace("{error}", String(err))))
      .finally(() => {
        busy = false;
        if (queued) { const next = queued; queued = null; ask(next); }
      });
  }

  boot.presets.forEach((p, i) => presetBox.appendChild(new Option(p.name, String(i))));
  presetBox.addEventListener("change", () => {
    const p = boot.presets[Number(presetBox.value)];
    if (!p) return;
    exprBox.value = p.expr;
    ask({ expr: p.expr, values: p.values, passes: p.passes || 1 });
  });
  document.getElementById("expr-form").addEventListener("submit", (e) => {
    e.preventDefault();
    ask({ expr: exprBox.value, values: values });
  });

  const state = readHash();
  fetch("/api/scene?token=" + encodeURIComponent(token), {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ expr: expr, values: values, quiz: false }),
  }).then((r) => r.json()).then((first) => {
    exprBox.value = expr;
    layout = first.layout;
    stepper = micropropStepper.mount(document.getElementById("stepper"), first, {
      Viz: MicropropViz,
      onLeaf: (v, quiz) => {
        // a field of the scene a new expression is replacing: drop it, lest it bring the old one back
        const latest = queued || (busy ? sent : null);
        if (latest && latest.expr !== expr) return;
        ask({ expr: expr, values: v, quiz: quiz, passes: passes });
      },
    });
    stepper.listen((s) => writeHash(s.view, s.frame));
    document.body.dataset.ready = "true";
    if (state.expr !== null) { // a shared link: its expression, values and step
      exprBox.value = state.expr;
      const target = { view: state.view, frame: Number(state.step) };
      ask({ expr: state.expr, values: state.values, passes: state.passes }).then(() => stepper.ready.then(() => stepper.setState(target)));
    }
  });
})();
