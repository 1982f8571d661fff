#!/bin/sh
# A --list that does not exist is an error (exit 2, naming it) for every
# command that reads a list, never an empty answer: a typo would read as
# "nobody is subscribed"; add and import create the list and say so.
. "$(dirname "$0")/lib.sh"
NB=$NEWSBEAT
make_newsletter nl
cd nl || exit 2
printf 'email,name\nann@example.org,Ann\n' > m.csv
"$NB" subscribers import m.csv > out 2> err
check "the first import says it created the list" grep -q "created list 'members'" out
"$NB" subscribers import m.csv > out 2> err
check "  the second one does not" sh -c '! grep -q "created list" out'
for action in "list" "count" "export" "remove ann@example.org"; do
	# shellcheck disable=SC2086
	"$NB" subscribers $action --list memebrs > out 2> err
	check "subscribers $action --list memebrs is an error (exit 2)" test $? -eq 2
	check "  naming the list" grep -q "no list 'memebrs'" err
	check "  and printing nothing" test ! -s out
done
check "remove --list memebrs changed nothing" sh -c '"$NEWSBEAT" subscribers list | grep -q "^ann@example.org	active"'
check_exit 2 "send --list memebrs is an error" "$NB" send 42 --yes --list memebrs > out 2> err
check "  naming the list" grep -q "no list 'memebrs'" err
check_exit 0 "add --list board creates it" "$NB" subscribers add bob@example.org --list board > out 2> err
check "  and says so" grep -q "created list 'board'" out
check_exit 0 "import --dry-run into a new list" "$NB" subscribers import m.csv --list staff --dry-run > out 2> err
check "  says it would create it" grep -q "no list 'staff' yet: the import would create it" out
check "  and did not" sh -c '! "$NEWSBEAT" lists | grep -q staff'
done_testing
