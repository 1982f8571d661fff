#!/usr/bin/python3
"""Check pages in headless Chromium (cdp.py) the way a reader sees them.

  page-check.py contrast STEP...
  page-check.py overflow WIDTH [--no-style] STEP...

A STEP is a URL to open, or "js:CODE": run CODE in the page open now (a
form's submit()) and check the page it leads to.

contrast: each page in the light and the dark colour scheme (emulated
prefers-color-scheme), against WCAG 2.1 AA from the computed styles:
every visible text run 4.5:1 on the background behind it (3:1 for large
text: 24 px, or 18.66 px bold), and every control (fields, buttons, links
drawn as buttons) 3:1 between its boundary (border, or its own
background) and the background around it.  Colours with alpha are
composited over what is behind them.

overflow: each page in a window WIDTH px wide must not scroll sideways
(document scrollWidth <= WIDTH).  --no-style first removes every <style>
and stylesheet link, as mail clients that drop <style> do.

Prints TAP lines (no plan) and every failing pair; exit 1 on a failure.
NEWSBEAT_KEEP_SHOTS=DIR keeps a screenshot of every page checked.
"""
import os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser  # noqa: E402

# Runs in the page: the colour pairs, as [kind, text, fg, bg, large].
PAIRS_JS = r"""
(() => {
  const rgba = c => {
    const m = /rgba?\(([^)]*)\)/.exec(c || "");
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]);
  };
  const dark = matchMedia("(prefers-color-scheme: dark)").matches &&
    /dark/.test(getComputedStyle(document.documentElement).colorScheme);
  const canvas = dark ? [18, 18, 18, 1] : [255, 255, 255, 1];
  // The background behind el: the ancestors' backgrounds, root first.
  const behind = el => {
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.unshift(e);
    let bg = canvas;
    for (const e of chain) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) bg = over(c, bg);
    }
    return bg;
  };
  const shown = el => {
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === "none" || s.visibility === "hidden" || s.opacity === "0") return false;
    }
    return true;
  };
  const onPage = rects => [...rects].some(r => r.width > 0 && r.height > 0 &&
    r.right + scrollX > 0 && r.bottom + scrollY > 0);
  const label = s => s.replace(/\s+/g, " ").trim().slice(0, 40);
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let t; (t = walk.nextNode());) {
    const el = t.parentElement;
    if (!t.data.trim() || !el || !shown(el)) continue;
    const r = document.createRange();
    r.selectNodeContents(t);
    if (!onPage(r.getClientRects())) continue;
    const s = getComputedStyle(el);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
    const bg = behind(el);
    out.push(["text", label(t.data), over(rgba(s.color), bg), bg, size >= 24 || (size >= 18.66 && bold)]);
  }
  const controls = "input:not([type=hidden]), select, textarea, button, a.nb-button";
  for (const el of document.querySelectorAll(controls)) {
    if (!shown(el) || !onPage(el.getClientRects())) continue;
    const s = getComputedStyle(el);
    const around = behind(el.parentElement);
    const what = label(el.id ? "#" + el.id : el.textContent || el.tagName);
    const own = rgba(s.backgroundColor);
    const fill = own && own[3] > 0 ? over(own, around) : around;
    const edge = parseFloat(s.borderTopWidth) > 0 && s.borderTopStyle !== "none"
      ? over(rgba(s.borderTopColor), around) : null;
    // The boundary that shows the control: its border, else its fill.
    out.push(["control", what, edge || fill, around, true]);
    if (edge && own && own[3] > 0) out.push(["control", what + " (inside)", edge, fill, true]);
  }
  return out;
})()
"""


def lum(c):
    def ch(v):
        v /= 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * ch(c[0]) + 0.7152 * ch(c[1]) + 0.0722 * ch(c[2])


def ratio(a, b):
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def hexc(c):
    return "#%02x%02x%02x" % tuple(round(v) for v in c[:3])


n = failed = 0


def tap(ok, what):
    global n, failed
    n += 1
    failed += not ok
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, what), flush=True)


def where(b):
    """The page, as the report names it: its address and title."""
    return "%s (%s)" % (b.js("location.href"), b.js("document.title"))


def shot(b, suffix):
    keep = os.environ.get("NEWSBEAT_KEEP_SHOTS")
    if keep:
        name = b.js("location.pathname.split('/').pop() + location.search") + "-" + suffix
        b.screenshot(os.path.join(keep, re.sub(r"[^A-Za-z0-9._-]+", "_", name)[-120:] + ".png"))


def contrast(b):
    url = where(b)
    for scheme in ("light", "dark"):
        b.color_scheme(scheme)
        pairs = b.js(PAIRS_JS) or []
        bad, low = [], None
        for kind, text, fg, bg, large in pairs:
            need = 3.0 if kind == "control" or large else 4.5
            r = ratio(fg, bg)
            if low is None or r < low[0]:
                low = (r, text)
            if r < need:
                bad.append("%s %r: %s on %s is %.2f:1, needs %.1f:1" % (kind, text, hexc(fg), hexc(bg), r, need))
        for line in bad:
            print("# " + line)
        ntext = sum(1 for p in pairs if p[0] == "text")
        tap(pairs and not bad, "%s, %s: %d text runs and %d controls pass AA%s" % (
            url, scheme, ntext, len(pairs) - ntext,
            " (lowest %.2f:1, %r)" % low if low else ""))
        shot(b, scheme)
    b.color_scheme("light")


def overflow(b, width, no_style):
    url = where(b)
    if no_style:
        b.js("document.querySelectorAll('style, link[rel=stylesheet]').forEach(e => e.remove())")
    got = b.js("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    # The innermost elements that reach past the window: the culprits.
    wide = b.js("""(() => { const w = %d, out = [];
        const past = e => e.getBoundingClientRect().right > w;
        for (const e of document.querySelectorAll('body *'))
          if (past(e) && ![...e.children].some(past))
            out.push(e.tagName.toLowerCase() + ' "' + (e.textContent || e.getAttribute('src') || '')
                     .trim().slice(0, 40) + '" to ' + Math.round(e.getBoundingClientRect().right) + ' px');
        return out.slice(0, 5); })()""" % width)
    for line in wide if got > width else []:
        print("# wider than the window: " + line)
    tap(got <= width, "%s at %d px%s: %d px wide" % (url, width, " without <style>" if no_style else "", got))
    shot(b, "%d%s" % (width, "-nostyle" if no_style else ""))


def main(argv):
    mode = argv[0]
    args = argv[1:]
    width = no_style = None
    if mode == "overflow":
        width = int(args.pop(0))
        no_style = bool(args) and args[0] == "--no-style"
        if no_style:
            args.pop(0)
    elif mode != "contrast":
        sys.exit("usage: page-check.py contrast STEP... | overflow WIDTH [--no-style] STEP...")
    b = Browser()
    try:
        if width:
            b.viewport(width)
        for step in args:
            try:
                if step.startswith("js:"):
                    b.run_and_wait(step[3:])
                else:
                    b.goto(step)
                if mode == "contrast":
                    contrast(b)
                else:
                    overflow(b, width, no_style)
            except Exception as e:  # one broken step must not hide the others
                tap(False, "%s: %r" % (step[:80], e))
    finally:
        b.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
