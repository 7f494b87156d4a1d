// Weft's status page: reads the node's /v1 API every two seconds with the token
// typed once (kept in sessionStorage, i.e. for this tab only). No library, no build
// step; every value from the API is inserted as text, never as HTML.
"use strict";
(function () {
  var TOKEN_KEY = "weft_token";
  var REFRESH_MS = 2000;
  var errors = [];  // the last errors seen: failed jobs, failed sweeps, failed requests

  // A token in the address's fragment (#token=...) is taken once and removed from the
  // address: the fragment never reaches a server; it lets a script open the page.
  (function takeTokenFromFragment() {
    var m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
  })();

  function $(id) { return document.getElementById(id); }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function stateBadge(state) {
    var s = String(state === undefined || state === null ? "?" : state);
    return el("span", s, "state state-" + s.replace(/[^a-z_-]/gi, ""));
  }

  function bar(done, total, label) {
    var wrap = el("span");
    var b = el("span", null, "bar");
    var fill = el("div");
    var pct = total > 0 ? Math.min(100, Math.round(100 * done / total)) : 0;
    fill.style.width = pct + "%";
    b.appendChild(fill);
    b.setAttribute("role", "progressbar");
    b.setAttribute("aria-valuenow", String(pct));
    b.setAttribute("data-done", String(done));
    b.setAttribute("data-total", String(total));
    wrap.appendChild(b);
    wrap.appendChild(el("span", label !== undefined ? label : done + " / " + total + " (" + pct + "%)",
                        "bar-label"));
    return wrap;
  }

  function row(cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (c) {
      var td = document.createElement("td");
      if (c instanceof Node) td.appendChild(c); else td.textContent = c === null || c === undefined ? "" : String(c);
      tr.appendChild(td);
    });
    return tr;
  }

  function fill(tableId, rows) {
    var body = $(tableId).tBodies[0];
    while (body.firstChild) body.removeChild(body.firstChild);
    rows.forEach(function (r) { body.appendChild(r); });
  }

  function api(path) {
    return fetch(path, { headers: { "Authorization": "Bearer " + sessionStorage.getItem(TOKEN_KEY) },
                         cache: "no-store" })
      .then(function (resp) {
        if (resp.status === 401 || resp.status === 403) {
          var e = new Error("the token was refused (" + resp.status + ")");
          e.auth = true;
          throw e;
        }
        return resp.json().then(function (body) {
          if (!resp.ok) throw new Error(path + ": " + resp.status + " " + ((body && body.message) || ""));
          return body;
        });
      });
  }

  function list(body, key) {
    if (Array.isArray(body)) return body;
    if (body && Array.isArray(body[key])) return body[key];
    if (body && Array.isArray(body.items)) return body.items;
    return [];
  }

  function pick(o, keys) {
    for (var i = 0; i < keys.length; i++) if (o && o[keys[i]] !== undefined && o[keys[i]] !== null) return o[keys[i]];
    return undefined;
  }

  function note(text) {
    if (errors.indexOf(text) >= 0) return;
    errors.unshift(text);
    errors = errors.slice(0, 10);
  }

  function renderNodes(body) {
    var nodes = list(body, "nodes");
    fill("nodes", nodes.map(function (n) {
      var age = n.heartbeat_age_ms;
      var tr = row([n.name, n.role, stateBadge(n.state), n.address, n.merge_engines, n.weaver_engines,
                    n.is_master ? "(master)" : age === null || age === undefined ? "" : age + " ms",
                    n.version || ""]);
      tr.setAttribute("data-node", n.name);
      tr.setAttribute("data-state", n.state);
      return tr;
    }));
    var up = nodes.filter(function (n) { return n.state === "up"; }).length;
    $("cluster-summary").textContent = nodes.length + " nodes, " + up + " up";
  }

  function renderCapacity(body) {
    var cap = body && body.capacity !== undefined ? body.capacity : body;
    var rows = Array.isArray(cap) ? cap : list(cap, "types");
    var box = $("capacity");
    while (box.firstChild) box.removeChild(box.firstChild);
    rows.forEach(function (c) {
      var d = el("div", null, "capacity-row");
      d.setAttribute("data-type", c.type);
      d.appendChild(el("strong", c.type + " "));
      var expected = (c.local || 0) + (c.expected_remote || 0);
      var active = c.active !== undefined ? c.active : (c.local || 0) + (c.registered_remote || 0);
      d.appendChild(bar(active, expected, active + " active of " + expected + " expected (" +
                        (c.registered_remote || 0) + " remote registered, " + (c.standby || 0) +
                        " standby)" + (c.degraded ? " — degraded" : "")));
      box.appendChild(d);
    });
  }

  function renderJobs(body) {
    var jobs = list(body, "jobs").filter(function (j) {
      return ["done", "failed", "cancelled"].indexOf(j.state) < 0;
    });
    fill("jobs", jobs.map(function (j) {
      var merge = j.merge || {}, weave = j.weave || {};
      var tr = row([j.id, (j.options && j.options.name) || j.name || "", j["class"] || "",
                    bar(j.records_done || 0, j.records || 0),
                    bar(merge.done || 0, merge.total || 0), bar(weave.done || 0, weave.total || 0),
                    j.started_at || ""]);
      tr.setAttribute("data-job", j.id);
      tr.setAttribute("data-state", j.state);
      return tr;
    }));
    $("jobs-empty").hidden = jobs.length > 0;
  }

  function renderEngines(body) {
    fill("engines", list(body, "engines").map(function (e) {
      var tr = row([e.id, e.node, e.type, stateBadge(e.state), e.job === null ? "" : e.job,
                    e.batches_done]);
      tr.setAttribute("data-engine", e.id);
      return tr;
    }));
  }

  function renderSweeps(body) {
    var sweeps = list(body, "sweeps").slice(0, 8);
    fill("sweeps", sweeps.map(function (s) {
      if (s.status === "failed" && s.error) note("sweep " + s.id + " on " + s.node + ": " + s.error);
      return row([s.id, s.node, stateBadge(s.status), s.started_at, s.finished_at,
                  s.jobs_deleted, s.records_deleted, s.files_removed]);
    }));
  }

  function renderFailed(body) {
    list(body, "jobs").forEach(function (j) {
      if (j.error) note("job " + j.id + " " + j.state + ": " + j.error);
    });
  }

  function renderErrors() {
    var ul = $("errors");
    while (ul.firstChild) ul.removeChild(ul.firstChild);
    if (errors.length === 0) ul.appendChild(el("li", "none", "muted"));
    errors.forEach(function (e) { ul.appendChild(el("li", e, "error")); });
  }

  var parts = [
    ["/v1/cluster/nodes", renderNodes],
    ["/v1/cluster/capacity", renderCapacity],
    ["/v1/jobs?limit=50", renderJobs],
    ["/v1/cluster/engines", renderEngines],
    ["/v1/cluster/sweeps", renderSweeps],
    ["/v1/jobs?state=failed&limit=5", renderFailed]
  ];

  function showForm(message) {
    $("status").hidden = true;
    $("forget-token").hidden = true;
    $("token-form").hidden = false;
    $("token-error").textContent = message || "";
  }

  var timer = null;
  function refresh() {
    if (!sessionStorage.getItem(TOKEN_KEY)) { showForm(); return; }
    $("token-form").hidden = true;
    $("status").hidden = false;
    $("forget-token").hidden = false;
    var authFailed = false;
    Promise.all(parts.map(function (p) {
      return api(p[0]).then(p[1]).catch(function (e) {
        if (e.auth) authFailed = true; else note(p[0] + ": " + e.message);
      });
    })).then(function () {
      if (authFailed) {
        sessionStorage.removeItem(TOKEN_KEY);
        showForm("the node refused the token");
        return;
      }
      renderErrors();
      $("updated").textContent = "updated " + new Date().toLocaleTimeString();
      document.body.setAttribute("data-loaded", "true");
      timer = setTimeout(refresh, REFRESH_MS);
    });
  }

  $("token-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token-input").value.trim());
    $("token-input").value = "";
    refresh();
  });
  $("forget-token").addEventListener("click", function () {
    sessionStorage.removeItem(TOKEN_KEY);
    if (timer) clearTimeout(timer);
    showForm();
  });
  refresh();
})();
