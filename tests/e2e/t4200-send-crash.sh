#!/bin/sh
# Crash safety: `newsbeat send` to 2,000 recipients killed with SIGKILL at
# random moments at least 10 times, resumed each time, then run to
# completion.  The capture server logs every message before its 250, so
# it sees everything the sender could have lost.  Every recipient must
# arrive at least once; a duplicate is possible only for a message in
# flight at a kill, so duplicates <= connections x kills.
#
# NEWSBEAT_CRASH_RECIPIENTS (default 2000), NEWSBEAT_CRASH_KILLS (default
# 10) and NEWSBEAT_CRASH_SEED (random) change the run.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
N=${NEWSBEAT_CRASH_RECIPIENTS:-2000}
KILLS=${NEWSBEAT_CRASH_KILLS:-10}
SEED=${NEWSBEAT_CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
CONNECTIONS=4
echo "# $N recipients, $KILLS kills, seed $SEED"
make_newsletter nl
cd nl
$PY -c 'import sys
n = int(sys.argv[1])
print("email,name,city")
for i in range(n):
    print("reader%05d@example.org,Reader %d,City %d" % (i, i, i % 17))' "$N" > members.csv
"$NEWSBEAT" subscribers import members.csv >/dev/null
check "$N subscribers imported" test "$("$NEWSBEAT" subscribers count)" = "$N"
sed -n 's/,.*//p' members.csv | sed 1d | sort > want.txt

port=$(free_port)
start_capture "$port" got --log received.log --no-save || notok "capture server started"
# A rate limit keeps the whole run a few seconds long, so that every kill
# lands in the middle of sending.
smtp_config config.ini "smtp://127.0.0.1:$port" connections=$CONNECTIONS rate=400 timeout=10

# Kill delays: 0.05 .. 0.45 s after the start, from the seed.
$PY -c 'import random, sys
random.seed(int(sys.argv[1]))
for _ in range(200):
    print("%.3f" % random.uniform(0.05, 0.45))' "$SEED" > delays.txt
kills=0 tries=0 early=0
while [ $kills -lt "$KILLS" ] && [ $tries -lt 100 ]; do
	tries=$((tries + 1))
	delay=$(sed -n "${tries}p" delays.txt)
	"$NEWSBEAT" send 42 --yes >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	if kill -9 $pid 2>/dev/null; then
		wait $pid 2>/dev/null
		kills=$((kills + 1))
	else
		wait $pid 2>/dev/null
		early=$((early + 1))
	fi
	# Stop killing once there is nothing left: the kills must land mid-send.
	"$NEWSBEAT" status 42 | grep -q '^  sent  *'"$N"'$' && break
done
sent_before=$("$NEWSBEAT" status 42 | sed -n 's/^  sent *//p')
echo "# $kills kills in $tries runs ($early finished before the kill); $sent_before sent before the final run"
check "at least $KILLS kills landed while sending" test $kills -ge "$KILLS"
check "the kills left work to resume" test "${sent_before:-0}" -lt "$N"

timeout 120 "$NEWSBEAT" send 42 --yes > final.out 2>&1
check "the final send completes (exit 0)" test $? -eq 0
check "a send after that sends nothing: the issue is complete, everyone sent" \
	sh -c '"$NEWSBEAT" send 42 --yes | grep -q "^issue 42 is complete: '"$N"' sent, 0 failed"'
sleep 0.3
stop_capture

check "status: all $N sent" test "$("$NEWSBEAT" status 42 | sed -n 's/^  sent *//p')" = "$N"
cut -f1 received.log | sort > got.txt
sort -u got.txt > got-unique.txt
check "every recipient arrived at least once" cmp -s got-unique.txt want.txt
total=$(wc -l < got.txt | tr -d ' ')
dups=$((total - $(wc -l < got-unique.txt)))
echo "# duplicates: $dups after $kills kills ($total messages for $N recipients, $CONNECTIONS connections)"
check "duplicates ($dups) <= connections x kills ($((CONNECTIONS * kills)))" \
	test $dups -le $((CONNECTIONS * kills))
check "a duplicate carries the same Message-ID (stable per issue and subscriber)" \
	test "$(sort -u received.log | cut -f1 | uniq -d | wc -l)" -eq 0
check "nobody got anything but their own message" \
	test "$(cut -f2 received.log | sort -u | wc -l)" -eq "$N"
done_testing
