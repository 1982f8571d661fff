#!/bin/sh
# newsbeat archive, incremental: the build cache and the in-place commit.
# After any sequence of edits, the archive is byte-for-byte what a build
# from scratch makes; unchanged outputs are not rewritten; a bad or stale
# cache never makes a wrong archive; strays go.
. "$(dirname "$0")/lib.sh"

archive_newsletter nl
i=1
while [ $i -le 30 ]; do
	printf -- '---\ntitle: "Issue %d"\nissue: %d\ndate: 2026-%02d-%02d\npreheader: "Plus: item %d"\ntags: [%s]\n---\nBody of issue %d about %s.\n\n## Section\n\nMore text.\n' \
		$i $i $(( (i - 1) / 3 + 1 )) $(( (i - 1) % 3 * 9 + 1 )) $i \
		"$([ $((i % 2)) -eq 0 ] && echo even || echo odd)" $i "topic$i" > issues/issue-$i.md
	i=$((i + 1))
done
echo one > issues/assets/a.png

# The archive equals a from-scratch build of the same sources (ignoring the
# cache and manifest, which record file stamps).
same_as_fresh() {
	rm -rf ../fresh ../fresh.lock
	"$NEWSBEAT" archive -q -o ../fresh || return 1
	diff -r -x .newsbeat-manifest public ../fresh >../diff.out 2>&1
}
inode() { stat -c %i "$1"; }

check "first build" "$NEWSBEAT" archive -q
check "cache written" test -s newsbeat.db-archive-cache
check "equals a fresh build" same_as_fresh

# Nothing changed: nothing rewritten (same inodes), nothing rendered.
idx=$(inode public/index.html)
cp public/search-index.js search.before
p7=$(inode public/issues/issue-17.html)
out=$("$NEWSBEAT" archive)
case $out in *"30 issues (0 rendered, 30 reused)"*) ok "rerun renders nothing";; *) notok "rerun: $out";; esac
check "index not rewritten" test "$idx" = "$(inode public/index.html)"
check "search index unchanged" cmp search.before public/search-index.js
check "page not rewritten" test "$p7" = "$(inode public/issues/issue-17.html)"

# A body edit: the page and the search index change, the index page does not.
sed -i 's/topic17/quokka/' issues/issue-17.md
out=$("$NEWSBEAT" archive)
case $out in *"(1 rendered, 29 reused)"*) ok "body edit renders one page";; *) notok "body edit: $out";; esac
check "page shows the edit" grep -q quokka public/issues/issue-17.html
check "search index has the edit" grep -q quokka public/search-index.js
check "index page untouched by a body edit" test "$idx" = "$(inode public/index.html)"
check "feed has the edit (issue 17 is among the newest 20)" grep -q quokka public/feed.xml
check "equals a fresh build after a body edit" same_as_fresh

# A title edit: index, neighbours, feed, search and tag pages follow.
sed -i 's/^title: "Issue 12"/title: "Twelve \& the <b>bold<\/b>"/' issues/issue-12.md
check "title edit builds" "$NEWSBEAT" archive -q
check "index shows the new title" grep -q 'Twelve &amp; the &lt;b&gt;' public/index.html
check "neighbour links show it" grep -q 'Twelve &amp;' public/issues/issue-11.html
check "equals a fresh build after a title edit" same_as_fresh

# An edit that restores the modification time and size is still seen (ctime).
# Rewritten in place (same inode, same size), then the old mtime put back.
old=$(stat -c %y issues/issue-3.md) ino=$(inode issues/issue-3.md)
sed 's/topic3/koala3/' issues/issue-3.md > edited && cat edited > issues/issue-3.md
touch -d "$old" issues/issue-3.md
check "same inode, size and mtime as before" test "$ino $old" = "$(inode issues/issue-3.md) $(stat -c %y issues/issue-3.md)"
check "mtime-restoring edit builds" "$NEWSBEAT" archive -q
check "mtime-restoring edit is seen" grep -q koala3 public/issues/issue-3.html

# Tags: the last issue of a tag moves away, its page goes; a new one comes.
sed -i 's/^tags: \[odd\]/tags: [rare]/' issues/issue-5.md
check "new tag builds" "$NEWSBEAT" archive -q
check "new tag page" test -s public/tags/rare.html
sed -i 's/^tags: \[rare\]/tags: [odd]/' issues/issue-5.md
check "tag removed builds" "$NEWSBEAT" archive -q
check "unused tag page removed" test ! -e public/tags/rare.html
check "equals a fresh build after tag changes" same_as_fresh

