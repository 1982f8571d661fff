#!/bin/sh
# An unsubscribe while a rate-limited send waits for a message's slot:
# with [smtp] rate = 0.5 each message waits 2 s after its recipient was
# checked; the check is asked again after the wait, so b, who leaves as
# soon as the first message is in the Maildir outbox, gets nothing and
# is recorded cancelled.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
make_newsletter nl
cd nl
members a b c d e
cfg=config.ini
smtp_config $cfg "" rate=0.5 connections=1
"$NEWSBEAT" send 42 --yes --no-archive >send.out 2>send.err &
pid=$!
at_exit "kill $pid 2>/dev/null"
n=0
while [ -z "$(ls outbox/new 2>/dev/null)" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
check "the first message is in the outbox" test -n "$(ls outbox/new 2>/dev/null)"
check "unsubscribing b while the send runs" "$NEWSBEAT" subscribers remove b@example.org
wait $pid
check "the send finished (exit 0)" test $? -eq 0
arrivals outbox/new > got.txt
grep -vx b@example.org all.txt > want.txt
check "everyone but b got it, once each" cmp -s got.txt want.txt
check "the journal: 4 sent, 1 cancelled (b's row is not sent)" \
	test "$(count 42 sent):$(count 42 cancelled)" = 4:1
check "the summary counts it" grep -q "cancelled 1 in this run" send.out
done_testing
