#!/bin/sh
# A relay that refuses every recipient the same way for a reason that is
# not theirs.  A 5xx that blames the sending set-up or the message
# (554 5.7.1 relay access denied, 552 5.3.4 message too big) five times in
# a row stops the run with nobody failed, naming the reply; a 4xx to every
# RCPT TO (451 4.3.0) is the relay's trouble: waited out for retry_for like
# a relay that is down, nobody's attempt spent.  A 5xx about the address
# (550 5.1.1 user unknown) still fails each recipient it names.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
make_newsletter nl
cd nl
# Twenty members at two domains, alternating: a relay's refusal meets
# both; one domain's filter meets only its own (below).
: > all.txt
for n in $(seq 1 20); do
	i=$(printf %02d "$n")
	d=example.org; [ $((n % 2)) = 1 ] && d=example.net
	"$NEWSBEAT" subscribers add "u$i@$d" >/dev/null
	echo "u$i@$d" >> all.txt
done

opts="connections=2 retry_backoff=1 retry_wait=0 max_attempts=5 timeout=5 retry_for=3"

# refused N FAULT WHAT: send N through a capture server with FAULT.
refused() {
	r_n=$1 _fault=$2
	mk_issue "$r_n"
	port=$(free_port)
	rm -rf got
	start_capture "$port" got --fault "$_fault" || notok "capture server started ($_fault)"
	cfg=fault.$r_n.ini
	# shellcheck disable=SC2086
	smtp_config $cfg "smtp://127.0.0.1:$port" $opts
	timeout 60 "$NEWSBEAT" -c $cfg send "$r_n" --yes >out.$r_n 2>err.$r_n
	r_rc=$?
	stop_capture
}

for c in 101:rcpt:554/5.7.1 102:dot:552/5.3.4; do
	n=${c%%:*} f=:${c#*:}
	refused $n "$f"
	what="${f#:} for everyone"
	check "$what: exit 1" test $r_rc -eq 1
	check "$what: the run stops, naming the reply and that nobody failed" \
		sh -c "grep 'sending stopped: 5 recipients in a row' err.$n | grep '${f##*/} fault injected' | grep -q 'nobody was marked failed'"
	check "$what: nobody failed, all twenty still pending" \
		test "$(count $n failed):$(count $n pending)" = 0:20
	check "$what: no attempt spent" test "$("$NEWSBEAT" -c $cfg status $n | grep -c attempt)" -eq 0
	check "$what: the summary says sent 0, failed 0" grep -q "^sent 0, failed 0," out.$n
done

# The cause fixed (the relay takes everyone now): the next send delivers all, once.
port=$(free_port)
rm -rf got
start_capture "$port" got || notok "clean capture server started"
smtp_config clean.ini "smtp://127.0.0.1:$port" $opts
timeout 60 "$NEWSBEAT" -c clean.ini send 101 --yes >out.clean 2>err.clean
check "after the fix: exit 0" test $? -eq 0
received got > got.txt
check "after the fix: everyone got it once" cmp -s got.txt all.txt
stop_capture

# 451 to every RCPT TO: the relay's trouble.
refused 104 ":rcpt:451/4.3.0"
check "451 to every RCPT: exit 1" test $r_rc -eq 1
check "451 to every RCPT: the run stops after retry_for, naming the reply" \
	sh -c "grep 'sending stopped: the relay has not answered since' err.104 | grep -q '451 4.3.0 fault injected'"
check "451 to every RCPT: nobody failed, all twenty still due" \
	test "$(count 104 failed):$(( $(count 104 pending) + $(count 104 retry) ))" = 0:20
check "451 to every RCPT: no attempt spent" test "$("$NEWSBEAT" -c $cfg status 104 | grep -c attempt)" -eq 0

# A 5xx about the address is still the recipient's own (last: they
# become bounced).
refused 103 ":rcpt:550/5.1.1"
check "550 5.1.1 for everyone: exit 1" test $r_rc -eq 1
check "550 5.1.1 for everyone: each recipient failed, the run did not stop" \
	test "$(count 103 failed)" -eq 20 -a "$(grep -c 'sending stopped' err.103)" -eq 0
# One domain's filter refusing the issue: a list whose eight members are
# all at one hospital, whose filter answers 554 5.7.1 (a reply blaming the
# message).  Those are that domain's refusals, each its recipient's: were
# they taken for the relay's, every send of the issue would stop at them.
for i in 1 2 3 4 5 6 7 8; do
	"$NEWSBEAT" subscribers add "staff$i@hospital.example" --list hospital >/dev/null
done
mk_issue 110
port=$(free_port)
rm -rf got
start_capture "$port" got --fault ":rcpt:554/5.7.1" || notok "capture server started"
cfg=fault.110.ini
# shellcheck disable=SC2086
smtp_config $cfg "smtp://127.0.0.1:$port" $opts
timeout 60 "$NEWSBEAT" -c $cfg send 110 --list hospital --yes >out.110 2>err.110
stop_capture
check "eight members at one domain refused as for the message: the run is not stopped" \
	sh -c "! grep -q 'recipients in a row' err.110"
check "…each of the eight failed on its own reply" test "$(count 110 failed)" = 8
done_testing
