#!/bin/sh
# newsbeat send against a relay whose reply to the final dot comes after
# [smtp] timeout.  The timed-out message is the ambiguous case (the relay
# may have queued it): counted, retried once.  The connection it timed out
# on must not be used again: the late 250 would be read as the reply to
# the next MAIL FROM, and every reply after it one step behind (a
# delivered message recorded failed, DATA "failed: 250").
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
make_newsletter nl
cd nl
members ann bob cyd dan

port=$(free_port)
# The first message's 250 comes 3 s late; the client gives up after 2 s.
$PY "$SRCDIR/tests/tools/smtp_slowdot.py" "$port" relay.log 3 & relay_pid=$!
at_exit "kill $relay_pid 2>/dev/null"
wait_port "$port" || notok "slow-dot relay started"
smtp_config slow.ini "smtp://127.0.0.1:$port" connections=1 timeout=2 retry_backoff=1 retry_wait=30
timeout 120 "$NEWSBEAT" -c slow.ini send 42 --yes >out 2>err
rc=$?
sleep 3		# the late 250 and the closes reach the log
kill $relay_pid; wait $relay_pid 2>/dev/null
"$NEWSBEAT" -c slow.ini status 42 > status

check "no command sent on a connection that still owed the dot reply" \
	test "$(grep -c '^early' relay.log)" -eq 0
check "exit 0: everybody delivered" test $rc -eq 0
check "all four sent, nobody failed or left over" \
	grep -q '^  sent *4$' status
check "nobody failed" grep -q '^  failed *0$' status
check "the summary counts the timed-out message as ambiguous" \
	grep -q "1 connection(s) lost after the final dot" out
acc=$(sed -n 's/^accept [0-9]* //p' relay.log | sort | uniq -c | awk '{print $1}' | sort | tr '\n' ' ')
check "the relay took three messages once and the timed-out one twice (retried once)" \
	test "$acc" = "1 1 1 2 "
first=$(sed -n 's/^accept \([0-9]*\) .*/\1/p' relay.log | head -n 1)
check "the connection that timed out carried no further message" \
	test "$(grep -c "^accept $first " relay.log)" -eq 1
if [ "$tap_failed" -gt 0 ]; then
	sed 's/^/# relay: /' relay.log; sed 's/^/# /' out err status
fi
done_testing
