#!/bin/sh
# The archive's static accessibility checks (the browser test, t5010, covers
# rendering): lang on every page, headings in order (one h1, no skipped
# level), alt text on every image, WCAG 2.1 AA contrast (4.5:1) of the
# stylesheet's text colours on the backgrounds they are shown on.
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

check "stylesheet contrast >= 4.5:1 (WCAG 2.1 AA)" /usr/bin/python3 - public/style.css <<'PY'
import re, sys
css = re.sub(r"/\*.*?\*/", "", open(sys.argv[1]).read(), flags=re.S)
rules = {}
for sel, body in re.findall(r"([^{}]+)\{([^}]*)\}", css):
    decl = dict((k.strip(), v.strip()) for k, v in
                (d.split(":", 1) for d in body.split(";") if ":" in d))
    for s in sel.split(","):
        rules.setdefault(s.strip(), {}).update(decl)

def colour(sel, prop):
    v = rules[sel][prop]
    m = re.search(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b", v)
    assert m, (sel, prop, v)
    h = m.group(1)
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))

def lum(c):
    c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

def ratio(a, b):
    la, lb = sorted((lum(a), lum(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)

page = colour("body", "background")
white = (1.0, 1.0, 1.0)
# (text colour, where it is shown)
pairs = [
    (colour("body", "color"), page, "body text on the page"),
    (colour("body", "color"), white, "body text on cards"),
    (colour("a", "color"), white, "links on cards"),
    (colour("a", "color"), page, "links on the page"),
    (colour("a:hover", "color"), white, "hovered links"),
    (colour(".meta", "color"), page, ".meta on the page"),
    (colour(".meta", "color"), white, ".meta on cards"),
    (colour(".lead", "color"), page, ".lead"),
    (colour(".issues .summary", "color"), white, "summaries"),
    (colour(".tag", "color"), colour(".tag", "background"), "tags"),
    (colour(".brand", "color"), colour("header.site", "background"), "the brand"),
    (colour(".pager a span", "color"), colour(".pager a", "background"), "pager labels"),
    (colour("footer.site", "color"), page, "the footer"),
    (colour("body", "color"), colour(".results mark", "background"), "search highlights"),
]
bad = ["%s: %.2f:1" % (what, ratio(f, b)) for f, b, what in pairs if ratio(f, b) < 4.5]
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
