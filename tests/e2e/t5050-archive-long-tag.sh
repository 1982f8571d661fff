#!/bin/sh
# A tag longer than a file name can be (300 characters; the limit is 255
# bytes) used to make 'archive' fail with "File name too long" without
# naming the issue.  Its page name is now cut to a bounded slug with a
# hash of the whole tag, the archive builds, and 'check' warns at the
# tags line of the issue.
. "$(dirname "$0")/lib.sh"
NB=$NEWSBEAT
archive_newsletter nl
LONG=$(head -c 300 /dev/zero | tr '\0' a)
printf -- '---\ntitle: T\nissue: 1\ndate: 2026-01-01\ntags: [%s, %sb, ok]\n---\nBody.\n' \
	"$LONG" "$LONG" > issues/issue-1.md

check "archive builds with a 300-character tag" sh -c '"$0" archive >out 2>&1' "$NB"
n=$(ls public/tags | wc -l)
check "  one page per tag: two long ones stay distinct (got $n)" test "$n" -eq 3
longest=$(ls public/tags | awk '{ print length($0) }' | sort -n | tail -n 1)
check "  every page name is short ($longest bytes)" test "$longest" -le 130
check "  the issue page links to the tag pages" sh -c \
	'for f in public/tags/*.html; do grep -qF "tags/$(basename "$f")" public/issues/issue-1.html || exit 1; done'

"$NB" check 1 > check.out 2>&1
rc=$?
check "check passes (a warning only): exit $rc" test "$rc" -eq 0
check "  and warns at the tags line" grep -q "^issues/issue-1.md:5: warning: tag 'aaaa.*too long for a file name" check.out
done_testing
