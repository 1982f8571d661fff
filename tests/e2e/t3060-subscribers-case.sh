#!/bin/sh
# The local part of an address is kept as written, for sending, and
# compared without regard to case: Erin@, ERIN@ and erin@ are one
# subscriber.  A case variant of an unsubscribed address is skipped by
# add and import, a variant of a member is that member, remove takes any
# variant.  A database an older newsbeat filled with variants opens, one
# subscriber per mailbox (the strongest status wins), and send mails
# each mailbox once.
. "$(dirname "$0")/lib.sh"
NB=$NEWSBEAT
make_newsletter nl
cd nl || exit 2
# rows ADDR: the lines of `subscribers list` for any case of ADDR's local part.
rows() { "$NB" subscribers list | grep -ci "^$1	"; }

"$NB" subscribers add erin@example.org > /dev/null 2>&1
"$NB" subscribers remove erin@example.org > /dev/null
printf 'email,name\nErin@example.org,Erin\nERIN@EXAMPLE.ORG,E2\n' > m.csv
"$NB" subscribers import m.csv > out 2> err
check "importing two case variants of an unsubscribed address: 0 added, 2 skipped" \
	grep -q ": 0 added, 0 updated, 0 unchanged, 2 skipped" out
check "  erin is listed once, unsubscribed" sh -c '"$0" subscribers list | grep -qx "erin@example.org	unsubscribed	" &&
	test "$("$0" subscribers list | grep -ci "^erin@")" = 1' "$NB"
check "  nobody to mail" test "$("$NB" subscribers count)" = 0
check "add of a variant is skipped too" sh -c '"$0" subscribers add Erin@example.org | grep -q "^skipped Erin@example.org: unsubscribed"' "$NB"

check "add Amy@example.org" sh -c '"$0" subscribers add Amy@example.org --name Amy > /dev/null' "$NB"
check "add amy@example.org: already on" sh -c '"$0" subscribers add amy@example.org | grep -q "already on"' "$NB"
check "  one row, as first written" sh -c '"$0" subscribers list | grep -qx "Amy@example.org	active	Amy"' "$NB"
check "  one row only" test "$(rows amy@example.org)" = 1
check "remove AMY@example.org unsubscribes her" \
	sh -c '"$0" subscribers remove AMY@example.org | grep -q "^unsubscribed AMY@example.org"' "$NB"
check "  Amy@example.org is unsubscribed" sh -c '"$0" subscribers list | grep -qx "Amy@example.org	unsubscribed	Amy"' "$NB"
check "  count 0" test "$("$NB" subscribers count)" = 0

# A database as schema version 8 left it: variants as separate subscribers.
"$NB" subscribers add kim@example.org > /dev/null
"$NB" subscribers add lou@example.org > /dev/null
$PY - newsbeat.db <<'PY' || exit 2
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.executescript("""
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE s8 (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '', created TEXT NOT NULL, updated TEXT NOT NULL DEFAULT '');
INSERT INTO s8 SELECT id, email, name, created, updated FROM subscribers;
DROP TABLE subscribers;
ALTER TABLE s8 RENAME TO subscribers;
INSERT INTO subscribers (id, email, name, created, updated) VALUES
  (100, 'Kim@example.org', 'Kim', 'c', 'c'), (101, 'KIM@example.org', 'K', 'c', 'c'),
  (102, 'Lou@example.org', 'Lou', 'c', 'c'), (103, 'ERIN@example.org', 'E', 'c', 'c');
INSERT INTO memberships (list_id, subscriber_id, status, updated) VALUES
  (1, 100, 'active', 'u'), (1, 101, 'active', 'u'), (1, 102, 'complained', 'u'), (1, 103, 'active', 'u');
PRAGMA user_version = 8;
COMMIT;
""")
PY
"$NB" subscribers list > out 2> err
check "the old database opens" test $? -eq 0
check "  saying which addresses were merged" grep -q "'kim@example.org' and 'KIM@example.org' are one mailbox" err
check "  kim once, as first written" sh -c 'grep -qx "kim@example.org	active	Kim" out && test "$(grep -ci "^kim@" out)" = 1'
check "  lou: the complaint of a variant wins, with its name" sh -c 'grep -qx "lou@example.org	complained	Lou" out && test "$(grep -ci "^lou@" out)" = 1'
check "  erin: still unsubscribed, once" sh -c 'grep -qx "erin@example.org	unsubscribed	E" out && test "$(grep -ci "^erin@" out)" = 1'
check "  the old file is kept" test -f newsbeat.db.schema-v8.bak
check_exit 0 "send 42" "$NB" send 42 --yes > out 2> err
check "  one message, to kim as first written" sh -c 'test "$(ls outbox/new | wc -l)" = 1 &&
	grep -qi "^To: .*kim@example.org" outbox/new/*'
done_testing
