/* Client-side search over search-index.js (window.NEWSBEAT_SEARCH): no
   server, works from file://.  Results are built with textContent only. */
(function () {
  "use strict";
  var data = window.NEWSBEAT_SEARCH;
  var form = document.getElementById("search");
  var input = document.getElementById("q");
  var results = document.getElementById("results");
  var list = document.getElementById("results-list");
  var title = document.getElementById("results-title");
  var all = document.getElementById("all");
  if (!data || !form || !input || !results || !list || !all) return;
  var hay = data.map(function (e) {
    return (e.t + " " + e.p + " " + e.x).toLowerCase();
  });
  form.hidden = false;
  form.addEventListener("submit", function (ev) { ev.preventDefault(); });

  function snippet(e, word) {
    var text = e.x, i = text.toLowerCase().indexOf(word);
    if (i < 0) return e.p || text.slice(0, 160);
    var from = Math.max(0, i - 60);
    return (from > 0 ? "\u2026" : "") + text.slice(from, i + 100) + "\u2026";
  }

  function run() {
    var q = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    while (list.firstChild) list.removeChild(list.firstChild);
    if (!q.length) {
      results.hidden = true;
      all.hidden = false;
      return;
    }
    var n = 0;
    for (var i = 0; i < data.length && n < 50; i++) {
      var ok = q.every(function (w) { return hay[i].indexOf(w) >= 0; });
      if (!ok) continue;
      n++;
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.className = "title";
      a.href = data[i].u;
      a.textContent = data[i].t;
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = data[i].d;
      var sum = document.createElement("span");
      sum.className = "summary";
      sum.textContent = snippet(data[i], q[0]);
      li.appendChild(a);
      li.appendChild(meta);
      li.appendChild(sum);
      list.appendChild(li);
    }
    title.textContent = n ? "Search results (" + n + (n === 50 ? "+" : "") + ")" : "No issues match";
    results.hidden = false;
    all.hidden = true;
  }
  input.addEventListener("input", run);
  var m = /[?&]q=([^&]*)/.exec(window.location.search);
  if (m) {
    input.value = decodeURIComponent(m[1].replace(/\+/g, " "));
    run();
  }
})();
