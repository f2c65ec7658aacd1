// Search in the static export (no server): tables by id, regions by code or accent-free
// name, from the index in search-index.js. The live portal searches on the server.
(function () {
  "use strict";
  var out = document.getElementById("search-results");
  var index = window.ACTAS_SEARCH;
  var msg = window.ACTAS_I18N && window.ACTAS_I18N.search;
  if (!out || !index || !msg) { return; }
  var q = (new URLSearchParams(window.location.search).get("q") || "").trim();
  var input = document.getElementById("q");
  if (input) { input.value = q; }
  if (!q) { return; }
  function fold(s) { return s.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }
  if (q.length > 100 || /[<>;=%*\\{}\[\]|$^~!?]/.test(q) || q.indexOf("..") >= 0) {
    out.textContent = msg.error;
    return;
  }
  var f = fold(q), hits = [];
  index.tables.forEach(function (id) { if (id === q) { hits.push(["table", id]); } });
  index.regions.forEach(function (r) {
    if (hits.length < 50 && (r[0] === q || (f.length >= 2 && r[3].indexOf(f) >= 0))) { hits.push(["region", r[0], r[1], r[2]]); }
  });
  out.textContent = "";
  var head = document.createElement("h2");
  head.textContent = (hits.length === 1 ? msg.results_one : msg.results).split("{n}").join(String(hits.length));
  out.appendChild(head);
  if (!hits.length) { var p = document.createElement("p"); p.textContent = msg.none; out.appendChild(p); return; }
  var list = document.createElement("ul");
  list.className = "hits";
  hits.forEach(function (h) {
    var li = document.createElement("li"), a = document.createElement("a");
    if (h[0] === "table") {
      a.href = "tables/" + encodeURIComponent(h[1]) + msg.suffix + ".html";
      a.textContent = msg.table.split("{id}").join(h[1]);
      li.appendChild(a);
    } else {
      a.href = "regions/" + encodeURIComponent(h[1]) + msg.suffix + ".html";
      a.textContent = h[3] || h[1];
      li.appendChild(a);
      var span = document.createElement("span");
      span.className = "code";
      span.textContent = " " + (msg.levels[h[2]] || h[2]) + " " + h[1];
      li.appendChild(span);
    }
    list.appendChild(li);
  });
  out.appendChild(list);
})();
