#!/bin/sh
# newsbeat archive: pages, feed, sitemap, drafts, escaping, tidy/xmllint,
# incremental rebuild, deleted issues, failed builds leave the old archive.
. "$(dirname "$0")/lib.sh"

archive_newsletter nl 'language = en-GB'
cat > issues/issue-1.md <<'MD'
---
title: "\"><script>alert(1)</script> & co"
issue: 1
date: 2025-03-01
preheader: "Tricky ]]> <b>bold</b> & more"
tags: [research, "Heart & Lungs"]
---
{{#subscriber.name}}Dear {{subscriber.name}},{{/subscriber.name}}{{^subscriber.name}}Dear colleague,{{/subscriber.name}}

## Findings

CDATA end ]]> and & and a literal <tag>.

![A heart diagram](https://news.example.org/assets/heart.png)

[Leave the list]({{unsubscribe_url}})
MD
printf -- '---\ntitle: "Second issue"\nissue: 2\ndate: 2026-01-15\npreheader: "Plus: deadlines"\ntags: [research]\n---\nHello **world** \001\002 control.\n\n## Deadlines\n\n- one\n- two\n' > issues/issue-2.md
printf -- '---\ntitle: "Third issue"\nissue: 3\ndate: 2026-11-20\n---\nThird body with zebrafish.\n' > issues/issue-3.md
printf -- '---\ntitle: "Secret draft"\nissue: 4\ndate: 2026-02-15\ndraft: true\n---\nDraft.\n' > issues/issue-4.md
printf -- '---\ntitle: "From the future"\nissue: 5\ndate: 2026-11-28\n---\nFuture.\n' > issues/issue-5.md
echo fake-png > issues/assets/logo.png

check "archive builds" "$NEWSBEAT" archive -q
check "index.html" test -s public/index.html
for f in issue-1 issue-2 issue-3; do
	check "page $f" test -s public/issues/$f.html
done
check "draft left out" test ! -e public/issues/issue-4.html
check "future issue left out" test ! -e public/issues/issue-5.html
check_fails "draft not in index" grep -q "Secret draft" public/index.html
check_fails "draft not in feed" grep -q "Secret draft" public/feed.xml
check_fails "future not in sitemap" grep -q "issue-5" public/sitemap.xml
check "assets copied" cmp issues/assets/logo.png public/assets/logo.png
check "stylesheet" test -s public/style.css
check "search script" test -s public/search.js
check "search index is a script" grep -q "^window.NEWSBEAT_SEARCH = \[" public/search-index.js
check "search index has body text" grep -q zebrafish public/search-index.js
check "tag pages" test -s public/tags/research.html
check "tag slug" test -s public/tags/heart-lungs.html
check "tag page lists its issues" sh -c 'grep -c "class=\"title\"" public/tags/research.html | grep -qx 2'

# HTML5 without errors, XML well-formed.
for f in public/index.html public/issues/*.html public/tags/*.html; do
	out=$(tidy -errors -q "$f" 2>&1)
	if [ -z "$out" ]; then ok "tidy: $f"; else notok "tidy: $f: $out"; fi
done
check "feed is well-formed" xmllint --noout public/feed.xml
check "sitemap is well-formed" xmllint --noout public/sitemap.xml
check "lang from config" grep -q '<html lang="en-GB">' public/issues/issue-1.html
check "viewport" grep -q 'name="viewport"' public/index.html
check "alt text kept" grep -q 'alt="A heart diagram"' public/issues/issue-1.html

# Newest first, grouped by year.
check "newest first" sh -c 'awk "/issue-3.html/{a=NR} /issue-2.html/{b=NR} /issue-1.html/{c=NR} END{exit !(a && a<b && b<c)}" public/index.html'
check "year headings" sh -c 'grep -q ">2026</h2>" public/index.html && grep -q ">2025</h2>" public/index.html'
check "preheader as summary" grep -q "Plus: deadlines" public/index.html

# The title appears literally (escaped) everywhere, never as markup.
for f in public/index.html public/issues/issue-1.html public/issues/issue-2.html public/tags/research.html public/feed.xml; do
	check_fails "no raw script in $f" grep -q "<script>alert" "$f"
done
check "title escaped in page" grep -q '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; co' public/issues/issue-1.html
check "title escaped in search index" grep -q '\\u003cscript\\u003ealert(1)' public/search-index.js
# What a reader sees: the parsed text equals the title.
check "feed title round-trips" sh -c '$0 -c "
import xml.etree.ElementTree as E
ns={\"a\":\"http://www.w3.org/2005/Atom\"}
t=E.parse(\"public/feed.xml\")
titles=[e.find(\"a:title\",ns).text for e in t.getroot().findall(\"a:entry\",ns)]
assert titles==[\"Third issue\",\"Second issue\",\"\\\"><script>alert(1)</script> & co\"], titles
c=t.getroot().findall(\"a:entry\",ns)[2].find(\"a:content\",ns).text
assert \"CDATA end ]]&gt;\" in c and \"Dear colleague\" in c, c
c2=t.getroot().findall(\"a:entry\",ns)[1].find(\"a:content\",ns).text
assert \"\\x01\" not in c2 and \"control\" in c2
"' "$PY"

# No personal data: the fallback greeting, a subscribe link instead of unsubscribe.
check "generic greeting" grep -q "Dear colleague," public/issues/issue-1.html
check "unsubscribe becomes subscribe" grep -q 'href="https://news.example.org/subscribe"' public/issues/issue-1.html
check_fails "no unsubscribe token" grep -qi "unsubscribe?" public/issues/issue-1.html

# Permalinks agree with the email (Archived-At / view in browser).
"$NEWSBEAT" render issue-2 -o preview >/dev/null 2>&1
check "Archived-At equals the page URL" grep -q "^Archived-At: <https://news.example.org/issues/issue-2.html>" preview/issue-2.eml
check "view-in-browser links (HTML and text parts) equal the page URL" /usr/bin/python3 - preview/issue-2.eml <<'PY'
import email, email.policy, re, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
url = "https://news.example.org/issues/issue-2.html"
html = m.get_body(("html",)).get_content()
text = m.get_body(("plain",)).get_content()
a = re.search(r'<a href="([^"]*)"[^>]*>View in your browser</a>', html)
assert a and a.group(1) == url, a and a.group(1)
assert "View in your browser: " + url in text, text[:300]
PY
check "canonical link" grep -q '<link rel="canonical" href="https://news.example.org/issues/issue-2.html">' public/issues/issue-2.html
check "sitemap lists the page" grep -q "<loc>https://news.example.org/issues/issue-2.html</loc>" public/sitemap.xml
check "feed id is the permalink" grep -q "<id>https://news.example.org/issues/issue-2.html</id>" public/feed.xml

# Previous / next.
check "middle issue has previous" grep -q 'rel="prev" href="../issues/issue-1.html"' public/issues/issue-2.html
check "middle issue has next" grep -q 'rel="next" href="../issues/issue-3.html"' public/issues/issue-2.html
check_fails "oldest has no previous" grep -q 'rel="prev"' public/issues/issue-1.html
check_fails "newest has no next" grep -q 'rel="next"' public/issues/issue-3.html

# Incremental: nothing changed, nothing rendered.
out=$("$NEWSBEAT" archive)
case $out in *"3 issues (0 rendered, 3 reused)"*) ok "rerun reuses every page";; *) notok "rerun: $out";; esac
# One issue changed: it and its neighbours' pages only if their links change.
sed -i 's/zebrafish/medaka/' issues/issue-3.md
out=$("$NEWSBEAT" archive)
case $out in *"(1 rendered, 2 reused)"*) ok "one changed issue re-rendered";; *) notok "one change: $out";; esac
check "change is visible" grep -q medaka public/issues/issue-3.html
# A title change re-renders the neighbour that links to it.
sed -i 's/^title: "Third issue"/title: "Third issue, renamed"/' issues/issue-3.md
out=$("$NEWSBEAT" archive)
case $out in *"(2 rendered, 1 reused)"*) ok "neighbour of a renamed issue re-rendered";; *) notok "rename: $out";; esac
check "neighbour shows the new title" grep -q "Third issue, renamed" public/issues/issue-2.html
# A template change re-renders everything.
echo "<!-- x -->" >> templates/archive-footer.html
out=$("$NEWSBEAT" archive)
case $out in *"(3 rendered, 0 reused)"*) ok "template change re-renders all";; *) notok "template: $out";; esac

# A deleted issue disappears everywhere.
rm issues/issue-3.md
check "rebuild after delete" "$NEWSBEAT" archive -q
check "page gone" test ! -e public/issues/issue-3.html
check_fails "gone from index" grep -q "issue-3" public/index.html
check_fails "gone from feed" grep -q "issue-3" public/feed.xml
check_fails "gone from sitemap" grep -q "issue-3" public/sitemap.xml
check_fails "gone from search" grep -q "issue-3" public/search-index.js
check "new newest has no next" sh -c '! grep -q "rel=\"next\"" public/issues/issue-2.html'

# A failed build leaves the previous archive intact, and no temp dirs behind.
cp public/index.html index.before
printf -- '---\ntitle: broken\nissue: [\n---\n' > issues/issue-9.md
check_exit 1 "broken issue fails the build" "$NEWSBEAT" archive -q
check "previous archive intact" cmp index.before public/index.html
check "previous pages intact" test -s public/issues/issue-2.html
rm issues/issue-9.md
cp issues/issue-2.md issues/issue-12.md
check_exit 1 "two issues with one number fail the build" "$NEWSBEAT" archive -q
check "still the previous archive" cmp index.before public/index.html
rm issues/issue-12.md
echo "{{#broken}}" > templates/archive-tag.html
check_exit 1 "broken template fails the build" "$NEWSBEAT" archive -q
check "still intact" cmp index.before public/index.html
check "no temporary directories left" sh -c '! ls -d public.new-* public.old-* 2>/dev/null | grep -q .'
cp "$SRCDIR/templates/archive-tag.html" templates/

# -o DIR and an empty newsletter.
check "-o DIR" "$NEWSBEAT" archive -q -o out/site
check "-o wrote the index" test -s out/site/index.html
mkdir ../empty && cp -r templates ../empty/
check "no issues: still an archive" sh -c 'cd ../empty && "$0" archive -q && tidy -errors -q public/index.html && xmllint --noout public/feed.xml' "$NEWSBEAT"
check_exit 2 "unknown option" "$NEWSBEAT" archive --bogus

# The output directory is replaced wholesale: never one that is not ours.
mkdir precious && echo keep > precious/thesis.txt
check_exit 1 "refuses a non-empty directory it did not make" "$NEWSBEAT" archive -q -o precious
check "which is left alone" grep -q keep precious/thesis.txt
echo file > plainfile
check_exit 1 "refuses a file" "$NEWSBEAT" archive -q -o plainfile
check "file left alone" grep -q file plainfile
mkdir emptydir
check "an empty directory is fine" "$NEWSBEAT" archive -q -o emptydir
check "and gets the archive" test -s emptydir/index.html

# Two builds at once: both succeed, one archive, nothing left behind.
"$NEWSBEAT" archive -q & p1=$!
"$NEWSBEAT" archive -q & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
check "concurrent builds both succeed" test "$r1$r2" = 00
check "one archive after concurrent builds" test -s public/index.html
check "no temporary directories after concurrent builds" sh -c '! ls -d public.new-* public.old-* 2>/dev/null | grep -q .'

done_testing
