#!/bin/sh
# The archive's search text is built from each issue's Markdown: a body
# of 200,000 '](' without a ')', or of '{{' without '}}', made every
# search run to the end of the line or body (the '{{' as text after a
# delimiter change) (quadratic: 'archive' took a
# minute and more).  Now each miss is remembered; the bound here is
# generous (several times the figure measured, sanitizers included).
. "$(dirname "$0")/lib.sh"
NB=$NEWSBEAT
archive_newsletter nl
LIMIT=5
case $NB in *-debug) LIMIT=20 ;; esac

for unit in '](' '{{'; do
	$PY - "$unit" <<'PY'
import sys
u = sys.argv[1]
# '{{' as text: after a delimiter change, Mustache leaves it alone.
body = "Hi.\n\n" + ("{{=<% %>=}}" if u == "{{" else "") + u * (400000 // len(u)) + "\n"
open("issues/issue-1.md", "w").write("---\ntitle: T\nissue: 1\ndate: 2026-01-01\n---\n" + body)
PY
	t0=$($PY -c 'import time; print(time.monotonic())')
	timeout 120 "$NB" archive >out 2>&1
	rc=$?
	secs=$($PY -c "import time; print('%.2f' % (time.monotonic() - $t0))")
	check "archive of 400 KB of '$unit' exits 0 in ${secs}s (< ${LIMIT}s)" \
		$PY -c "import sys; sys.exit(not ($rc == 0 and $secs < $LIMIT))"
done
done_testing
