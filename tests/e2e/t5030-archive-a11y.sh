#!/bin/sh
# The archive's static accessibility checks (the browser test, t5010, covers
# rendering): lang on every page, headings in order (one h1, no skipped
# level), alt text on every image, WCAG 2.1 AA contrast of the
# stylesheet's colours in the light and the dark theme: 4.5:1 for text on
# the backgrounds it is shown on, 3:1 for form-field borders and the button.
. "$(dirname "$0")/lib.sh"

archive_newsletter nl 'language = en-GB'
printf -- '---\ntitle: "First"\nissue: 1\ndate: 2025-03-01\ntags: [research]\n---\nHello.\n\n## Part\n\n### Detail\n\n![A diagram](https://news.example.org/a.png)\n' > issues/issue-1.md
printf -- '---\ntitle: "Second"\nissue: 2\ndate: 2026-01-15\ntags: [research, news]\n---\n## Only a part\n\nText.\n' > issues/issue-2.md
check "archive builds" "$NEWSBEAT" archive -q

check "every page: lang, headings in order, alt text" /usr/bin/python3 - public <<'PY'
import glob, os, sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.lang, self.levels, self.noalt = None, [], 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.levels.append(int(tag[1]))
        if tag == "img" and not (a.get("alt") or "").strip():
            self.noalt += 1

bad = []
pages = sorted(glob.glob(os.path.join(sys.argv[1], "**", "*.html"), recursive=True))
assert len(pages) >= 5, pages
for f in pages:
    p = P()
    p.feed(open(f, encoding="utf-8").read())
    if p.lang != "en-GB":
        bad.append("%s: lang=%r" % (f, p.lang))
    if p.levels.count(1) != 1 or p.levels[0] != 1:
        bad.append("%s: want one h1, first: %r" % (f, p.levels))
    for a, b in zip(p.levels, p.levels[1:]):
        if b > a + 1:
            bad.append("%s: h%d after h%d" % (f, b, a))
    if p.noalt:
        bad.append("%s: %d images without alt" % (f, p.noalt))
if bad:
    sys.exit("\n".join(bad))
PY

check "stylesheet contrast, light and dark: 4.5:1 text, 3:1 controls (WCAG 2.1 AA)" /usr/bin/python3 - public/style.css <<'PY'
import re, sys
css = re.sub(r"/\*.*?\*/", "", open(sys.argv[1]).read(), flags=re.S)

def blocks(text):
    """(prelude, body) at the top level of text, braces nested."""
    out, depth, start, head = [], 0, 0, 0
    for i, c in enumerate(text):
        if c == "{":
            if depth == 0:
                head, start = text[start:i].strip(), i + 1
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                out.append((head, text[start:i]))
                start = i + 1
    return out

rules = {}  # (media, selector) -> declarations
for head, body in blocks(css):
    inner = [(head, body)] if not head.startswith("@") else [(h, b) for h, b in blocks(body)]
    media = head if head.startswith("@") else ""
    for sel, decls in inner:
        d = dict((k.strip(), v.strip()) for k, v in
                 (x.split(":", 1) for x in decls.split(";") if ":" in x))
        for one in sel.split(","):
            rules.setdefault((media, one.strip()), {}).update(d)

DARK = "@media (prefers-color-scheme: dark)"
def palette(dark):
    p = dict(rules[("", ":root")])
    if dark:
        p.update(rules[(DARK, ":root")])
    return p

def hexrgb(v):
    m = re.search(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b", v)
    assert m, v
    h = m.group(1)
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))

def colour(sel, prop, pal):
    v = rules[("", sel)][prop]
    m = re.search(r"var\((--[\w-]+)\)", v)
    return hexrgb(pal[m.group(1)] if m else v)

def lum(c):
    c = [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

def ratio(a, b):
    la, lb = sorted((lum(a), lum(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)

assert (DARK, ":root") in rules, "no dark theme"
bad = []
for dark in (False, True):
    pal = palette(dark)
    c = lambda sel, prop: colour(sel, prop, pal)
    page, card = c("body", "background"), c(".issues li", "background")
    field = c("input[type=search]", "border")
    # (foreground, background, what, needed ratio)
    pairs = [
        (c("body", "color"), page, "body text on the page", 4.5),
        (c("body", "color"), card, "body text on cards", 4.5),
        (c("a", "color"), card, "links on cards", 4.5),
        (c("a", "color"), page, "links on the page", 4.5),
        (c("a:hover", "color"), card, "hovered links", 4.5),
        (c(".content a", "color"), card, "links in an issue", 4.5),
        (c(".content blockquote", "color"), card, "quotations", 4.5),
        (c(".content pre", "color"), c(".content pre", "background-color"), "code", 4.5),
        (c(".meta", "color"), page, ".meta on the page", 4.5),
        (c(".meta", "color"), card, ".meta on cards", 4.5),
        (c(".lead", "color"), card, ".lead", 4.5),
        (c(".issues .summary", "color"), card, "summaries", 4.5),
        (c(".tag", "color"), c(".tag", "background"), "tags", 4.5),
        (c(".brand", "color"), c("header.site", "background"), "the brand", 4.5),
        (c(".pager a span", "color"), c(".pager a", "background"), "pager labels", 4.5),
        (c("footer.site", "color"), page, "the footer", 4.5),
        (c("body", "color"), c("mark", "background"), "search highlights", 4.5),
        (c("input::placeholder", "color"), c("input[type=search]", "background"), "placeholders", 4.5),
        (c(".cta button", "color"), c(".cta button", "background"), "the button's label", 4.5),
        (field, page, "form-field borders on the page", 3),
        (field, card, "form-field borders on cards", 3),
        (c(".cta button", "background"), card, "the button on its card", 3),
    ]
    theme = "dark" if dark else "light"
    bad += ["%s, %s: %.2f:1 < %g" % (theme, what, ratio(f, b), need)
            for f, b, what, need in pairs if ratio(f, b) < need]
if bad:
    sys.exit("\n".join(bad))
PY

# The feed keeps only characters XML allows, even from a hostile body.
printf -- '---\ntitle: "CDATA ]]> title"\nissue: 3\ndate: 2026-02-01\n---\nBell \007 and \033 and ]]> and <b>&amp;\n' > issues/issue-3.md
check "hostile body builds" "$NEWSBEAT" archive -q
check "it is in the feed" grep -q "CDATA ]]&gt; title" public/feed.xml
check "control characters in the body: feed well-formed" xmllint --noout public/feed.xml
check "control characters dropped from feed, page, search index" sh -c '! grep -q "$(printf "[\007\033]")" public/feed.xml public/issues/issue-3.html public/search-index.js'
check "sitemap well-formed" xmllint --noout public/sitemap.xml

done_testing
