#!/bin/sh
# Golden files: render each tests/golden/*/issue.md with the clock, boundary
# and secret pinned, and compare byte for byte; build the archive of
# tests/golden/archive/ and compare one page of each kind, the feed, the
# sitemap and the search index (`make golden` regenerates them all).
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/golden/env.sh"
for case in "$SRCDIR"/tests/golden/*/; do
	case=${case%/}
	[ -f "$case/issue.md" ] || continue
	name=$(basename "$case")
	rm -rf w && mkdir -p w/issues && cp -r "$SRCDIR/templates" w/
	cp "$case/issue.md" w/issues/issue-1.md
	[ -f "$case/config.ini" ] && cp "$case/config.ini" w/
	(cd w && "$NEWSBEAT" render issues/issue-1.md --to "$GOLDEN_TO" --name "$GOLDEN_NAME" -o out >/dev/null)
	for ext in html txt eml; do
		got=$(ls w/out/*."$ext" 2>/dev/null)
		if [ -n "$got" ] && cmp -s "$got" "$case/expected.$ext"; then
			ok "$name: .$ext matches"
		else
			notok "$name: .$ext differs from tests/golden/$name/expected.$ext"
			[ -n "$got" ] && diff -u "$case/expected.$ext" "$got" | head -20 | sed 's/^/# /'
		fi
	done
	check "$name: golden .eml parses cleanly" $PY "$SRCDIR/tests/tools/eml_check.py" "$case/expected.eml"
done

# same_archive WHAT DIR: DIR/public holds the expected files, byte for byte.
same_archive() {
	for f in $GOLDEN_ARCHIVE_FILES; do
		want="$SRCDIR/tests/golden/archive/expected/$f"
		if cmp -s "$want" "$2/public/$f"; then
			ok "archive ($1): $f matches"
		else
			notok "archive ($1): $f differs from tests/golden/archive/expected/$f"
			diff -u "$want" "$2/public/$f" | head -40 | sed 's/^/# /'
		fi
	done
}
# Twice from scratch, then again in place (pages reused from the cache):
# output that varies between runs, or with what a build reuses, fails.
check "archive: the first build succeeds" golden_archive "$SRCDIR" a1
same_archive "first build" a1
check "archive: a second build succeeds" golden_archive "$SRCDIR" a2
same_archive "second build" a2
check "archive: a rebuild in place succeeds" sh -c 'cd a1 && "$NEWSBEAT" archive -q'
same_archive "rebuilt in place" a1
check "archive: the in-place rebuild reused the pages" \
	sh -c 'cd a1 && "$NEWSBEAT" archive 2>&1 | grep -q "(0 rendered, 3 reused)"'
done_testing
