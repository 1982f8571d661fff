#!/bin/sh
# Private files are private whatever the umask: with umask 000 the
# database (and its -wal, -shm), the lock files and the outbox's messages
# are created 0600 (outbox directories 0700); the archive stays readable.
. "$(dirname "$0")/lib.sh"
make_newsletter nl
cd nl
: > ../start.mark
umask 000
mode() { stat -c %a "$1"; }
# check_mode FILE MODE: FILE exists with MODE
check_mode() { if [ -e "$1" ] && [ "$(mode "$1")" = "$2" ]; then ok "$1 is $2"
	else notok "$1 is $2 (got $(mode "$1" 2>/dev/null || echo missing))"; fi; }

"$NEWSBEAT" subscribers add amara@example.org >/dev/null
check_mode newsbeat.db 600
# Hold the database open with a write pending, so -wal and -shm exist.
$PY - <<'PY' &
import sqlite3, time
c = sqlite3.connect("newsbeat.db")
c.execute("PRAGMA journal_mode=WAL")
c.execute("BEGIN")
c.execute("CREATE TEMP TABLE t (x)")
time.sleep(3)
PY
holder=$!
sleep 0.5
"$NEWSBEAT" subscribers add zoe@example.org >/dev/null
check_mode newsbeat.db-wal 600
check_mode newsbeat.db-shm 600
wait $holder
"$NEWSBEAT" send 42 --yes >/dev/null 2>send.err || sed 's/^/# /' send.err
check_mode newsbeat.db.lock 600
check_mode outbox/new 700
check_mode outbox/tmp 700
n=0 bad=0
for f in outbox/new/*; do n=$((n + 1)); [ "$(mode "$f")" = 600 ] || bad=$((bad + 1)); done
check "every outbox message is 600 ($n messages, $bad not)" test "$n" -ge 2 -a "$bad" -eq 0
"$NEWSBEAT" archive >/dev/null 2>archive.err || sed 's/^/# /' archive.err
check_mode public.lock 600
check_mode public/index.html 644
# Nothing created by newsbeat outside public/ is readable by others.
find . -newer ../start.mark -type f ! -path './public/*' ! -name '*.err' -perm /077 > ../loose
check "no other file newsbeat made is group/world accessible" test ! -s ../loose
sed "s/^/# /" ../loose
done_testing
