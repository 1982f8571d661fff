#!/bin/sh
# connections = auto against a relay that takes at most 6 connections from
# us: past 6 it answers "421 4.7.0 too many connections" and closes.  The
# send starts with 4, grows, meets the refusal and keeps to what the relay
# takes: it completes, every member gets the issue exactly once (read back
# with Python's email parser), nobody is failed or spent an attempt, and
# the summary reports no more than 6 connections.  A fixed count above
# the limit still completes too (the extra connections back off).
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
make_newsletter nl
cd nl || exit 2
i=0
printf 'email,name\n' > m.csv
while [ $i -lt 400 ]; do echo "m$i@example.org,M $i" >> m.csv; i=$((i + 1)); done
"$NEWSBEAT" subscribers import m.csv > /dev/null
sed -n 's/,.*//p' m.csv | grep @ | sort > all.txt

# limited ISSUE CONNECTIONS: send ISSUE to a relay taking 6 connections, each
# reply 5 ms late; leaves out.ISSUE, relay.ISSUE.log and got.ISSUE/.
limited() {
	port=$(free_port)
	mkdir -p "got.$1"
	$PY "$SRCDIR/tests/tools/smtp_transcript.py" "$port" "relay.$1.log" --delay 5 \
		--max-conns 6 --save "got.$1" & rpid=$!
	at_exit "kill $rpid 2>/dev/null"
	wait_port "$port" || notok "the limiting relay started"
	mk_issue "$1"
	smtp_config "c$1.ini" "smtp://127.0.0.1:$port" connections="$2" max_connections=16 \
		timeout=10 retry_for=60
	cfg=c$1.ini
	timeout 120 "$NEWSBEAT" -c "$cfg" send "$1" --yes > "out.$1" 2> "err.$1"
	rc=$?
	kill $rpid 2>/dev/null
	wait $rpid 2>/dev/null
	return $rc
}

limited 130 auto
check "auto: the send completes (exit 0)" test $? -eq 0
check "auto: the relay did refuse connections past 6" grep -q ' REFUSED$' relay.130.log
arrivals got.130 > got.130.txt
check "auto: each of the 400 members got the issue exactly once" cmp -s got.130.txt all.txt
check "auto: status: 400 sent, none failed, none to retry" \
	test "$(count 130 sent):$(count 130 failed):$(count 130 retry)" = 400:0:0
used=$(sed -n 's/.* \([0-9]*\) connections.*/\1/p' out.130)
check "auto: the summary reports the connections used: ${used:-none}, more than the first 4, at most 6" \
	test "${used:-99}" -ge 5 -a "${used:-99}" -le 6

limited 131 10
check "connections = 10 at a relay taking 6: the send completes (exit 0)" test $? -eq 0
arrivals got.131 > got.131.txt
check "connections = 10: each member once" cmp -s got.131.txt all.txt
check "connections = 10: none failed, none to retry" \
	test "$(count 131 failed):$(count 131 retry)" = 0:0
done_testing
