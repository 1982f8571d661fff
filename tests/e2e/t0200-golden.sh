#!/bin/sh
# Golden files: render each tests/golden/*/issue.md with the clock, boundary
# and secret pinned, and compare byte for byte (`make golden` regenerates).
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/golden/env.sh"
for case in "$SRCDIR"/tests/golden/*/; do
	case=${case%/}
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
done_testing
