#!/bin/sh
# send's safety rails over SMTP: an unsubscribe committed while a send runs
# stops delivery to that address; a second send of the same issue while one
# runs refuses; --test, --dry-run, --limit, the confirmation on a terminal
# and the refusal without one; status.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
make_newsletter nl
cd nl
i=0
while [ $i -lt 20 ]; do
	echo "r$i@example.org"
	i=$((i + 1))
done > members.txt
{ echo email,name; sed 's/\(.*\)@.*/&,Reader \1/' members.txt; } > members.csv
"$NEWSBEAT" subscribers import members.csv >/dev/null
sort members.txt > all.txt
port=$(free_port)
start_capture "$port" got || notok "capture server started"

# 20 messages at 4 a second: five seconds of sending to act during.
smtp_config config.ini "smtp://127.0.0.1:$port" connections=1 rate=4 timeout=5
mk_issue 401
"$NEWSBEAT" send 401 --yes >send.out 2>send.err &
pid=$!
at_exit "kill $pid 2>/dev/null"
sleep 1
check_exit 1 "a second send of the same issue while one runs exits 1" "$NEWSBEAT" send 401 --yes 2>second.err
check "  and says so" grep -q "already being sent" second.err
check "unsubscribing r15 while the send runs works (the store is not locked out)" \
	"$NEWSBEAT" subscribers remove r15@example.org
check "unsubscribing r19 too" "$NEWSBEAT" subscribers remove r19@example.org
n=0
while kill -0 $pid 2>/dev/null && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
wait $pid
check "the send finished (exit 0: nobody left undelivered)" test $? -eq 0
grep -vx 'r15@example.org' all.txt | grep -vx 'r19@example.org' > want.txt
received got > got.txt
check "everyone but r15 and r19 got it, once each" cmp -s got.txt want.txt
check "status: 18 sent, 2 cancelled" \
	sh -c '"$NEWSBEAT" status 401 > st && grep -q "^  sent *18$" st && grep -q "^  cancelled *2$" st'
check "the summary counts them" grep -q "cancelled 2 in this run" send.out

# --test: only to the given addresses, "[TEST]" subject, journal untouched.
rm -f got/*
smtp_config config.ini "smtp://127.0.0.1:$port" connections=2 timeout=5
mk_issue 402
check "--test twice" "$NEWSBEAT" send 402 --test ed@example.org --test ed2@example.org --yes
check "  two messages, to the test addresses only" \
	test "$(received got | tr '\n' ' ')" = "ed2@example.org ed@example.org "
for f in got/*.eml; do
	check "  subject starts with [TEST]" \
		sh -c "$CHECK --json '$f' | $PY -c 'import json,sys; sys.exit(not json.load(sys.stdin)[\"Subject\"].startswith(\"[TEST] \"))'"
done
check "  the journal is untouched" sh -c '"$NEWSBEAT" status 402 | grep -q "has not been sent"'
check_exit 2 "--test with a bad address is refused" "$NEWSBEAT" send 402 --test 'x@y>z' --yes

# --dry-run delivers nothing, records nothing.
rm -f got/*
check "--dry-run" sh -c '"$NEWSBEAT" send 402 --dry-run > dry.out'
check "  says it built every message" grep -q "built 18 messages" dry.out
check "  nothing delivered" test -z "$(received got)"
check "  the journal is untouched" sh -c '"$NEWSBEAT" status 402 | grep -q "has not been sent"'

# Without a terminal and without --yes: refused, nothing delivered.
check_exit 2 "no terminal, no --yes: refused" "$NEWSBEAT" send 402 </dev/null 2>refuse.err
check "  saying --yes is needed" grep -q -- "--yes" refuse.err
check "  nothing delivered, nothing recorded" \
	sh -c 'test -z "$(ls got)" && "$NEWSBEAT" status 402 | grep -q "has not been sent"'

# On a terminal: the confirmation shows what is about to happen.
if command -v script >/dev/null; then
	printf 'n\n' | timeout 20 script -qec "'$NEWSBEAT' send 402" /dev/null > tty.out 2>&1
	check "terminal: the prompt names the issue, subject, list, count and transport" \
		sh -c 'grep -q "issue: *402" tty.out && grep -q "subject: *NewsBeat #402" tty.out &&
			grep -q "list: *members" tty.out && grep -q "recipients: *18" tty.out &&
			grep -q "transport: *smtp://127.0.0.1:'"$port"'" tty.out && grep -q "Send? \[y/N\]" tty.out'
	check "terminal: answering no sends nothing" \
		sh -c 'grep -q "nothing sent" tty.out && test -z "$(ls got)"'
else
	ok "# SKIP no script(1) to fake a terminal"
fi

# --limit, then resume.
check_exit 0 "--limit 5" "$NEWSBEAT" send 402 --yes --limit 5
check "  five delivered" test "$(received got | wc -l)" -eq 5
check "  status: 5 sent, 13 pending" \
	sh -c '"$NEWSBEAT" status 402 > st && grep -q "^  sent *5$" st && grep -q "^  pending *13$" st'
check "resume delivers the rest" "$NEWSBEAT" send 402 --yes
received got > got.txt
check "  everyone once" cmp -s got.txt want.txt

# Ctrl-C (SIGINT) stops after the messages in flight; a resume sends the rest.
rm -f got/*
mk_issue 403
smtp_config config.ini "smtp://127.0.0.1:$port" connections=2 rate=10 timeout=5
"$NEWSBEAT" send 403 --yes >int.out 2>int.err &
pid=$!
sleep 0.8
kill -INT $pid
wait $pid
check "SIGINT: exit 1" test $? -eq 1
check "  says how to resume" grep -q "interrupted; run 'newsbeat send' again to resume" int.err
check "  stopped early" test "$(received got | wc -l)" -lt 18
check "  the journal agrees with the server (sent = received)" sh -c '"$NEWSBEAT" status 403 | grep -q "^  sent *$(ls got/*.env | wc -l)$"'
check "resume after SIGINT" "$NEWSBEAT" send 403 --yes
received got > got.txt
check "  everyone once" cmp -s got.txt want.txt

# Resuming an issue with another list would go on with the first list's
# recipients: refused, saying which list it is.
"$NEWSBEAT" subscribers add zed@example.org --list board >/dev/null
check_exit 2 "resuming issue 402 with --list board is refused" "$NEWSBEAT" send 402 --list board --yes 2>list.err
check "  naming the list it is being delivered to" grep -q "being delivered to list 'members'" list.err
check "  nothing delivered" test "$(received got | wc -l)" -eq 18
# libcurl and libmicrohttpd are linked the usual way, so ldd, packagers'
# dependency tools and the dynamic loader see them.
check "newsbeat is linked against libcurl and libmicrohttpd" \
	sh -c 'objdump -p "$NEWSBEAT" | grep NEEDED > needed.txt &&
	       grep -q curl needed.txt && grep -q microhttpd needed.txt'
stop_capture
done_testing
