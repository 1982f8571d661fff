#!/bin/sh
# '-' is standard input for 'subscribers import -' and standard output for
# 'subscribers export -o -' (it used to open, or create, a file named '-').
# A file really named '-' stays reachable as ./-.
. "$(dirname "$0")/lib.sh"
NB=$NEWSBEAT
make_newsletter nl
cd nl || exit 2

cp "$SRCDIR/data/subscribers.csv" members.csv
rows=$(($(grep -c . members.csv) - 1))
check "import - reads a pipe" sh -c 'cat members.csv | "$0" subscribers import - > out.txt' "$NB"
check "  the report counts every row as added" grep -q ": $rows added, 0 updated" out.txt
check "  the report names standard input" grep -q "^<stdin> into 'members'" out.txt
check "  no file named '-' was read or created" test ! -e ./-
check "count after import from stdin" test "$("$NB" subscribers count)" -eq "$rows"
check "import - again from a redirect: all unchanged" \
	sh -c '"$0" subscribers import - < members.csv | grep -q ": 0 added, 0 updated, $1 unchanged"' "$NB" "$rows"
check "import - --dry-run" sh -c '"$0" subscribers import --dry-run - < members.csv | grep -q "^dry run, nothing saved: <stdin>"' "$NB"
printf 'email,name\nnot-an-address,X\n' > bad.csv
check_exit 1 "a rejected row from stdin: exit 1" sh -c '"$0" subscribers import - --list bad < bad.csv > bad.out' "$NB"
check "  reported as <stdin>:LINE" grep -q "^<stdin>:2: rejected 'not-an-address'" bad.out
check_exit 2 "an empty stdin is a usage error" sh -c '"$0" subscribers import - --list empty < /dev/null 2>/dev/null' "$NB"

check "export -o FILE" "$NB" subscribers export -o export.csv
check "export -o - writes to stdout" sh -c '"$0" subscribers export -o - > stdout.csv' "$NB"
check "  the same bytes as the file export" cmp export.csv stdout.csv
check "  no file named '-' created" test ! -e ./-
check "export --output=- too" sh -c '"$0" subscribers export --output=- | cmp -s - export.csv' "$NB"
check "export -o - | import - into another list round-trips" \
	sh -c '"$0" subscribers export -o - | "$0" subscribers import - --list copy >/dev/null && test "$("$0" subscribers count --list copy)" -eq "$1"' "$NB" "$rows"

cp members.csv ./-
check "a file named '-' is still reachable as ./-" sh -c '"$0" subscribers import ./- --list dash | grep -q "^./- into"' "$NB"
check "--help mentions '-'" sh -c '"$0" subscribers --help | grep -q "standard input"' "$NB"
done_testing
