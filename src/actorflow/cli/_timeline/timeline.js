// The timeline page of `actorflow runs show RUN --html FILE`: draws the run embedded as
// JSON in #run-data. No network, no libraries.
(function () {
  "use strict";
  var COLORS = {
    COMPLETED: "#2f9e58", FAILED: "#d64545", CRASHED: "#9333ea", CANCELLED: "#d9a400",
    CANCELLING: "#e8c547", PAUSED: "#f59e0b", RUNNING: "#3b82f6", PENDING: "#9ca3af",
    SCHEDULED: "#9ca3af"
  };
  var FINAL = { COMPLETED: 1, FAILED: 1, CRASHED: 1, CANCELLED: 1 };
  var run = JSON.parse(document.getElementById("run-data").textContent);
  var items = [];  // what each bar shows: {kind, name, sub, state, history, params, message}

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function pad(n, width) { var s = String(n); while (s.length < width) s = "0" + s; return s; }
  function clock(t) {
    var d = new Date(t * 1000);
    return pad(d.getHours(), 2) + ":" + pad(d.getMinutes(), 2) + ":" + pad(d.getSeconds(), 2) +
      "." + pad(d.getMilliseconds(), 3);
  }
  function duration(s) {
    if (s === null || s === undefined) return "-";
    if (s < 0.001) return Math.round(s * 1e6) + "µs";
    if (s < 1) return Math.round(s * 1000) + "ms";
    if (s < 60) return s.toFixed(1) + "s";
    if (s < 3600) return Math.floor(s / 60) + "m " + pad(Math.floor(s % 60), 2) + "s";
    return Math.floor(s / 3600) + "h " + pad(Math.floor((s % 3600) / 60), 2) + "m";
  }
  // A history is [[type, name, timestamp, message], ...]: when it was created, started
  // running and ended (null while it goes on).
  function span(history) {
    var created = history.length ? history[0][2] : null, started = null, ended = null;
    for (var i = 0; i < history.length; i++) {
      if (started === null && history[i][0] === "RUNNING") started = history[i][2];
    }
    var last = history[history.length - 1];
    if (last && FINAL[last[0]]) ended = last[2];
    return { created: created, started: started, ended: ended };
  }

  // The time axis: from the run's creation to the last thing known.
  var t0 = run.started, t1 = run.ended || t0;
  (function extent(flow) {
    flow.history.forEach(function (h) { t1 = Math.max(t1, h[2]); });
    flow.tasks.forEach(function (task) {
      task.history.forEach(function (h) { t1 = Math.max(t1, h[2]); });
    });
    flow.subflows.forEach(extent);
  })(run);
  if (!run.ended) t1 = Math.max(t1, run.generated);
  var total = Math.max(t1 - t0, 1e-6);
  function x(t) { return ((t - t0) / total) * 100; }

  function bar(track, kind, history, state, item) {
    var s = span(history);
    if (s.created === null) return null;
    var start = s.started !== null ? s.started : s.created;
    var end = s.ended !== null ? s.ended : t1;
    if (kind === "task" && s.started !== null && s.started > s.created) {
      var wait = el("div", "wait");
      wait.style.left = x(s.created) + "%";
      wait.style.width = (x(s.started) - x(s.created)) + "%";
      track.appendChild(wait);
    }
    var b = el("div", "bar " + kind + (s.ended === null ? " going" : ""));
    b.style.left = x(start) + "%";
    b.style.width = Math.max(x(end) - x(start), 0) + "%";
    b.style.background = COLORS[state] || "#6b7280";
    item.span = s;
    b.setAttribute("data-item", String(items.length));
    items.push(item);
    track.appendChild(b);
    return b;
  }

  var rows = document.createDocumentFragment();
  var drawn = 0;
  function row(label, depth, className) {
    var r = el("div", "row" + (className ? " " + className : ""));
    var l = el("div", "label", label);
    l.style.paddingLeft = (8 + depth * 16) + "px";
    l.title = label;
    var track = el("div", "track");
    r.appendChild(l);
    r.appendChild(track);
    rows.appendChild(r);
    return track;
  }
  function drawFlow(flow, depth) {
    var track = row((depth ? "↳ " : "") + flow.name + "  (" + flow.flow + ")", depth, "flow-row");
    bar(track, "flow", flow.history, flow.state, {
      kind: depth ? "subflow run" : "flow run", name: flow.name, sub: "flow " + flow.flow,
      state: flow.stateName, history: flow.history, params: flow.params, message: flow.message
    });
    // Task runs and subflow runs in the order they were created.
    var children = flow.tasks.map(function (task, i) {
      return { t: task.history.length ? task.history[0][2] : 0, i: i, task: task };
    }).concat(flow.subflows.map(function (sub, i) {
      return { t: sub.started, i: flow.tasks.length + i, sub: sub };
    }));
    children.sort(function (a, b) { return a.t - b.t || a.i - b.i; });
    children.forEach(function (child) {
      if (child.sub) { drawFlow(child.sub, depth + 1); return; }
      var task = child.task, last = task.history[task.history.length - 1];
      var state = last ? last[0] : "PENDING";
      var b = bar(row(task.name, depth + 1), "task", task.history, state, {
        kind: "task run", name: task.name, sub: "task " + task.task,
        state: last ? last[1] : "Pending", history: task.history, params: task.params,
        message: last ? last[3] : null
      });
      if (b) drawn++;
    });
  }
  drawFlow(run, 0);
  document.getElementById("rows").appendChild(rows);

  // The header: what ran, how it ended, how long it took; the colors' legend.
  var head = document.getElementById("head");
  var title = el("h1");
  title.appendChild(document.createTextNode(run.name + " "));
  var badge = el("span", "badge", run.stateName);
  badge.style.background = COLORS[run.state] || "#6b7280";
  title.appendChild(badge);
  head.appendChild(title);
  var meta = el("div", "meta");
  [
    "flow " + run.flow, "id " + run.id, "started " + new Date(t0 * 1000).toLocaleString(),
    "duration " + (run.ended ? duration(run.ended - t0) : "- (still going)"),
    drawn + " task runs", run.runner
  ].forEach(function (text) { if (text) meta.appendChild(el("span", null, text)); });
  head.appendChild(meta);
  if (run.message) head.appendChild(el("div", "meta", run.message));
  var legend = el("div", "legend");
  ["COMPLETED", "FAILED", "CRASHED", "CANCELLED", "RUNNING", "PENDING"].forEach(function (s) {
    var entry = el("span");
    var swatch = el("i");
    swatch.style.background = COLORS[s];
    entry.appendChild(swatch);
    entry.appendChild(document.createTextNode(s.charAt(0) + s.slice(1).toLowerCase()));
    legend.appendChild(entry);
  });
  head.appendChild(legend);

  // The axis: about eight ticks at a round step.
  var axis = document.getElementById("axis");
  var steps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60,
    120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400];
  var step = steps[steps.length - 1];
  for (var i = 0; i < steps.length; i++) { if (total / steps[i] <= 8) { step = steps[i]; break; } }
  for (var k = 0; k * step <= total * 1.0001; k++) {
    if (k > 0 && x(t0 + k * step) > 94) break;  // its label would run off the chart
    var tick = el("div", "tick", "+" + duration(k * step));
    if (k === 0) tick.textContent = clock(t0);
    tick.style.left = x(t0 + k * step) + "%";
    axis.appendChild(tick);
  }

  // Details: on hover in the tooltip, on click in the panel.
  function describe(item, container, full) {
    container.appendChild(el(full ? "h2" : "div", null, item.name));
    container.appendChild(el("div", full ? "hint" : null,
      item.kind + " · " + item.sub + " · " + item.state + " · " +
      duration(item.span.ended !== null && item.span.started !== null ?
        item.span.ended - item.span.started : null)));
    var table = el("table");
    var created = item.history.length ? item.history[0][2] : t0;
    item.history.forEach(function (h) {
      var tr = el("tr");
      tr.appendChild(el("td", null, h[1]));
      tr.appendChild(el("td", "t", clock(h[2])));
      tr.appendChild(el("td", "t", "+" + duration(h[2] - created)));
      table.appendChild(tr);
    });
    container.appendChild(table);
    if (item.message) container.appendChild(el(full ? "pre" : "div", "msg", item.message));
    if (full) {
      var names = Object.keys(item.params || {});
      if (names.length) {
        container.appendChild(el("div", "hint", "Parameters"));
        container.appendChild(el("pre", null, names.map(function (n) {
          return n + " = " + item.params[n];
        }).join("\n")));
      }
    }
  }
  var tip = document.getElementById("tip");
  var panel = document.getElementById("panel");
  var chart = document.getElementById("chart");
  var selected = null;
  function itemOf(target) {
    var b = target && target.closest ? target.closest(".bar") : null;
    return b ? { bar: b, item: items[Number(b.getAttribute("data-item"))] } : null;
  }
  chart.addEventListener("mousemove", function (event) {
    var hit = itemOf(event.target);
    if (!hit) { tip.hidden = true; return; }
    tip.textContent = "";
    describe(hit.item, tip, false);
    tip.hidden = false;
    var left = Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    var top = event.clientY + 14;
    if (top + tip.offsetHeight > window.innerHeight) top = event.clientY - tip.offsetHeight - 10;
    tip.style.left = Math.max(left, 4) + "px";
    tip.style.top = Math.max(top, 4) + "px";
  });
  chart.addEventListener("mouseleave", function () { tip.hidden = true; });
  chart.addEventListener("click", function (event) {
    var hit = itemOf(event.target);
    if (!hit) return;
    if (selected) selected.classList.remove("selected");
    selected = hit.bar;
    selected.classList.add("selected");
    panel.textContent = "";
    describe(hit.item, panel, true);
  });

  document.body.setAttribute("data-rendered", String(drawn));
})();
