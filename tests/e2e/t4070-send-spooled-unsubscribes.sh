#!/bin/sh
# Unsubscribes serve had to spool while the database was locked
# (newsbeat.db-unsubscribes) are applied before send picks anyone: the
# member who asked gets nothing.  With the database still locked, send
# sends nothing rather than go on without them.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed (scripts/install-deps --test)"
make_newsletter nl
cd nl || exit 2
"$NEWSBEAT" subscribers add amara@example.org >/dev/null
"$NEWSBEAT" subscribers add zoe@example.org >/dev/null
"$NEWSBEAT" subscribers add li@example.org >/dev/null

# As serve writes it: email, list, reason, time; the aside file of an
# apply a crash cut short counts too.
printf 'zoe@example.org\tmembers\tlist-unsubscribe-post\t1800000000\n' > newsbeat.db-unsubscribes
printf 'li@example.org\tmembers\tlist-unsubscribe-post\t1800000000\n' > newsbeat.db-unsubscribes.applying
{ echo 'BEGIN EXCLUSIVE;'; sleep 8; echo 'COMMIT;'; } | sqlite3 newsbeat.db & LOCK=$!
at_exit "kill $LOCK 2>/dev/null"
sleep 0.5
check_exit 2 "spooled unsubscribes and the database locked: send refuses" \
	sh -c '"$0" send 42 --yes --no-archive > out 2> err' "$NEWSBEAT"
check "  saying why and what to do" grep -q "could not be applied, so nothing was sent: run the send again" err
check "  nothing was sent" test -z "$(ls outbox/new 2>/dev/null)"
wait $LOCK

check_exit 0 "the lock gone: send" sh -c '"$0" send 42 --yes --no-archive > out 2> err' "$NEWSBEAT"
check "  says it applied the two waiting unsubscribes" grep -q "applied 2 unsubscribes that had waited" out
check "  one message, to amara" \
	sh -c 'test "$(ls outbox/new | wc -l)" = 1 && grep -q "^To: amara@example.org" outbox/new/*'
check "  zoe and li are unsubscribed" \
	sh -c 'test "$("$0" subscribers list --status unsubscribed | grep -c "example.org")" = 2' "$NEWSBEAT"
check "  the spool is gone" sh -c 'test ! -e newsbeat.db-unsubscribes && test ! -e newsbeat.db-unsubscribes.applying'
done_testing
