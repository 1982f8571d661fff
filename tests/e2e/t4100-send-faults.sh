#!/bin/sh
# newsbeat send against faulty SMTP servers, through the command line.
#
# Part 1: Postfix's smtp-sink with one fault at each stage (connect, EHLO
# and HELO, MAIL, RCPT, DATA, the final dot) of each kind: 4xx (-r), 5xx
# (-f), 421 and close (-Q), silent close (-q).  Then the fault is removed
# (a clean capture server takes the port's place) and `send` again must
# deliver exactly the recipients not yet sent: nobody skipped, nobody twice.
#
# Part 2: a scripted aiosmtpd server failing some recipients only (4xx,
# 5xx, silent close, a hang until the client's timeout, a close after
# the message was stored: the ambiguous case), then a clean resume.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
[ -x /usr/sbin/smtp-sink ] || skip_all "no /usr/sbin/smtp-sink (apt-get install postfix)"
make_newsletter nl
cd nl
members ann bob cyd
: > none.txt

# Fast retries: a 4xx leaves the row in 'retry' (due 3 s later) and the run
# ends at once instead of waiting for it.  A relay that is down or busy
# before RCPT TO is waited for 3 s (retry_for), then the run stops.
fast="connections=3 retry_backoff=3 retry_wait=0 max_attempts=5 timeout=5 retry_for=3"

n=100 cases=""
for kind in r f Q q; do
	for stage in CONNECT EHLO,HELO MAIL RCPT DATA .; do
		n=$((n + 1))
		cases="$cases $n:$kind:$stage"
		mk_issue $n
		port=$(free_port)
		start_sink "$port" "-$kind" "$stage" || notok "smtp-sink -$kind $stage started"
		cfg=fault.ini
		# shellcheck disable=SC2086
		smtp_config $cfg "smtp://127.0.0.1:$port" $fast
		what="-$kind $stage"
		timeout 60 "$NEWSBEAT" -c $cfg send $n --yes >out.$n 2>err.$n
		rc=$?
		stop_sink
		check "$what: exit 1, somebody is left undelivered" test $rc -eq 1
		case $kind:$stage in
		r:CONNECT|r:EHLO,HELO|r:MAIL|Q:CONNECT|Q:EHLO,HELO|Q:MAIL|q:CONNECT|q:EHLO,HELO|q:MAIL)
			# The relay is busy or gone before any recipient was named:
			# nobody's attempt is spent, the run waits, then stops.
			check "$what: the run stops, the relay has not answered" \
				grep -q "sending stopped: the relay has not answered since" err.$n
			check "$what: all three still pending, no attempt spent" \
				test "$(count $n pending):$(count $n retry):$("$NEWSBEAT" -c $cfg status $n | grep -c attempt)" = 3:0:0
			;;
		r:*|Q:*|q:[!.]*)
			check "$what: all three to retry" test "$(count $n retry)" -eq 3
			if [ $kind = q ]; then code=""; elif [ $kind = Q ]; then code=" 421 "; else code=" 4[0-9][0-9] "; fi
			check "$what: status shows the reply" \
				test "$("$NEWSBEAT" -c $cfg status $n | grep -c "^retry .*example.org.*$code")" -eq 3
			;;
		f:CONNECT|f:EHLO,HELO|f:MAIL)
			# The server refuses us, not the recipients: stop, mark nobody.
			check "$what: the run stops, naming the server's reply" grep -q "sending stopped: 5[0-9][0-9] " err.$n
			check "$what: nobody marked failed, all three still pending" \
				test "$(count $n failed):$(count $n pending)" = 0:3
			;;
		f:*)
			check "$what: all three failed" test "$(count $n failed)" -eq 3
			check "$what: status --failed shows each with the server's 5xx reply" \
				test "$("$NEWSBEAT" -c $cfg status $n --failed | grep -c '^failed .*example.org.* 5[0-9][0-9] ')" -eq 3
			check "$what: the summary points at status --failed" grep -q "status issue-$n --failed" out.$n
			;;
		q:.)
			# Dropped after the final dot: maybe queued.  Counted, retried
			# once (dropped again), then failed rather than risk a third copy.
			check "$what: the summary counts the ambiguous drops" grep -q "6 connection(s) lost after the final dot" out.$n
			check "$what: failed after the second drop" test "$(count $n failed)" -eq 3
			check "$what: status says why" \
				test "$("$NEWSBEAT" -c $cfg status $n --failed | grep -c 'lost after the final dot')" -eq 3
			;;
		esac
	done
done

