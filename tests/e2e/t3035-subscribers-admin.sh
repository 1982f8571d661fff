#!/bin/sh
# The sysadmin's kit around the database: `newsbeat backup FILE` (a
# consistent 0600 copy, safe while the database is in use), read-only
# commands in a directory that is no newsletter's (they say so and create
# nothing), and --json for lists and subscribers count.
. "$(dirname "$0")/lib.sh"
NB=$NEWSBEAT
PY=/usr/bin/python3

mkdir empty && cd empty || exit 2
for c in "lists" "subscribers list" "subscribers count" "subscribers export" \
	 "subscribers remove a@example.org" "backup ../x.db"; do
	# shellcheck disable=SC2086
	$NB $c > out 2> err
	rc=$?
	if [ "$rc" -eq 1 ] && grep -q "no newsletter here: there is no database" err &&
	   [ -z "$(ls -A | grep -v -e '^out$' -e '^err$')" ]; then
		ok "'$c' in an empty directory: says there is no newsletter here, creates nothing"
	else
		notok "'$c' in an empty directory: exit $rc, $(cat err), files: $(ls -A | tr '\n' ' ')"
	fi
	rm -f out err
done
check "  and no backup file was written" test ! -e ../x.db
cd .. || exit 2

mkdir nl && cd nl || exit 2
printf 'email,name\nann@example.org,Ann\nbo@example.org,Bo\n' > members.csv
"$NB" subscribers import members.csv > /dev/null 2>&1
"$NB" subscribers add cy@example.org --list board > /dev/null 2>&1
"$NB" subscribers remove bo@example.org > /dev/null 2>&1

"$NB" lists --json > lists.json
check "lists --json: one valid object per list, the counts right" $PY -c '
import json, sys
rows = [json.loads(l) for l in open("lists.json")]
by = {r["list"]: r for r in rows}
assert set(by) == {"members", "board"}, by
assert by["members"]["active"] == 1 and by["members"]["unsubscribed"] == 1, by
assert by["board"]["active"] == 1 and by["board"]["bounced"] == 0, by
'
"$NB" subscribers count --json > count.json
check "subscribers count --json" $PY -c '
import json
assert json.load(open("count.json")) == {"list": "members", "active": 1}
'
check_exit 2 "lists refuses an unknown option" "$NB" lists --jsn

# A backup while another connection holds a read transaction open.
umask 000
(sqlite3 newsbeat.db "BEGIN; SELECT count(*) FROM subscribers;" "SELECT 1;" > /dev/null; sleep 2) &
sleep 0.3
check "backup while the database is in use" "$NB" backup ../copy.db
wait
umask 022
check "  the copy is 0600 even under umask 000" sh -c '[ "$(stat -c %a ../copy.db)" = 600 ]'
check "  it is a database on its own, without a -wal beside it" sh -c \
	'test ! -e ../copy.db-wal && [ "$(sqlite3 ../copy.db "PRAGMA integrity_check")" = ok ]'
check "  with every subscriber" sh -c \
	'[ "$(sqlite3 ../copy.db "SELECT count(*) FROM subscribers")" = 3 ]'
check_exit 2 "backup without a file is a usage error" "$NB" backup
ino=$(stat -c %i newsbeat.db)
ln -s newsbeat.db link.db
for spelling in newsbeat.db ./newsbeat.db "$PWD/newsbeat.db" link.db; do
	check_exit 2 "backup onto the database itself ($spelling) is refused" \
		sh -c '"$0" backup "$1" 2>self.err' "$NB" "$spelling"
	check "  saying so, the live file untouched" \
		sh -c 'grep -q "is the database itself" self.err && [ "$(stat -c %i newsbeat.db)" = "$0" ]' "$ino"
done
rm link.db
check_exit 1 "backup into a missing directory fails" "$NB" backup /nonexistent/x.db
check "  leaving nothing behind" sh -c '! ls /nonexistent 2>/dev/null'
done_testing
