#!/bin/sh
# A relay that is down or busy is not the recipients' fault.  A 421 at the
# greeting (smtp-sink -Q CONNECT) or a port nobody listens on: `send` waits,
# spends no recipient's attempt, and after [smtp] retry_for stops with every
# row still pending, saying how to resume.  Once the relay is back, the
# next `send` delivers each recipient exactly once.  An outage shorter than
# retry_for is waited out by the same run.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
[ -x /usr/sbin/smtp-sink ] || skip_all "no /usr/sbin/smtp-sink (apt-get install postfix)"
make_newsletter nl
cd nl
members ann bob cyd

# down N WHAT: `send N` against a relay that is not there; it must stop
# after retry_for with all three still pending and no attempt spent.
down() {
	d_n=$1 _what=$2
	_t0=$(date +%s)
	timeout 60 "$NEWSBEAT" -c "$cfg" send "$d_n" --yes >out.$d_n 2>err.$d_n
	_rc=$?
	_t1=$(date +%s)
	check "$_what: exit 1, nothing delivered" test $_rc -eq 1
	check "$_what: waited for the relay for retry_for (3 s), not longer than a few" \
		test $((_t1 - _t0)) -ge 3 -a $((_t1 - _t0)) -le 15
	check "$_what: says the relay has not answered, and since when" \
		grep -q "sending stopped: the relay has not answered since 20[0-9-]* [0-9:]* UTC" err.$d_n
	check "$_what: says how many are still due and how to resume" \
		grep -q "^3 row(s) still due, none marked failed for it: run 'newsbeat send $d_n' again to resume" err.$d_n
	check "$_what: all three still pending, none failed, none to retry" \
		test "$(count $d_n pending):$(count $d_n failed):$(count $d_n retry)" = 3:0:0
	"$NEWSBEAT" -c "$cfg" status "$d_n" > status.$d_n
	check "$_what: no attempt spent on anybody" \
		test "$(grep -c '^pending .*example.org' status.$d_n):$(grep -c 'attempt' status.$d_n)" = 3:0
}

wait_for="connections=2 retry_for=3 retry_backoff=3 retry_wait=0 max_attempts=2 timeout=5"

# 421 at the greeting.
mk_issue 101
port=$(free_port)
start_sink "$port" -Q CONNECT || notok "smtp-sink -Q CONNECT started"
cfg=busy.ini
# shellcheck disable=SC2086
smtp_config $cfg "smtp://127.0.0.1:$port" $wait_for
down 101 "421 at the greeting"
check "421 at the greeting: the server's reply is named" grep -q "421 .*(after connect)" err.101
stop_sink

# Nobody listening.
mk_issue 102
port2=$(free_port)
cfg=refused.ini
# shellcheck disable=SC2086
smtp_config $cfg "smtp://127.0.0.1:$port2" $wait_for
down 102 "connection refused"
check "connection refused: the reason is named" grep -q "onnect" err.102

# On a terminal the progress line says the run is waiting for the relay.
if command -v script >/dev/null; then
	mk_issue 104
	cfg=refused.ini
	timeout 60 script -qec "'$NEWSBEAT' -c $cfg send 104 --yes" /dev/null > tty.104 2>&1
	check "terminal: the progress line says it is waiting for the relay" \
		grep -q "waiting for the relay (not answering since [0-9:]* UTC)" tty.104
else
	ok "# SKIP no script(1) to fake a terminal"
fi

# The relay is back: each gets the issue exactly once.
start_capture "$port" got || notok "capture server started"
cfg=busy.ini
timeout 60 "$NEWSBEAT" -c $cfg send 101 --yes >out.101b 2>err.101b
check "relay back: send 101 delivers the rest (exit 0)" test $? -eq 0
arrivals got > got.txt
check "relay back: each recipient got issue 101 exactly once" cmp -s got.txt all.txt
check "relay back: status: three sent, none failed" \
	test "$(count 101 sent):$(count 101 failed)" = 3:0
stop_capture

# An outage shorter than retry_for: the same run waits and finishes.
mk_issue 103
port3=$(free_port)
cfg=outage.ini
smtp_config $cfg "smtp://127.0.0.1:$port3" connections=2 retry_for=60 retry_backoff=3 \
	retry_wait=0 max_attempts=2 timeout=5
timeout 90 "$NEWSBEAT" -c $cfg send 103 --yes >out.103 2>err.103 & send_pid=$!
at_exit "kill $send_pid 2>/dev/null"
sleep 3
start_capture "$port3" got.103 || notok "capture server started after the outage"
wait $send_pid
check "a 3 s outage within retry_for: the run waits it out (exit 0)" test $? -eq 0
arrivals got.103 > got.103.txt
check "a 3 s outage: each recipient got issue 103 exactly once" cmp -s got.103.txt all.txt
check "a 3 s outage: status: three sent, none failed" \
	test "$(count 103 sent):$(count 103 failed)" = 3:0
stop_capture
done_testing
