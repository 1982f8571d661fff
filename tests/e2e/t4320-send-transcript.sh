#!/bin/sh
# What newsbeat says to the relay, counted: each connection sends EHLO
# once and authenticates once for its whole life, each message is one
# MAIL, one RCPT and one DATA, and QUIT comes only at the end.  Round trips
# are what a message costs at a relay's distance, so none is wasted.
# Then with connections = auto at a relay 10 ms a reply away: the send
# grows past the first 4 connections, each new one again with one EHLO and
# one AUTH, and reports the connections used and the round trip.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
make_newsletter nl
cd nl || exit 2
# transcript_ok LOG MIN MAX MESSAGES: each connection in LOG (MIN to MAX of
# them) sent one EHLO and one AUTH first, one MAIL, RCPT and DATA a message,
# no RSET or NOOP, one QUIT at the end; MESSAGES messages in all.
transcript_ok() {
	$PY - "$@" <<'PY'
import collections, sys
conns = collections.defaultdict(list)
log, lo, hi, want = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for line in open(log):
    n, verb = line.split()
    conns[n].append(verb)
# wait_port's probe connects and says nothing
conns = {n: v for n, v in conns.items() if v != ["EOF"]}
# a connection the server refused (--max-conns) never got to EHLO
conns = {n: v for n, v in conns.items() if v != ["REFUSED"]}
problems = []
if not lo <= len(conns) <= hi:
    problems.append(f"{len(conns)} connections, want {lo} to {hi}")
total = 0
for n, verbs in conns.items():
    c = collections.Counter(verbs)
    if c["EHLO"] != 1:
        problems.append(f"connection {n}: {c['EHLO']} EHLO")
    if c["AUTH"] != 1:
        problems.append(f"connection {n}: {c['AUTH']} AUTH")
    if not (c["MAIL"] == c["RCPT"] == c["DATA"] == c["."]):
        problems.append(f"connection {n}: MAIL {c['MAIL']} RCPT {c['RCPT']} DATA {c['DATA']} dots {c['.']}")
    if c["RSET"] or c["NOOP"]:
        problems.append(f"connection {n}: {c['RSET']} RSET, {c['NOOP']} NOOP (wasted round trips)")
    if verbs[-1] != "QUIT" or c["QUIT"] != 1:
        problems.append(f"connection {n}: ends {verbs[-3:]}, want one QUIT at the end")
    if verbs[:2] != ["EHLO", "AUTH"]:
        problems.append(f"connection {n}: starts {verbs[:3]}")
    total += c["MAIL"]
if total != want:
    problems.append(f"{total} MAIL commands for {want} messages")
print("\n".join(problems) or "ok")
sys.exit(1 if problems else 0)
PY
}

i=0
printf 'email,name\n' > m.csv
while [ $i -lt 30 ]; do echo "m$i@example.org,M $i" >> m.csv; i=$((i + 1)); done
"$NEWSBEAT" subscribers import m.csv > /dev/null
port=$(free_port)
$PY "$SRCDIR/tests/tools/smtp_transcript.py" "$port" transcript.log & tpid=$!
at_exit "kill $tpid 2>/dev/null"
wait_port "$port" || notok "transcript server started"
mk_issue 120
smtp_config config.ini "smtp://127.0.0.1:$port" connections=3 username=news \
	password_env=RELAY_PASSWORD timeout=10
RELAY_PASSWORD=pw timeout 120 "$NEWSBEAT" send 120 --yes > out 2> err
check "sent 30 over 3 connections" test $? -eq 0
sleep 0.3
check "the transcript was recorded" test -s transcript.log
check "one EHLO, one AUTH per connection; 1 MAIL, RCPT, DATA a message; QUIT last" \
	transcript_ok transcript.log 1 3 30
kill $tpid 2>/dev/null
wait $tpid 2>/dev/null

# connections = auto, 300 messages, each reply 10 ms late.
i=30
printf 'email,name\n' > more.csv
while [ $i -lt 300 ]; do echo "m$i@example.org,M $i" >> more.csv; i=$((i + 1)); done
"$NEWSBEAT" subscribers import more.csv > /dev/null
port=$(free_port)
$PY "$SRCDIR/tests/tools/smtp_transcript.py" "$port" auto.log --delay 10 & tpid=$!
at_exit "kill $tpid 2>/dev/null"
wait_port "$port" || notok "transcript server (10 ms a reply) started"
mk_issue 121
smtp_config auto.ini "smtp://127.0.0.1:$port" connections=auto max_connections=8 \
	username=news password_env=RELAY_PASSWORD timeout=10
if command -v script >/dev/null; then
	# On a terminal, to see the progress line too.
	RELAY_PASSWORD=pw timeout 120 script -qec "'$NEWSBEAT' -c auto.ini send 121 --yes" /dev/null \
		> out.auto 2>&1
	check "auto: sent 300" test $? -eq 0
	check "auto: the progress line shows the connections and the round trip" \
		grep -Eq "sent [0-9]+, failed 0, pending [0-9]+, .*, [4-8] connections, round trip [0-9]+ ms" out.auto
else
	RELAY_PASSWORD=pw timeout 120 "$NEWSBEAT" -c auto.ini send 121 --yes > out.auto 2> err.auto
	check "auto: sent 300" test $? -eq 0
	ok "# SKIP no script(1) to fake a terminal for the progress line"
fi
sleep 0.3
check "auto: grew past 4 connections, up to 8; each with one EHLO and one AUTH, 1 MAIL, RCPT, DATA a message" \
	transcript_ok auto.log 5 8 300
check "auto: the first 4 connections were opened at once: each said EHLO before any message was done" \
	$PY - auto.log <<'PY'
import sys
lines = [l.split() for l in open(sys.argv[1])]
first_dot = next(i for i, (n, v) in enumerate(lines) if v == ".")
ehlo = {}
for i, (n, v) in enumerate(lines):
    if v == "EHLO" and n not in ehlo:
        ehlo[n] = i
first4 = sorted(ehlo.values())[:4]
print(f"EHLO lines {first4}, first message done at line {first_dot}")
sys.exit(0 if len(first4) == 4 and max(first4) < first_dot else 1)
PY
check "auto: the summary shows the connections used and the round trip measured (>= 10 ms)" \
	grep -Eq "[5-8] connections, round trip ([1-9][0-9]|[1-9][0-9][0-9]) ms\)" out.auto

done_testing
