#!/bin/sh
# What every archive page carries besides its text: canonical link, meta
# description, Open Graph and Twitter card tags, feed autodiscovery and a
# favicon, all with URLs under base_url; counts as "1 issue" / "3 issues";
# tag labels as written; the issue page's subscribe form posting to serve's
# /subscribe; and the search index made of the text the pages show
# (no template branches, no Markdown hard-break backslashes).
. "$(dirname "$0")/lib.sh"

archive_newsletter nl 'language = en-GB'
sed -i 's|^base_url = .*|base_url = https://news.example.org/nb/|' config.ini
cat > issues/issue-1.md <<'MD'
---
title: "First & foremost"
issue: 1
date: 2025-03-01
tags: [research, "Heart & Lungs"]
---
{{#subscriber.name}}Dear {{subscriber.name}},{{/subscriber.name}}{{^subscriber.name}}Dear colleague,{{/subscriber.name}}

line one\
line two, AT&T and caf&eacute; 5 &lt; 6.

## Findings

The long part of the body, which goes on and on about cardiac magnetic resonance in heart failure so that a description cut from it has to stop somewhere sensible rather than in the middle of a word.
MD
printf -- '---\ntitle: "Second"\nissue: 2\ndate: 2026-01-15\npreheader: "Plus: deadlines"\ntags: [Research]\n---\nText.\n' > issues/issue-2.md
printf -- '---\ntitle: "Third"\nissue: 3\ndate: 2026-02-15\ntags: [research]\n---\nMore text.\n' > issues/issue-3.md
check "archive builds" "$NEWSBEAT" archive -q

check "head tags on every page" "$PY" - public https://news.example.org/nb/ <<'PY'
import glob, os, sys
from html.parser import HTMLParser
from urllib.parse import urljoin

root, base = sys.argv[1], sys.argv[2]

class Head(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.meta = [], {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link":
            self.links.append(a)
        if tag == "meta" and ("name" in a or "property" in a):
            key = a.get("property") or a.get("name")
            self.meta.setdefault(key, []).append(a.get("content"))

bad = []
pages = sorted(glob.glob(os.path.join(root, "**", "*.html"), recursive=True))
assert len(pages) == 6, pages   # index, 3 issues, 2 tags
for f in pages:
    rel = os.path.relpath(f, root)
    want = base if rel == "index.html" else base + rel
    p = Head()
    p.feed(open(f, encoding="utf-8").read())
    def link(rel_):
        return [l for l in p.links if l.get("rel") == rel_]
    def meta(k):
        v = p.meta.get(k, [])
        if len(v) != 1 or not (v[0] or "").strip():
            bad.append("%s: want one non-empty %s, got %r" % (rel, k, v))
            return ""
        return v[0]
    canon = link("canonical")
    if [l.get("href") for l in canon] != [want]:
        bad.append("%s: canonical %r, want %r" % (rel, [l.get("href") for l in canon], want))
    if meta("og:url") != want:
        bad.append("%s: og:url is not the canonical URL" % rel)
    for k in ("description", "og:title", "og:description", "og:site_name", "og:locale"):
        meta(k)
    if meta("og:type") != ("article" if rel.startswith("issues/") else "website"):
        bad.append("%s: og:type %r" % (rel, p.meta.get("og:type")))
    if meta("og:locale") != "en_GB":
        bad.append("%s: og:locale %r" % (rel, p.meta.get("og:locale")))
    if meta("twitter:card") != "summary":
        bad.append("%s: twitter:card %r" % (rel, p.meta.get("twitter:card")))
    if meta("description") != meta("og:description"):
        bad.append("%s: description and og:description differ" % rel)
    feeds = [l for l in link("alternate") if l.get("type") == "application/atom+xml"]
    if [l.get("href") for l in feeds] != [base + "feed.xml"]:
        bad.append("%s: feed links %r" % (rel, feeds))
    icons = link("icon")
    if len(icons) != 1 or icons[0].get("type") != "image/svg+xml" or \
            urljoin(want, icons[0]["href"]) != base + "favicon.svg":
        bad.append("%s: favicon %r does not resolve to %sfavicon.svg" % (rel, icons, base))
    # Every URL the head gives resolves under base_url at the page's address.
    for l in p.links:
        if not urljoin(want, l["href"]).startswith(base):
            bad.append("%s: %s link outside base_url: %s" % (rel, l.get("rel"), l["href"]))
if bad:
    sys.exit("\n".join(bad))
PY
check "the favicon is shipped, an SVG" sh -c 'xmllint --noout public/favicon.svg && grep -q "<svg" public/favicon.svg'
mv templates/favicon.svg favicon.svg.kept
check "a template set without favicon.svg still builds (sets copied before it existed)" "$NEWSBEAT" archive -q
mv favicon.svg.kept templates/favicon.svg
check "description: the preheader" grep -q '<meta name="description" content="Plus: deadlines">' public/issues/issue-2.html
check "description without a preheader: the start of the text, cut at a word" "$PY" - public/issues/issue-1.html <<'PY'
import re, sys, html
d = html.unescape(re.search(r'<meta name="description" content="([^"]*)"', open(sys.argv[1]).read()).group(1))
assert d.startswith("Dear colleague, line one line two, AT&T and café 5 < 6. Findings The long part"), d
assert d.endswith("\u2026") and not d[:-1].endswith(" ") and len(d) <= 161, d
assert d[:-1] in "Dear colleague, line one line two, AT&T and café 5 < 6. Findings The long part of the body, which goes on and on about cardiac magnetic resonance in heart failure so that a description cut from it has to stop somewhere sensible", d
PY

# Counts and labels.
check "a tag page of one issue says '1 issue'" grep -q '>1 issue &middot;' public/tags/heart-lungs.html
check "a tag page of three says '3 issues'" grep -q '>3 issues &middot;' public/tags/research.html
check_fails "no 'issue(s)' anywhere" grep -rq 'issue(s)' public
check "the topic list counts in words" grep -q 'Heart &amp; Lungs <span class="count">(1 issue)</span>' public/index.html
check "tag labels as written on the tag page" grep -q '<h1>Topic: Heart &amp; Lungs</h1>' public/tags/heart-lungs.html
check "…and on each issue, its own spelling" sh -c 'grep -q ">Research</a>" public/issues/issue-2.html && grep -q ">research</a>" public/issues/issue-3.html'
check_fails "no slug shown as a label" grep -rq '>heart-lungs<' public

# The subscribe box posts to serve's form handler.
check "issue page: a subscribe form posting to serve" "$PY" - public/issues/issue-1.html https://news.example.org/nb/subscribe <<'PY'
import sys
from html.parser import HTMLParser
class F(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms, self.inputs, self.cur = [], [], None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(a)
        if tag == "input" and self.forms:
            self.inputs.append(a)
p = F()
p.feed(open(sys.argv[1]).read())
assert [(f.get("method"), f.get("action")) for f in p.forms] == [("post", sys.argv[2])], p.forms
email = [i for i in p.inputs if i.get("name") == "email"]
assert email and email[0].get("type") == "email" and "required" in email[0], p.inputs
PY

# The search index: the text the page shows.
check "search index: the text the pages show" "$PY" - public <<'PY'
import json, re, sys, html
src = open(sys.argv[1] + "/search-index.js", encoding="utf-8").read()
m = re.match(r"window\.NEWSBEAT_SEARCH = (\[.*\]);\n$", src, re.S)
recs = {r["u"]: r for r in json.loads(m.group(1))}
bad = []
for u, r in recs.items():
    if "Dear ," in r["x"] or "{{" in r["x"]:
        bad.append("%s: template text in %r" % (u, r["x"][:60]))
    if "\\" in r["x"]:
        bad.append("%s: a backslash in %r" % (u, r["x"][:80]))
    page = open(sys.argv[1] + "/" + u, encoding="utf-8").read()
    shown = re.search(r'<time datetime="([^"]+)">([^<]+)</time>', page)
    if (r["d"], r["l"]) != shown.groups():
        bad.append("%s: dates %r, the page shows %r" % (u, (r["d"], r["l"]), shown.groups()))
    if r["n"] != int(re.search(r"Issue (\d+)", page).group(1)):
        bad.append("%s: number %r" % (u, r["n"]))
    body = re.search(r'<div class="content">(.*?)</div>\n</article>', page, re.S).group(1)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    if " ".join(r["x"].split()) != text.replace(" ,", ",").replace(" .", "."):
        bad.append("%s: text %r, the page shows %r" % (u, r["x"][:80], text[:80]))
one = recs["issues/issue-1.html"]
if not one["x"].startswith("Dear colleague, line one line two, AT&T and café 5 < 6. Findings"):
    bad.append("issue 1: %r" % one["x"][:90])
if one["g"] != [["research", "tags/research.html"], ["Heart & Lungs", "tags/heart-lungs.html"]]:
    bad.append("issue 1 tags: %r" % one["g"])
if bad:
    sys.exit("\n".join(bad))
PY
done_testing
