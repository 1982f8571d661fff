#!/bin/sh
# newsbeat check: findings as FILE:LINE: level: message, summary, exit 0/1/2.
. "$(dirname "$0")/lib.sh"

# nb ARGS: run newsbeat with stdout in ./out and stderr in ./err
nb() { "$NEWSBEAT" "$@" >out 2>err; }

make_newsletter nl 2>/dev/null
mkdir -p nl/issues
cd nl

cat >issues/issue-901.md <<'MD'
---
title: "A clean issue"
issue: 901
date: 2026-11-27
preheader: "Nothing to see"
---
# Hello

Read [the programme](https://example.org/programme) and
![The venue](https://example.org/venue.jpg) then [unsubscribe]({{unsubscribe_url}}).
MD

cat >issues/issue-902.md <<'MD'
---
title: "Draft"
issue: 902
date: 2026-11-27
---
TK intro.

| Date | Event |
|------|-------|

![](https://example.org/a.png) [rel](about.html) [js](javascript:alert(1))
MD

cat >issues/issue-903.md <<'MD'
---
title: "Broken"
issue: 903
date: 2026-02-30
---
x
MD

printf -- '---\ntitle: T\nissue: 904\ndate: 2026-01-01\n---\nbad \377 byte\n' >issues/issue-904.md

cat >issues/issue-905.md <<'MD'
---
title: "Warnings only"
issue: 905
date: 2026-11-27
---
Was ~~cancelled~~ moved.

![](https://example.org/a.png)
MD

check_exit 0 "clean issue exits 0" nb check 901
check "clean issue: summary says no problems" grep -qx "issues/issue-901.md: no problems found" out

check_exit 1 "issue with errors exits 1" nb check issue-902
check "TK reported with file:line" grep -qx "issues/issue-902.md:6: error: placeholder 'TK' left in the text (finish or remove it before sending)" out
check "pipe table reported at its header line" grep -q "^issues/issue-902.md:8: warning: pipe table" out
check "image without alt text" grep -q "^issues/issue-902.md:11: warning: image without alt text" out
check "relative link" grep -q "^issues/issue-902.md:11: error: relative link 'about.html'" out
check "unsafe link" grep -q "^issues/issue-902.md:11: error: link 'javascript:alert(1)' has an unsafe" out
check "summary line last" sh -c 'tail -n 1 out | grep -qx "issues/issue-902.md: 3 errors, 2 warnings"'
check "findings go to stdout, nothing else on stderr but notes" sh -c '! grep -v "^newsbeat: note:" err | grep -q .'

check_exit 0 "warnings only exit 0" nb check issues/issue-905.md
check "strikethrough warned" grep -q "^issues/issue-905.md:6: warning: '~~' will show literally" out
check "warning summary" grep -qx "issues/issue-905.md: 0 errors, 2 warnings" out

check_exit 2 "impossible date exits 2" nb check 903
check "impossible date names file:line" grep -qx "issues/issue-903.md:4: error: 'date' must be a real date written YYYY-MM-DD, e.g. date: 2026-11-27" out

check_exit 2 "invalid UTF-8 exits 2" nb check 904
check "invalid UTF-8 names the line" grep -q "^issues/issue-904.md:6: error: invalid UTF-8" out

check_exit 2 "missing issue exits 2" nb check 999
check "missing issue says what was tried" grep -q "no issue '999'.*issue-999.md" err

check_exit 2 "no argument is a usage error" nb check
check_exit 2 "unknown option is a usage error" nb check --frobnicate 901
check_exit 0 "--help" nb check --help
check "--help describes the output" grep -q "FILE:LINE: error|warning" out

# The sample issues shipped with the project must pass their own check.
n=0
for f in "$SRCDIR"/issues/issue-*.md; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	if nb check "$f"; then ok "sample $(basename "$f") passes check"
	else notok "sample $(basename "$f") passes check"; sed 's/^/# /' out err; fi
done
[ "$n" -gt 0 ] || ok "# SKIP no sample issues yet"

done_testing
