#!/bin/sh
# newsbeat bounces over IMAPS against a real Dovecot: refused without
# [bounces] ca_file (the self-signed certificate is not trusted, nothing
# changes), then with it the reports of t7210 are read, applied and
# moved to newsbeat-processed / newsbeat-unrecognized on the server; a
# rerun finds nothing.  Then `kill -9` in the middle of a 2,000-message
# mailbox: the rerun handles every message exactly once (each digest
# recorded once, each message moved once, nothing left behind).
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
. "$SRCDIR/tests/e2e/bounce-lib.sh"
bounces_built
[ -r "$SRCDIR/tests/e2e/dovecot-lib.sh" ] || skip_all "no tests/e2e/dovecot-lib.sh"
. "$SRCDIR/tests/e2e/dovecot-lib.sh"
start_dovecot || { cat "$DOVECOT_DIR/dovecot.log" >&2; skip_all "dovecot did not start"; }
export NEWSBEAT_BOUNCES_PASSWORD=secret
sent_newsletter
the_reports
while read -r f; do dovecot_save nb INBOX "$f" || notok "save $f"; done < reports
MD=$(dovecot_maildir nb)
folder_count() { find "$MD/$1/new" "$MD/$1/cur" -type f 2>/dev/null | wc -l; }
seen_count() { $PY -c 'import sqlite3; print(sqlite3.connect("newsbeat.db").execute("SELECT count(*) FROM bounce_seen").fetchone()[0])'; }
printf '[bounces]\nmailbox = imaps://nb@127.0.0.1:%s/INBOX\n' "$IMAPS_PORT" >> config.ini

"$NEWSBEAT" subscribers list > subs0.txt
check_exit 1 "without ca_file the server's certificate is refused" sh -c '"$NEWSBEAT" bounces > out0.txt 2>err0.txt'
check "  saying so" grep -q "not trusted" err0.txt
"$NEWSBEAT" subscribers list > subs1.txt
check "  and nothing changed" cmp subs0.txt subs1.txt
check "  every message is still in INBOX" test "$(folder_count .)" -eq 13

printf 'ca_file = %s\n' "$DOVECOT_CERT" >> config.ini
check "with ca_file: bounces reads the IMAPS mailbox" sh -c '"$NEWSBEAT" bounces > out.txt 2>err.txt'
"$NEWSBEAT" subscribers list > after.txt
check_statuses after.txt
check "INBOX is empty" test "$(folder_count .)" -eq 0
check "12 handled messages in newsbeat-processed" test "$(folder_count .newsbeat-processed)" -eq 12
check "the unrecognisable one in newsbeat-unrecognized" test "$(folder_count .newsbeat-unrecognized)" -eq 1
check "a rerun finds nothing to do" sh -c '"$NEWSBEAT" bounces | grep -q "^0 messages"'

# kill -9 in the middle of 2,000 messages.
N=2000
report delayed 43 20
$PY - "$MD/new" $N r-delayed-43-20.eml <<'PY'
import sys
d, n, src = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "rb").read()
for i in range(n):
    m = src.replace(b"Message-ID: <", b"Message-ID: <big%d." % i, 1)
    with open(f"{d}/{1800000000 + i}.M{i}P1.big", "wb") as f:
        f.write(m.replace(b"\n", b"\r\n"))
PY
chown -R nobody:nogroup "$MD"
base=$(seen_count)
"$NEWSBEAT" bounces > big1.txt 2>&1 & pid=$!
i=0
while [ $(( $(seen_count) - base )) -lt 300 ] && [ $i -lt 600 ] && kill -0 $pid 2>/dev/null; do
	sleep 0.05; i=$((i + 1))
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
mid=$(( $(seen_count) - base ))
check "killed mid-run ($mid of $N handled)" test "$mid" -gt 0 -a "$mid" -lt $N
check "the rerun finishes" sh -c '"$NEWSBEAT" bounces > big2.txt 2>&1'
check "every message's digest recorded exactly once ($N)" test $(( $(seen_count) - base )) -eq $N
check "at most the one in flight at the kill is seen again" test "$(grep -c ', already handled' big2.txt)" -le 1
check "INBOX is empty" test "$(folder_count .)" -eq 0
check "all $N moved once into newsbeat-processed" test "$(folder_count .newsbeat-processed)" -eq $((12 + N))
done_testing
