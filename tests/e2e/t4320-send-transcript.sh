#!/bin/sh
# What newsbeat says to the relay, counted: each connection sends EHLO
# once and authenticates once for its whole life, each message is one
# MAIL, one RCPT and one DATA, and QUIT comes only at the end.  Round trips
# are what a message costs at a relay's distance, so none is wasted.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
make_newsletter nl
cd nl || exit 2
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
check "one EHLO, one AUTH per connection; 1 MAIL, RCPT, DATA a message; QUIT last" $PY - <<'PY'
import collections, sys
conns = collections.defaultdict(list)
for line in open("transcript.log"):
    n, verb = line.split()
    conns[n].append(verb)
# wait_port's probe connects and says nothing
conns = {n: v for n, v in conns.items() if v != ["EOF"]}
problems = []
if not 1 <= len(conns) <= 3:
    problems.append(f"{len(conns)} connections, want 1 to 3")
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
if total != 30:
    problems.append(f"{total} MAIL commands for 30 messages")
print("\n".join(problems) or "ok")
sys.exit(1 if problems else 0)
PY
done_testing
