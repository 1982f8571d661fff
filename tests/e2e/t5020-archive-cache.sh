#!/bin/sh
# newsbeat archive's build cache and incremental swap: an edited issue is
# the only page re-rendered and its change shows in page, index, feed and
# search index; a changed template or base_url re-renders everything; a
# deleted issue is gone everywhere; a build that fails anywhere (bad front
# matter, a broken page, any rename of the swap) leaves the previous
# archive byte-identical; a build killed during the swap is recovered by
# the next.
. "$(dirname "$0")/lib.sh"

archive_newsletter nl
# 25 issues: the feed holds the newest 20, so some are outside it.
i=1
while [ $i -le 25 ]; do
	printf -- '---\ntitle: "Issue %d"\nissue: %d\ndate: 2026-01-%02d\npreheader: "Summary %d"\ntags: [t%d]\n---\nBody of issue %d.\n' \
		$i $i $i $i $((i % 3)) $i > issues/issue-$i.md
	i=$((i + 1))
done
# Old files: the cache trusts a row only when the file predates the build by a second.
touch -d '1 hour ago' issues/*.md

stats() { "$NEWSBEAT" archive | head -1; }
expect() { # DESC WANT: the summary line of a build contains WANT
	out=$(stats)
	case $out in *"$2"*) ok "$1";; *) notok "$1: $out";; esac
}
snap() { rm -rf snap && cp -a public snap; }
same() { diff -r snap public >diff.out 2>&1; }

# A draft and an embargoed issue: their titles must not reach public/.
printf -- '---\ntitle: "Secret draft axolotl"\nissue: 90\ndate: 2026-01-30\ndraft: true\n---\nDraft.\n' > issues/issue-90.md
printf -- '---\ntitle: "Embargoed okapi"\nissue: 91\ndate: 2099-01-01\npreheader: "Embargoed preheader"\n---\nLater.\n' > issues/issue-91.md
touch -d '1 hour ago' issues/issue-90.md issues/issue-91.md

out=$(umask 000 && stats)
case $out in *"25 issues (25 rendered, 0 reused)"*) ok "first build renders all";; *) notok "first build: $out";; esac
check "the cache is written beside the database" test -s newsbeat.db-archive-cache
check "the cache is private (0600) under umask 000" test "$(stat -c %a newsbeat.db-archive-cache)" = 600
check "it holds the draft (so it is worth keeping private)" grep -q "Secret draft axolotl" newsbeat.db-archive-cache
check_fails "public/ holds no cache file" sh -c 'ls -A public | grep -q cache'
check_fails "no draft or embargoed title or preheader under public/" \
	grep -rqE "Secret draft axolotl|Embargoed okapi|Embargoed preheader" public
check_fails "no absolute path of the newsletter under public/" grep -rqF "$PWD" public
expect "rebuild renders none" "(0 rendered, 25 reused)"
snap
expect "and changes nothing" "(0 rendered, 25 reused)"
check "rebuild is byte-identical" diff -r snap public

# Edit one issue (inside the feed): only its page is made again.
sed -i -e 's/Body of issue 22\./Now with axolotl./' -e 's/Summary 22/Fresh summary 22/' issues/issue-22.md
expect "one edited issue: one page rendered" "(1 rendered, 24 reused)"
check "change in its page" grep -q axolotl public/issues/issue-22.html
check "change in the index" grep -q "Fresh summary 22" public/index.html
check "change in the feed" grep -q axolotl public/feed.xml
check "change in the search index" grep -q axolotl public/search-index.js
check_fails "old text gone from the search index" grep -q "Body of issue 22" public/search-index.js
check "search index is still valid JavaScript data" /usr/bin/python3 -c '
import json, sys
s = open("public/search-index.js").read()
assert s.startswith("window.NEWSBEAT_SEARCH = ") and s.endswith(";\n")
v = json.loads(s[len("window.NEWSBEAT_SEARCH = "):-2])
assert len(v) == 25, len(v)
assert [e["u"] for e in v] == ["issues/issue-%d.html" % i for i in range(25, 0, -1)]
assert all(e["x"] == "Body of issue %d." % (25 - k) for k, e in enumerate(v) if 25 - k != 22)
'
check "other pages untouched" sh -c 'for f in snap/issues/*.html; do
	case $f in */issue-22.html) continue;; esac
	cmp -s "$f" public/issues/${f##*/} || exit 1; done'

# An edit outside the feed: the feed is reused byte for byte.
cp public/feed.xml feed.before
cp public/index.html index.before
cp public/tags/t2.html tag.before
sed -i 's/Body of issue 2\./Issue two, edited./' issues/issue-2.md
expect "edit outside the feed" "(1 rendered, 24 reused)"
check "feed reused" cmp feed.before public/feed.xml
check "index reused (only a body changed)" cmp index.before public/index.html
check "its tag page reused" cmp tag.before public/tags/t2.html
check "edit in the search index" grep -q "Issue two, edited" public/search-index.js

# Same size, mtime put back: the ctime still gives it away.
touch -d '1 hour ago' issues/*.md
expect "settled" "(0 rendered, 25 reused)"
sleep 1
sed -i 's/Issue two, edited\./Issue two, EDITED./' issues/issue-2.md
touch -d '1 hour ago' issues/issue-2.md
expect "same-size edit with the old mtime is seen" "(1 rendered, 24 reused)"
check "and shown" grep -q "Issue two, EDITED" public/issues/issue-2.html

# A changed template or base_url invalidates every page.
echo "<!-- footer changed -->" >> templates/archive-footer.html
expect "template change re-renders all" "(25 rendered, 0 reused)"
check "template change visible" grep -q "footer changed" public/issues/issue-7.html
sed -i 's|^base_url = .*|base_url = https://archive.example.net/|' config.ini
expect "base_url change re-renders all" "(25 rendered, 0 reused)"
check "new base_url in a page" grep -q 'href="https://archive.example.net/issues/issue-7.html"' public/issues/issue-7.html
check "new base_url in the feed" grep -q "<id>https://archive.example.net/issues/issue-25.html</id>" public/feed.xml
check "new base_url in the sitemap" grep -q "<loc>https://archive.example.net/issues/issue-7.html</loc>" public/sitemap.xml
check_fails "old base_url gone" grep -rq "news.example.org" public

# A title change re-renders the neighbours whose links show it.
sed -i 's/^title: "Issue 10"/title: "Issue ten"/' issues/issue-10.md
expect "retitled issue and its two neighbours" "(3 rendered, 22 reused)"
check "neighbour shows it" grep -q "Issue ten" public/issues/issue-11.html
check "index shows it" grep -q "Issue ten" public/index.html
check "its tag page shows it" grep -q "Issue ten" public/tags/t1.html
check_fails "the old title is gone from the tag page" grep -q "Issue 10<" public/tags/t1.html

# A deleted issue is gone everywhere; its neighbours now link to each other.
rm issues/issue-13.md
expect "after a delete" "24 issues (2 rendered, 22 reused)"
check "page gone" test ! -e public/issues/issue-13.html
check_fails "gone from the index" grep -q "issue-13\.html" public/index.html
check_fails "gone from the feed" grep -q "issue-13\.html" public/feed.xml
check_fails "gone from the sitemap" grep -q "issue-13\.html" public/sitemap.xml
check_fails "gone from the search index" grep -q "issue-13\.html" public/search-index.js
check_fails "gone from its tag page" grep -q "issue-13\.html" public/tags/t1.html
check "neighbours linked" grep -q 'rel="prev" href="../issues/issue-12.html"' public/issues/issue-14.html
check_fails "no stray files" sh -c 'ls -A public/issues | grep -v "^issue-[0-9]*\.html$"'
# A draft is taken out the same way.
sed -i 's/^issue: 20$/issue: 20\ndraft: true/' issues/issue-20.md
expect "draft from now on" "23 issues"
check "draft page gone" test ! -e public/issues/issue-20.html

# Failed builds leave the previous archive byte-identical.
touch -d '1 hour ago' issues/*.md
"$NEWSBEAT" archive -q
snap
printf -- '---\ntitle: broken\nissue: [\n---\n' > issues/issue-99.md
check_exit 1 "bad front matter fails" "$NEWSBEAT" archive -q
check "archive byte-identical after bad front matter" same
rm issues/issue-99.md
# A page that fails to render after others were made (an unclosed section).
printf -- '---\ntitle: "Bad body"\nissue: 98\ndate: 2026-01-30\n---\n{{#unclosed}}\n' > issues/issue-98.md
sed -i 's/Body of issue 5\./Body five changed./' issues/issue-5.md
check_exit 1 "broken page fails" "$NEWSBEAT" archive -q
check "archive byte-identical after a broken page" same
rm issues/issue-98.md
# Every rename of the swap failing in turn: the undo puts everything back.
n=1
while [ $n -le 8 ]; do
	NEWSBEAT_TEST_FAIL_RENAME=$n "$NEWSBEAT" archive -q 2>err.out
	rc=$?
	if [ $rc -eq 0 ]; then break; fi
	check "rename $n fails: archive byte-identical" same
	check "rename $n fails: nothing left beside it" sh -c '! ls -d public.new-* public.old-* 2>/dev/null | grep -q .'
	n=$((n + 1))
done
check "some rename failures were tried" test $n -gt 4
check "then the build goes through" test $rc -eq 0
check "with the change" grep -q "Body five changed" public/issues/issue-5.html
check "and nothing left beside it" sh -c '! ls -d public.new-* public.old-* 2>/dev/null | grep -q .'
check_fails "and no work directories inside" sh -c 'ls -A public | grep -q "^\.dropped\|^\.rendered"'

# A build killed (kill -9) at every rename of the swap in turn: public/
# may be missing until the next build, which puts the archive back
# together (the previous one or the new one, whole), builds, and leaves
# nothing beside it; the result equals a clean build.
n=1
while [ $n -le 12 ]; do
	sed -i "s/^Body \(five\|of issue 5\).*/Body five v$n./" issues/issue-5.md
	sed -i "s/^Body of issue 9.*/Body of issue 9 v$n./" issues/issue-9.md
	NEWSBEAT_TEST_KILL_RENAME=$n "$NEWSBEAT" archive -q 2>/dev/null
	rc=$?
	if [ $rc -eq 0 ]; then break; fi
	check "killed at rename $n (exit $rc)" test $rc -eq 137
	missing=; [ -e public ] || missing=1
	"$NEWSBEAT" archive -q 2>recover.err
	check "killed at rename $n: the next build recovers" test $? -eq 0
	if [ -n "$missing" ]; then
		check "  public/ was missing: the build says it put it back together" \
			grep -q "a build was interrupted while it swapped the archive in" recover.err
	fi
	check "  shows the edits" sh -c "grep -q 'Body five v$n' public/issues/issue-5.html && grep -q 'Body of issue 9 v$n' public/issues/issue-9.html"
	check "  leaves nothing beside public/" sh -c '! ls -d public.new-* public.old-* 2>/dev/null | grep -q .'
	check_fails "  and no work directories inside" sh -c 'ls -A public | grep -q "^\.dropped\|^\.rendered"'
	rm -rf fresh
	"$NEWSBEAT" archive -q -o fresh
	check "  equals a clean build" diff -r public fresh
	n=$((n + 1))
done
check "kills at several renames were tried" test $n -gt 4
check "then a build goes through" test $rc -eq 0
check "  nothing left beside it" sh -c '! ls -d public.new-* public.old-* 2>/dev/null | grep -q .'
rm -rf fresh
# Only the names a build gives are its leftovers: a user's directories
# that merely look alike stay.
mkdir -p public.new-site public.old-backup public.old-12x
"$NEWSBEAT" archive -q
check "a build leaves public.new-site, public.old-backup and public.old-12x alone" \
	test -d public.new-site -a -d public.old-backup -a -d public.old-12x
rm -rf public.new-site public.old-backup public.old-12x

# A corrupt cache costs time, not correctness.
printf 'garbage\n' > newsbeat.db-archive-cache
expect "corrupt cache: still builds" "(0 rendered"
printf 'newsbeat-archive-cache 1 0.1.0 0\nissues/issue-1.md\t1\t2\n' > newsbeat.db-archive-cache
expect "truncated cache rows ignored" "(0 rendered"

# Builds at once while an issue changes under them; afterwards the
# incremental archive is exactly what a clean build makes.
pids=
for k in 1 2 3 4; do
	sed -i "s/^Body of issue 7.*/Body of issue 7 v$k./" issues/issue-7.md
	"$NEWSBEAT" archive -q 2>/dev/null & pids="$pids $!"
done
for p in $pids; do wait "$p"; done
check "builds after the concurrent ones" "$NEWSBEAT" archive -q
check "the last edit is shown" grep -q "Body of issue 7 v4" public/issues/issue-7.html
check "clean build into another directory" "$NEWSBEAT" archive -q -o fresh
check "incremental archive equals a clean build" diff -r public fresh

# A custom issue template that shows more of its neighbours than their
# titles: an edit re-renders the neighbour pages that show what changed,
# and only those.
cd ..
archive_newsletter nb
i=1
while [ $i -le 5 ]; do
	printf -- '---\ntitle: "Issue %d"\nissue: %d\ndate: 2026-02-%02d\npreheader: "Summary %d"\ntags: [t%d]\n---\nBody of issue %d.\n' \
		$i $i $((i * 5)) $i $i $i > issues/issue-$i.md
	i=$((i + 1))
done
touch -d '1 hour ago' issues/*.md
sed -i -e 's|{{#previous}}<a class="prev"|{{#previous}}<span class="pd">{{date_long}}</span><a class="prev"|' \
	-e 's|{{#next}}<a class="next"|<span class="ns">{{next.preheader}}</span>{{#next}}<a class="next"|' \
	templates/archive-issue.html
check "the custom template shows a neighbour's date" grep -q 'date_long}}</span><a class="prev"' templates/archive-issue.html
expect "custom template: first build" "5 issues (5 rendered, 0 reused)"
check "  issue 3 shows issue 2's date and issue 4's summary" \
	sh -c 'grep -q "<span class=\"pd\">10 February 2026</span>" public/issues/issue-3.html &&
		grep -q "<span class=\"ns\">Summary 4</span>" public/issues/issue-3.html'
# (12 February keeps the order: issue 3 is of the 15th.)
sed -i 's/^date: 2026-02-10/date: 2026-02-12/' issues/issue-2.md
expect "a new date: its page and the newer neighbour's, which shows it" "(2 rendered, 3 reused)"
check "  issue 3 shows the new date" grep -q '<span class="pd">12 February 2026</span>' public/issues/issue-3.html
sed -i 's/^preheader: "Summary 4"/preheader: "Summary four"/' issues/issue-4.md
expect "a new summary: its page and the older neighbour's, which shows it" "(2 rendered, 3 reused)"
check "  issue 3 shows the new summary" grep -q '<span class="ns">Summary four</span>' public/issues/issue-3.html
sed -i 's/^tags: \[t4\]/tags: [t4, extra]/' issues/issue-4.md
expect "new tags, which no page shows of its neighbours: one page" "(1 rendered, 4 reused)"
check "clean build into another directory" "$NEWSBEAT" archive -q -o fresh
check "incremental archive equals a clean build" diff -r public fresh

# A cache that cannot be written fails the build before the swap: the
# previous archive is then really unchanged, as the error says.
snap
sed -i 's/^tags: \[t4, extra\]/tags: [t4]/' issues/issue-4.md
rm -f newsbeat.db-archive-cache && mkdir newsbeat.db-archive-cache
check_exit 1 "an unwritable build cache fails the build" sh -c '"$0" archive -q 2>cache.err' "$NEWSBEAT"
check "  saying which file" grep -q "newsbeat.db-archive-cache" cache.err
check "  and the previous archive is unchanged" same
rmdir newsbeat.db-archive-cache

done_testing