# Drafts and the clock: a published issue becoming a draft, or the date
# moving back past an issue, takes it out (cached or not).
printf 'draft: true\n' > draft.line
sed -i '/^issue: 30$/r draft.line' issues/issue-30.md
check "draft builds" "$NEWSBEAT" archive -q
check "draft page gone" test ! -e public/issues/issue-30.html
check_fails "draft gone from search" grep -q '"Issue 30"' public/search-index.js
check "a clock moved back builds" env NEWSBEAT_NOW=2026-09-30T12:00:00Z "$NEWSBEAT" archive -q
check "issue 29 (2026-10-10) is in the future now" test ! -e public/issues/issue-29.html
check "the clock back again builds" "$NEWSBEAT" archive -q
check "issue 29 is back" test -s public/issues/issue-29.html
check "equals a fresh build after drafts and dates" same_as_fresh

# Deleted issue, deleted asset, a page removed by hand, a stray file.
rm issues/issue-2.md issues/assets/a.png
echo two > issues/assets/b.png
rm public/issues/issue-9.html
echo junk > public/stray.html
mkdir public/strays && echo x > public/strays/y
out=$("$NEWSBEAT" archive)
case $out in *"(3 rendered,"*) ok "the hand-removed page and both neighbours of the deleted issue rendered";; *) notok "delete: $out";; esac
check "deleted issue's page gone" test ! -e public/issues/issue-2.html
check "hand-removed page back" test -s public/issues/issue-9.html
check "deleted asset gone" test ! -e public/assets/a.png
check "new asset there" test -s public/assets/b.png
check "stray file removed" test ! -e public/stray.html
check "stray directory removed" test ! -e public/strays
check "equals a fresh build after deletions" same_as_fresh

# A bad cache is ignored, never trusted: truncated, garbage, another version.
for how in truncate garbage version; do
	case $how in
	truncate) head -c 300 newsbeat.db-archive-cache > c && cat c > newsbeat.db-archive-cache;;
	garbage) printf 'newsbeat-archive-cache 1 0.1.0\n12:issue-1.md,1 2 3 x\n' > newsbeat.db-archive-cache;;
	version) sed -i '1s/.*/newsbeat-archive-cache 1 0.0.9/' newsbeat.db-archive-cache;;
	esac
	sed -i "s/Body of issue 4 about [a-z0-9]*/Body of issue 4 about $how/" issues/issue-4.md
	check "build with a $how cache" "$NEWSBEAT" archive -q
	check "$how cache: the edit is there" grep -q "about $how" public/issues/issue-4.html
	check "$how cache: equals a fresh build" same_as_fresh
done

# A failed build changes nothing, however far it got.
find public -type f -exec sha256sum {} + | sort > before.sum
sed -i 's/topic8/changed8/' issues/issue-8.md
printf -- '---\ntitle: broken\nissue: [\n---\n' > issues/issue-99.md
check_exit 1 "a broken issue fails the build" "$NEWSBEAT" archive -q
find public -type f -exec sha256sum {} + | sort > after.sum
check "the archive is byte-identical after a failed build" cmp before.sum after.sum
check "no build directories left" sh -c '! ls -d public.new-* 2>/dev/null | grep -q .'
rm issues/issue-99.md
check "and the next good build has the edit" sh -c '"$0" archive -q && grep -q changed8 public/issues/issue-8.html' "$NEWSBEAT"
check "equals a fresh build at the end" same_as_fresh

# A page that fails while every page is re-rendered (on several threads).
find public -type f -exec sha256sum {} + | sort > before.sum
cp templates/archive-footer.html footer.orig
cp issues/issue-20.md issue20.orig
echo "<!-- all pages again -->" >> templates/archive-footer.html
printf '\n{{#never closed}}\n' >> issues/issue-20.md
check_exit 1 "a page failing among 28 being rendered fails the build" "$NEWSBEAT" archive -q
find public -type f -exec sha256sum {} + | sort > after.sum
check "the archive is byte-identical after it" cmp before.sum after.sum
cp footer.orig templates/archive-footer.html
cp issue20.orig issues/issue-20.md
check "equals a fresh build after that" same_as_fresh
[ -s ../diff.out ] && sed 's/^/# /' ../diff.out | head -20

# public as a symlink to the directory a web server serves: the rebuild
# replaces the real directory, and the link stays a link to it.
rm -rf ../www && mkdir ../www && mv public ../www/site && ln -s ../www/site public
sed -i "s/Body of issue 4 about [a-z0-9]*/Body of issue 4 about linked/" issues/issue-4.md
check "a build through a symlinked public/" "$NEWSBEAT" archive -q
check "  the link is still a link" test -L public
check "  the served directory has the new page" grep -q "about linked" ../www/site/issues/issue-4.html
check "  and all its pages" test "$(ls ../www/site/issues | wc -l)" -eq "$(ls ../fresh/issues | wc -l)"
check_fails "  and no work files" sh -c 'ls -A ../www/site | grep -q "^\.dropped\|^\.rendered\|^\.drop\|^\.newsbeat-build"'
check "  nothing left beside it" sh -c '! ls -d ../www/site.new-* ../www/site.old-* public.new-* public.old-* 2>/dev/null | grep -q .'

done_testing
