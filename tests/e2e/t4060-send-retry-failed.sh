#!/bin/sh
# send ISSUE --retry-failed: after the cause of permanent failures is
# fixed, the issue's failed rows go back in the queue — counted, confirmed
# like a send (or --yes) — and are sent; sent rows are never touched.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
make_newsletter nl
cd nl
for who in amara zoe li; do "$NEWSBEAT" subscribers add $who@example.org >/dev/null; done
"$NEWSBEAT" subscribers add gone@example.org >/dev/null

check_exit 2 "--retry-failed before any send: exit 2" "$NEWSBEAT" send 42 --retry-failed --yes
check_exit 2 "--retry-failed with --test is a usage error" "$NEWSBEAT" send 42 --retry-failed --test a@example.org
check_exit 2 "--retry-failed with --dry-run is a usage error" "$NEWSBEAT" send 42 --retry-failed --dry-run
check "--help documents it" sh -c "'$NEWSBEAT' send --help | grep -q -- --retry-failed"

# The relay refuses two recipients permanently: they end up failed.
port=$(free_port)
start_capture "$port" got1 --fault "zoe:rcpt:550" --fault "li:rcpt:550" || notok "capture started"
smtp_config config.ini "smtp://127.0.0.1:$port"
"$NEWSBEAT" send 42 --yes >out 2>&1
check "the first send exits 1" test $? -eq 1
check "two recipients failed" sh -c "'$NEWSBEAT' status 42 --failed | grep -c '@example.org' | grep -qx 2"
check "two were delivered" test "$(received got1 | wc -l)" -eq 2
stop_capture
check_exit 1 "a plain re-run does not resend the failed (exit 1: still failed)" "$NEWSBEAT" send 42 --yes

# One of them unsubscribes meanwhile: re-queued, then cancelled, never mailed.
"$NEWSBEAT" subscribers remove li@example.org >/dev/null
start_capture "$port" got2 || notok "capture restarted"
check_exit 2 "--retry-failed without a terminal or --yes asks and refuses" "$NEWSBEAT" send 42 --retry-failed </dev/null
check "…nothing went out" test -z "$(received got2)"
"$NEWSBEAT" send 42 --retry-failed --yes >out 2>&1; rc=$?
check "--retry-failed --yes exits 0 (got $rc)" test "$rc" -eq 0
check "it says how many it re-queued" grep -q "re-queued 2 failed recipient(s) of issue 42" out
check "only zoe was mailed again" test "$(received got2)" = zoe@example.org
check "li, unsubscribed meanwhile, was not" sh -c "! received got2 | grep -q li@"
check "nobody is failed now" sh -c "! '$NEWSBEAT' status 42 --failed | grep -q '@example.org'"
"$NEWSBEAT" send 42 --retry-failed --yes >out 2>&1; rc=$?
check "a second --retry-failed has nothing to do (exit 0, got $rc)" test "$rc" -eq 0
check "…and says so" grep -q "no failed recipients" out
check "…and mails nobody" test "$(received got2)" = zoe@example.org
done_testing