# The fault is gone: a clean server on a new port, retries now due.
sleep 3
port=$(free_port)
start_capture "$port" got || notok "capture server started"
cfg=clean.ini
# shellcheck disable=SC2086
smtp_config $cfg "smtp://127.0.0.1:$port" $fast
for c in $cases; do
	n=${c%%:*} kind=${c#*:} stage=${kind#*:} kind=${kind%%:*}
	what="-$kind $stage, then no fault"
	rm -f got/*
	case $kind:$stage in
	f:RCPT|f:DATA|f:.|q:.) want=none.txt wantrc=1 ;;
	*) want=all.txt wantrc=0 ;;
	esac
	timeout 60 "$NEWSBEAT" -c $cfg send $n --yes >out.$n 2>err.$n
	rc=$?
	check "$what: exit $wantrc" test $rc -eq $wantrc
	received got > got.txt
	check "$what: the server got exactly the recipients not yet sent, once each" cmp -s got.txt $want
	if [ $want = all.txt ]; then
		check "$what: status: three sent" test "$(count $n sent)" -eq 3
	fi
done
stop_capture

# Part 2: recipients failing one by one on a scripted server.
for u in dan eve fay gus hal; do "$NEWSBEAT" subscribers add $u@example.org >/dev/null; done
printf '%s@example.org\n' ann bob cyd dan eve fay gus hal > all8.txt
mk_issue 200
port=$(free_port)
rm -rf got
start_capture "$port" got --fault bob:rcpt:451 --fault cyd:rcpt:550 --fault dan:rcpt:close \
	--fault eve:rcpt:hang --fault fay:dot:452 --fault gus:dot:keep-close:once
cfg=mixed.ini
smtp_config $cfg "smtp://127.0.0.1:$port" connections=2 retry_backoff=2 retry_wait=0 \
	max_attempts=5 timeout=2
timeout 60 "$NEWSBEAT" -c $cfg send 200 --yes >out.200 2>err.200
check "mixed faults: exit 1" test $? -eq 1
stop_capture
received got > got1.txt
check "mixed faults: ann and hal got it once, gus twice (the ambiguous drop)" \
	test "$(tr '\n' ' ' < got1.txt)" = "ann@example.org gus@example.org gus@example.org hal@example.org "
check "mixed faults: the summary counts gus's drop" grep -q "1 connection(s) lost after the final dot" out.200
check "mixed faults: ann, gus, hal sent" test "$(count 200 sent)" -eq 3
check "mixed faults: cyd failed with the server's 550" \
	sh -c "'$NEWSBEAT' -c $cfg status 200 --failed | grep -q '^failed *cyd@example.org .*550 5.0.0 fault injected (after RCPT TO)'"
check "mixed faults: only cyd failed" test "$(count 200 failed)" -eq 1
check "mixed faults: bob, dan, eve, fay to retry" test "$(count 200 retry)" -eq 4
"$NEWSBEAT" -c $cfg status 200 > status.200
check "mixed faults: bob's 451 is stored" grep -q '^retry *bob@example.org .*451 4.0.0 fault injected' status.200
check "mixed faults: fay's 452 after the dot is stored" grep -q '^retry *fay@example.org .*452 4.0.0 fault injected (after final dot)' status.200
check "mixed faults: eve timed out" grep -q '^retry *eve@example.org .*RCPT TO: .*[Tt]imeout' status.200
# Resume until nothing is left to retry (the retries fall due 2-8 s after
# their last attempt, depending on how many the first run made).
start_capture "$port" got.resume
tries=0
while [ $tries -lt 15 ]; do
	sleep 1
	tries=$((tries + 1))
	timeout 60 "$NEWSBEAT" -c $cfg send 200 --yes >out.200 2>err.200
	rc=$?
	[ "$(count 200 retry)" -eq 0 ] && break
done
check "mixed faults, resumed: exit 1 (cyd failed for good)" test $rc -eq 1
stop_capture
{ cat got1.txt; received got.resume; } | sort > got2.txt
grep -vx cyd@example.org all8.txt > want.txt
check "mixed faults, resumed: everyone but cyd got it" sh -c 'sort -u got2.txt | cmp -s - want.txt'
check "mixed faults, resumed: the only duplicate is gus's ambiguous message" \
	test "$(sort got2.txt | uniq -d | tr '\n' ' ')" = "gus@example.org "
check "mixed faults, resumed: status: seven sent, one failed" \
	test "$(count 200 sent):$(count 200 failed):$(count 200 retry)" = 7:1:0

# Part 3: the last message in flight is dropped after its dot while the
# other connection has nothing left to do: the run must wait for that
# outcome and retry it (once) before it ends.
"$NEWSBEAT" subscribers add zed@example.org --list pair >/dev/null
"$NEWSBEAT" subscribers add amy@example.org --list pair >/dev/null
mk_issue 201
port=$(free_port)
start_capture "$port" got.late --fault zed:dot:late-keep-close:once
cfg=late.ini
smtp_config $cfg "smtp://127.0.0.1:$port" connections=2 retry_backoff=2 max_attempts=5 timeout=5
timeout 60 "$NEWSBEAT" -c $cfg send 201 --list pair --yes >out.201 2>err.201
check "a late ambiguous drop: the same run retries it (exit 0)" test $? -eq 0
check "  counted" grep -q "1 connection(s) lost after the final dot" out.201
check "  status: both sent" test "$(count 201 sent)" -eq 2
check "  zed got two copies, amy one" \
	test "$(received got.late | tr '\n' ' ')" = "amy@example.org zed@example.org zed@example.org "
stop_capture
done_testing
