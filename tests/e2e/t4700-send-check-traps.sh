#!/bin/sh
# check catches what send will hit, and send builds the archive first:
# a missing template (email or archive) is a check error, not "no problems
# found"; two issue files with the same number are an error naming both
# (check and send); a draft or future issue is sent only after asking (or
# with --yes), saying why; send rebuilds public/ before the first message,
# so the Archived-At page exists when the mail arrives (--no-archive skips
# it; a failed build sends nothing); with 0 recipients left it says the
# issue is complete without asking.  The README's Maildir set-up throughout.
. "$(dirname "$0")/lib.sh"
NB=$NEWSBEAT
make_newsletter nl
cd nl || exit 2
printf 'email,name\nann@example.org,Ann\nbob@example.org,Bob\n' > m.csv
"$NB" subscribers import m.csv > /dev/null

# A missing template: check must fail, naming it.
mv templates/email.txt email.txt.away
check_exit 1 "check with email.txt missing exits 1" "$NB" check 42 > out 2> err
check "  names the template" grep -q "email.txt" out
check "  and does not say 'no problems found'" sh -c '! grep -q "no problems found" out'
mv email.txt.away templates/email.txt
mv templates/archive-issue.html ai.away
check_exit 1 "check with an archive template missing exits 1 (send builds the archive)" \
	"$NB" check 42 > out 2> err
check "  names the template" grep -q "archive-issue.html" out
mv ai.away templates/archive-issue.html
check_exit 0 "check with every template passes" "$NB" check 42 > out 2> err

# A copied file whose number was not changed.
cp issues/issue-42.md issues/issue-43.md
check_exit 1 "check of a copy that still says issue: 42 exits 1" "$NB" check 43 > out 2> err
check "  naming the other file" grep -q "issue-43.md.*issue-42.md" out
check_exit 2 "send of it is refused" "$NB" send 43 --yes > out 2> err
check "  naming both files" sh -c 'grep -q "issue-43.md" err && grep -q "issue-42.md" err'
check "  nothing was sent" test ! -d outbox/new -o -z "$(ls outbox/new 2>/dev/null)"
rm issues/issue-43.md

# send builds the archive before the first message.
rm -rf public
check_exit 0 "send 42 --yes" "$NB" send 42 --yes > out 2> err
check "  says it rebuilt the archive" grep -q "archive rebuilt in .*public" out
check "  the issue page is there" test -f public/issues/issue-42.html
check "  the archive was there before the first message, holding its Archived-At page" $PY - <<'PY'
import email, email.policy, glob, os, sys
msgs = sorted(glob.glob("outbox/new/*"), key=os.path.getmtime)
page = os.stat("public/issues/issue-42.html").st_mtime_ns
ok = len(msgs) == 2 and all(os.stat(m).st_mtime_ns >= page for m in msgs)
for m in msgs:
    with open(m, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.strict)
    url = msg["Archived-At"].strip("<>")
    path = url.replace("https://news.example.org/", "public/")
    ok = ok and os.path.isfile(path)
sys.exit(0 if ok else 1)
PY

# Nothing left: say so, do not ask (no --yes, no terminal).
check_exit 0 "send 42 again with nobody left needs no --yes" "$NB" send 42 > out 2> err < /dev/null
check "  and says the issue is complete" grep -q "issue 42 is complete: 2 sent" out

# A failed archive build stops the send before anything goes out.
sed 's/^issue: 42$/issue: 44/' issues/issue-42.md > issues/issue-44.md
mv templates/feed.xml feed.away
n0=$(ls outbox/new | wc -l)
check_exit 2 "send with the archive unbuildable is refused" "$NB" send 44 --yes > out 2> err
check "  with the reason" sh -c 'grep -q "feed.xml" err && grep -q "nothing was sent" err'
check "  nothing sent" test "$(ls outbox/new | wc -l)" -eq "$n0"
check "  nothing recorded" sh -c '"$NEWSBEAT" status 44 | grep -q "has not been sent"'
check_exit 0 "--no-archive sends anyway" "$NB" send 44 --yes --no-archive > out 2> err
check "  two more messages" test "$(ls outbox/new | wc -l)" -eq $((n0 + 2))
check "  no archive line" sh -c '! grep -q "archive rebuilt" out'
mv feed.away templates/feed.xml

# A draft and a future issue: asked, saying why; --yes says so.
sed 's/^issue: 42$/issue: 45/; s/^list: members$/list: members\ndraft: true/' issues/issue-42.md > issues/issue-45.md
sed 's/^issue: 42$/issue: 46/; s/^date: .*/date: 2027-01-15/' issues/issue-42.md > issues/issue-46.md
check_exit 2 "a draft without --yes and without a terminal is refused" "$NB" send 45 > out 2> err < /dev/null
check "  saying it is a draft" grep -q "issue 45 is a draft" err
if command -v script >/dev/null; then
	printf 'n\n' | timeout 20 script -qec "'$NB' send 46" /dev/null > tty.out 2>&1
	check "on a terminal the question says the issue is dated in the future" \
		sh -c 'grep -q "dated 2027-01-15, in the future" tty.out && grep -q "Send? \[y/N\]" tty.out'
	check "  answering no sends nothing" grep -q "nothing sent" tty.out
else
	ok "# SKIP no script(1) to fake a terminal"
	ok "# SKIP no script(1) to fake a terminal"
fi
n0=$(ls outbox/new | wc -l)
check_exit 0 "a future issue with --yes is sent" "$NB" send 46 --yes > out 2> err
check "  with a warning saying why its web page is missing" \
	grep -q "warning: issue 46 is dated 2027-01-15, in the future.*sending it anyway" err
check "  the archive was rebuilt without it" \
	sh -c 'grep -q "without issue 46" out && test ! -e public/issues/issue-46.html'
check "  two messages" test "$(ls outbox/new | wc -l)" -eq $((n0 + 2))
check "  the Maildir send warns about the development key" grep -q "development key" err

# --test and --dry-run neither ask about drafts nor build the archive.
rm -rf public
check_exit 0 "--test of a draft" "$NB" send 45 --test ann@example.org > out 2> err
check_exit 0 "--dry-run of a draft" "$NB" send 45 --dry-run > out 2> err
check "  no archive built" test ! -e public
done_testing
