/* Client-side search over search-index.js (window.NEWSBEAT_SEARCH): no
   server, works from file://.  Results are built with DOM nodes and
   textContent only, never HTML.  Matching ignores case and accents
   ("zurich" finds "Zürich"); matches are shown in <mark>. */
(function () {
  "use strict";
  var data = window.NEWSBEAT_SEARCH;
  var form = document.getElementById("search");
  var input = document.getElementById("q");
  var results = document.getElementById("results");
  var list = document.getElementById("results-list");
  var title = document.getElementById("results-title");
  var all = document.getElementById("all");
  var MAX = 50;
  if (!data || !form || !input || !results || !list || !all) return;

  var COMBINING = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;
  /* One character as matching sees it: lower case, accents dropped. */
  function foldChar(c) {
    return c.normalize ? c.normalize("NFD").replace(COMBINING, "").toLowerCase() : c.toLowerCase();
  }
  /* The folded text, and for each of its characters the index in s it came from. */
  function fold(s) {
    var out = "", from = [], i = 0;
    while (i < s.length) {
      var cp = s.codePointAt(i), ch = String.fromCodePoint(cp), f = foldChar(ch);
      for (var k = 0; k < f.length; k++) from.push(i);
      out += f;
      i += ch.length;
    }
    from.push(s.length);
    return { text: out, from: from };
  }
  /* The same folding over a whole text at once, without the map: for the index and the query. */
  function foldText(s) {
    return s.normalize ? s.normalize("NFD").replace(COMBINING, "").toLowerCase() : s.toLowerCase();
  }

  var hay = data.map(function (e) {
    var tags = (e.g || []).map(function (t) { return t[0]; }).join(" ");
    return foldText([e.t, e.p, tags, e.x].join(" "));
  });
  form.hidden = false;
  form.addEventListener("submit", function (ev) { ev.preventDefault(); });

  function count(n) { return n + (n === 1 ? " issue" : " issues"); }

  /* Append s to el, the parts that match any of the folded words in <mark>. */
  function marked(el, s, words) {
    var f = fold(s), spans = [];
    words.forEach(function (w) {
      for (var at = f.text.indexOf(w); at >= 0; at = f.text.indexOf(w, at + w.length))
        spans.push([f.from[at], f.from[at + w.length]]);
    });
    spans.sort(function (a, b) { return a[0] - b[0]; });
    var pos = 0;
    spans.forEach(function (sp) {
      if (sp[1] <= pos) return;
      var start = Math.max(sp[0], pos);
      if (start > pos) el.appendChild(document.createTextNode(s.slice(pos, start)));
      var m = document.createElement("mark");
      m.textContent = s.slice(start, sp[1]);
      el.appendChild(m);
      pos = sp[1];
    });
    if (pos < s.length) el.appendChild(document.createTextNode(s.slice(pos)));
    return el;
  }

  /* Some 160 characters of the text around the first match, else the preheader. */
  function snippet(e, words) {
    var text = e.x, f = fold(text), best = -1;
    words.forEach(function (w) {
      var at = f.text.indexOf(w);
      if (at >= 0 && (best < 0 || at < best)) best = at;
    });
    if (best < 0) return e.p || text.slice(0, 160) + (text.length > 160 ? "\u2026" : "");
    var i = f.from[best], from = Math.max(0, i - 60), to = Math.min(text.length, i + 100);
    while (from > 0 && from < i && text.charAt(from - 1) !== " ") from++;
    while (to < text.length && to > i && text.charAt(to) !== " ") to--;
    return (from > 0 ? "\u2026" : "") + text.slice(from, to) + (to < text.length ? "\u2026" : "");
  }

  function span(cls) {
    var s = document.createElement("span");
    s.className = cls;
    return s;
  }

  /* One result, shown as the index lists an issue. */
  function result(e, words) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.className = "title";
    a.href = e.u;
    li.appendChild(marked(a, e.t, words));
    var meta = span("meta");
    meta.appendChild(document.createTextNode("Issue " + e.n + " \u00b7 "));
    var time = document.createElement("time");
    time.setAttribute("datetime", e.d);
    time.textContent = e.l || e.d;
    meta.appendChild(time);
    li.appendChild(meta);
    li.appendChild(marked(span("summary"), snippet(e, words), words));
    if (e.g && e.g.length) {
      var tags = span("tags");
      e.g.forEach(function (t) {
        var ta = document.createElement("a");
        ta.className = "tag";
        ta.href = t[1];
        marked(ta, t[0], words);
        tags.appendChild(ta);
        tags.appendChild(document.createTextNode(" "));
      });
      li.appendChild(tags);
    }
    return li;
  }

  function run() {
    var words = foldText(input.value).split(/\s+/).filter(Boolean);
    while (list.firstChild) list.removeChild(list.firstChild);
    if (!words.length) {
      results.hidden = true;
      all.hidden = false;
      return;
    }
    var n = 0;
    for (var i = 0; i < data.length && n < MAX; i++) {
      var h = hay[i];
      if (!words.every(function (w) { return h.indexOf(w) >= 0; })) continue;
      n++;
      list.appendChild(result(data[i], words));
    }
    title.textContent = n ? count(n) + (n === MAX ? " or more" : "") + " found" : "No issues match";
    results.hidden = false;
    all.hidden = true;
  }
  input.addEventListener("input", run);

  /* ?q=... from a link or the browser's history; a malformed escape ("%") is taken as typed. */
  function param(name) {
    var m = new RegExp("[?&]" + name + "=([^&#]*)").exec(window.location.search);
    if (!m) return null;
    var raw = m[1].replace(/\+/g, " ");
    try {
      return decodeURIComponent(raw);
    } catch (err) {
      return raw;
    }
  }
  var q = param("q");
  if (q !== null) {
    input.value = q;
    run();
  }
})();
