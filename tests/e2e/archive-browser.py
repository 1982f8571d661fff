#!/usr/bin/python3
"""The archive as a reader sees it, in headless Chromium (cdp.py).

  archive-browser.py PUBLIC_DIR

For each page given on stdin (one path under PUBLIC_DIR a line), at 375
and 1280 px, in the light and the dark theme (prefers-color-scheme): no
console message, exception or failed load; no horizontal overflow; room
between the header and the first thing on the page and between the last
one and the footer (computed layout); WCAG 2.1 AA contrast computed from
the real computed styles: 4.5:1 for visible text (3:1 when large), 3:1
for the borders of form fields and the button against what surrounds
them, and for placeholders 4.5:1.  Then the search, driven through the
URL and the box: accent-insensitive, matches in <mark>, "?q=%" without
an error, the count as "1 issue" / "N issues", dates and tag labels as
the index shows them.  Prints TAP lines.
"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser, Tap  # noqa: E402

public = os.path.abspath(sys.argv[1])
pages = [line.strip() for line in sys.stdin if line.strip()]
tap = Tap()
GAP = 16  # px: the least room the layout must leave


# Runs in the page: every visible text node and control, with the colours
# it is shown in.  Backgrounds are composited up the ancestors (alpha
# included) onto the canvas, which is the root's background or, with none,
# the colour scheme's default canvas.
CONTRAST_JS = r"""
(() => {
  const parse = s => {
    const m = /rgba?\(([^)]+)\)/.exec(s);
    if (!m) return null;
    const v = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1];
  };
  const over = (top, under) => {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]);
  };
  const dark = matchMedia("(prefers-color-scheme: dark)").matches;
  const canvasOf = () => {
    for (const el of [document.documentElement, document.body]) {
      const c = parse(getComputedStyle(el).backgroundColor);
      if (c && c[3] > 0) return over(c, dark ? [18, 18, 18, 1] : [255, 255, 255, 1]);
    }
    return dark ? [18, 18, 18, 1] : [255, 255, 255, 1];
  };
  const canvas = canvasOf();
  const bgOf = el => {
    const layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) layers.push(c);
      if (c && c[3] >= 1) break;
    }
    let bg = canvas;
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const lum = c => {
    const f = x => { x /= 255; return x <= 0.04045 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => {
    const x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };
  const visible = el => {
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === "none" || s.visibility === "hidden" || Number(s.opacity) === 0) return false;
    }
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && r.right > 0 && r.bottom > 0 &&
      r.left < document.documentElement.scrollWidth;
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const el = t.parentElement;
    if (!t.nodeValue.trim() || seen.has(el) || !visible(el)) continue;
    seen.add(el);
    const s = getComputedStyle(el);
    const fg = parse(s.color), bg = bgOf(el);
    const px = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
    const large = px >= 24 || (bold && px >= 18.66);
    out.push({what: name(el) + " '" + t.nodeValue.trim().slice(0, 30) + "'",
              ratio: ratio(over(fg, bg), bg), need: large ? 3 : 4.5});
  }
  for (const el of document.querySelectorAll("input, button, select, textarea")) {
    if (!visible(el)) continue;
    const s = getComputedStyle(el);
    const around = bgOf(el.parentElement), own = bgOf(el);
    const border = parse(s.borderTopColor);
    const bw = parseFloat(s.borderTopWidth);
    // The control's edge is its border, or else its own background.
    const edge = bw > 0 && border[3] > 0 ? over(border, around) : own;
    out.push({what: name(el) + " edge", ratio: ratio(edge, around), need: 3});
    if (el.tagName === "INPUT" && el.placeholder) {
      const ph = parse(getComputedStyle(el, "::placeholder").color);
      out.push({what: name(el) + " placeholder", ratio: ratio(over(ph, own), own), need: 4.5});
    }
  }
  return out;
})()
"""

# Room above the first thing in main and below the last, in px.
LAYOUT_JS = r"""
(() => {
  const main = document.querySelector("main");
  const header = document.querySelector("header.site");
  const footer = document.querySelector("footer.site");
  const kids = [...main.children].filter(e => getComputedStyle(e).display !== "none" && !e.hidden);
  const first = kids[0], last = kids[kids.length - 1];
  const h1 = main.querySelector("h1");
  return {
    top: first.getBoundingClientRect().top - header.getBoundingClientRect().bottom,
    h1: h1.getBoundingClientRect().top - header.getBoundingClientRect().bottom,
    bottom: footer.getBoundingClientRect().top - last.getBoundingClientRect().bottom,
    first: first.tagName + "." + first.className, last: last.tagName + "." + last.className,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
  };
})()
"""

b = Browser()
try:
    for page in pages:
        url = "file://" + os.path.join(public, page)
        for scheme in ("light", "dark"):
            for width in (375, 1280):
                where = "%s, %s, %d px" % (page, scheme, width)
                b.emulate(width, scheme)
                b.problems = []
                b.goto(url)
                tap(b.js("matchMedia('(prefers-color-scheme: %s)').matches" % scheme),
                    "%s: the theme is emulated" % where)
                bg = b.js("getComputedStyle(document.body).backgroundColor")
                rgb = [int(x) for x in bg[bg.index("(") + 1:bg.index(")")].split(",")[:3]]
                tap((sum(rgb) < 150) == (scheme == "dark"),
                    "%s: the page follows the theme (background %s)" % (where, bg))
                lay = b.js(LAYOUT_JS)
                tap(lay["overflow"] <= 0, "%s: no horizontal overflow (%d px)" % (where, lay["overflow"]))
                tap(lay["top"] >= GAP and lay["h1"] >= GAP,
                    "%s: room between the header and %s (%.0f px) and the h1 (%.0f px)"
                    % (where, lay["first"], lay["top"], lay["h1"]))
                tap(lay["bottom"] >= GAP, "%s: room between %s and the footer (%.0f px)"
                    % (where, lay["last"], lay["bottom"]))
                pairs = b.js(CONTRAST_JS)
                bad = ["%s %.2f:1 < %.1f" % (p["what"], p["ratio"], p["need"])
                       for p in pairs if p["ratio"] < p["need"] - 0.005]
                tap(len(pairs) > 10 and not bad, "%s: contrast of %d texts and controls%s"
                    % (where, len(pairs), ": " + "; ".join(bad[:6]) if bad else ""))
                tap(not b.problems, "%s: no console messages%s"
                    % (where, ": " + "; ".join(b.problems[:3]) if b.problems else ""))

    # Search in both themes: results are only on screen after a query, so
    # their contrast (the <mark> highlights too) is checked here.
    index = "file://" + os.path.join(public, "index.html")
    for scheme in ("light", "dark"):
        b.emulate(1280, scheme)
        b.problems = []
        b.goto(index + "?q=zurich")
        res = b.js("""(() => {
          const li = [...document.querySelectorAll('#results-list > li')];
          return {title: document.getElementById('results-title').textContent,
                  hidden: document.getElementById('results').hidden,
                  titles: li.map(l => l.querySelector('.title').textContent),
                  marks: [...document.querySelectorAll('#results-list mark')].map(m => m.textContent)};
        })()""")
        tap(not res["hidden"] and res["titles"] == ["Zebrafish in Zürich"],
            "search %s: 'zurich' finds the issue about Zürich (%r)" % (scheme, res["titles"]))
        tap("Zürich" in res["marks"], "search %s: the match is in <mark> as written (%r)" % (scheme, res["marks"]))
        tap(res["title"] == "1 issue found", "search %s: the count says '1 issue found' (%r)" % (scheme, res["title"]))
        pairs = b.js(CONTRAST_JS)
        bad = ["%s %.2f:1" % (p["what"], p["ratio"]) for p in pairs if p["ratio"] < p["need"] - 0.005]
        tap(any(p["what"].startswith("mark") for p in pairs) and not bad,
            "search %s: the results, highlights included, keep their contrast%s"
            % (scheme, ": " + "; ".join(bad[:6]) if bad else ""))
        tap(not b.problems, "search %s: no console messages%s"
            % (scheme, ": " + "; ".join(b.problems[:3]) if b.problems else ""))

    b.problems = []
    b.goto(index + "?q=%")
    tap(not b.problems, "?q=%% throws nothing%s" % (": " + "; ".join(b.problems[:3]) if b.problems else ""))
    tap(b.js("document.getElementById('q').value") == "%", "…and searches for '%' as typed")
    b.goto(index + "?q=caf%C3%A9%20ZEBRA")
    tap(b.js("document.getElementById('results-title').textContent") == "1 issue found",
        "a percent-encoded query with accents and capitals is decoded")

    # Typed into the box: a word in several issues; dates and tags as on the index.
    b.goto(index)
    b.type_into("#q", "research")
    res = b.js("""(() => {
      const li = [...document.querySelectorAll('#results-list > li')];
      const shown = {};
      for (const l of document.querySelectorAll('#all .issues > li'))
        shown[l.querySelector('.title').getAttribute('href')] = {
          meta: l.querySelector('.meta').textContent,
          tags: [...l.querySelectorAll('.tag')].map(t => t.textContent)};
      return {title: document.getElementById('results-title').textContent,
              got: li.map(l => ({href: l.querySelector('.title').getAttribute('href'),
                                 meta: l.querySelector('.meta').textContent,
                                 tags: [...l.querySelectorAll('.tag')].map(t => t.textContent)})),
              shown: shown};
    })()""")
    tap(res["title"] == "%d issues found" % len(res["got"]) and len(res["got"]) >= 2,
        "typed search: the count says 'N issues found' (%r)" % res["title"])
    same = [r for r in res["got"] if res["shown"].get(r["href"]) == {"meta": r["meta"], "tags": r["tags"]}]
    tap(res["got"] and len(same) == len(res["got"]),
        "typed search: each result's date line and tag labels are the index's (%r)" % res["got"][:2])
    tap(any("Heart & Lungs" in r["tags"] for r in res["got"]),
        "typed search: tag labels as written, not slugs")
except Exception as e:
    tap(False, "browser: %r" % e)
finally:
    b.close()
tap.done()
