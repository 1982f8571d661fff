#!/bin/sh
# send --retry-failed leaves alone the rows that failed because the
# connection was lost after the final dot (twice): a copy may already
# have arrived, so re-queueing them could send a third and a fourth.  It
# says how many it left and how to include them: --retry-ambiguous.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
make_newsletter nl
cd nl
for who in amara zoe li; do "$NEWSBEAT" subscribers add $who@example.org >/dev/null; done

# li: stored, then the connection dropped without the 250, every time
# (two copies, then failed); zoe: refused for good.
port=$(free_port)
start_capture "$port" got1 --fault "li:dot:keep-close" --fault "zoe:rcpt:550" || notok "capture started"
smtp_config config.ini "smtp://127.0.0.1:$port" retry_backoff=1 timeout=5
"$NEWSBEAT" send 42 --yes >out 2>&1
check "the first send exits 1" test $? -eq 1
stop_capture
check "li failed after two ambiguous drops, zoe after a 550" \
	test "$("$NEWSBEAT" status 42 --failed | grep -c '@example.org')" -eq 2
check "li may have two copies already" test "$(received got1 | grep -c li@)" -eq 2

start_capture "$port" got2 || notok "capture restarted"
"$NEWSBEAT" send 42 --retry-failed --yes >out 2>&1; rc=$?
check "--retry-failed: exit 1, li is still failed (got $rc)" test "$rc" -eq 1
check "it re-queued zoe only" grep -q "re-queued 1 failed recipient(s) of issue 42" out
check "it says li was left, and why" \
	grep -q "^1 row(s) left failed because a copy may have arrived .*--retry-ambiguous" out
check "only zoe was mailed again" test "$(received got2)" = zoe@example.org
check "li is still failed" sh -c "'$NEWSBEAT' status 42 --failed | grep -q '^failed *li@example.org'"

"$NEWSBEAT" send 42 --retry-failed --yes >out 2>&1; rc=$?
check "--retry-failed again: nothing to re-queue, says so" \
	grep -q "no failed recipients to re-queue" out
check "…and still names the row left failed" grep -q "^1 row(s) left failed because a copy may have arrived" out
check "…nothing sent" test "$(received got2)" = zoe@example.org

"$NEWSBEAT" send 42 --retry-ambiguous --yes >out 2>&1; rc=$?
check "--retry-ambiguous: exit 0 (got $rc)" test "$rc" -eq 0
check "it re-queued li" grep -q "re-queued 1 failed recipient(s) of issue 42" out
check "li was mailed again" test "$(received got2 | tr '\n' ' ')" = "li@example.org zoe@example.org "
check "nobody is failed now" sh -c "! '$NEWSBEAT' status 42 --failed | grep -q '@example.org'"
stop_capture
done_testing
