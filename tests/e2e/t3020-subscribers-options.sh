#!/bin/sh
# Every 'subscribers' action takes only its own options: one it does not
# take (list --attr, count --status, list -o, remove --status, ...) is a
# usage error (exit 2) naming the option and the action, and nothing is
# done; they used to be silently ignored.  Unknown options name themselves.
. "$(dirname "$0")/lib.sh"
NB=$NEWSBEAT
make_newsletter nl
cd nl || exit 2
"$NB" subscribers add a@example.org --name A >/dev/null || exit 2

# refused ACTION OPTION ARGS...: exit 2, and stderr names the option and the action
refused() {
	a=$1 opt=$2; shift 2
	"$NB" subscribers "$a" "$@" > out 2> err
	rc=$?
	if [ "$rc" -ne 2 ]; then
		notok "subscribers $a $*: exit $rc, want 2"
	elif ! grep -q "'subscribers $a' does not take $opt" err; then
		notok "subscribers $a $*: the error does not name $opt and the action ($(head -1 err))"
	elif [ -s out ]; then
		notok "subscribers $a $*: printed on stdout"
	else
		ok "subscribers $a $* is refused, naming $opt"
	fi
}
refused list --attr --attr k=v
refused list --attr --attr=k=v
refused count --status --status active
refused list --output -o x.csv
refused remove --status a@example.org --status unsubscribed
refused remove --name a@example.org --name X
refused add --status b@example.org --status active
refused add --output b@example.org -o x.csv
refused add --dry-run b@example.org --dry-run
refused import --name members.csv --name X
refused import --attr members.csv --attr k=v
refused export --status --status active
refused export --resubscribe --resubscribe
refused count --dry-run --dry-run
refused list --resubscribe --resubscribe
check "the refused adds and removes changed nothing" \
	test "$("$NB" subscribers list)" = "$(printf 'a@example.org\tactive\tA')"
check "no x.csv was written" test ! -e x.csv

check_exit 2 "an unknown long option" sh -c '"$0" subscribers list --frob 2>err' "$NB"
check "  is named with the action" grep -q "'subscribers list': unknown option '--frob'" err
check_exit 2 "an unknown short option" sh -c '"$0" subscribers list -x 2>err' "$NB"
check "  is named with the action" grep -q "'subscribers list': unknown option '-x'" err
check_exit 2 "a missing option argument" sh -c '"$0" subscribers list --status 2>err' "$NB"
check "  is named" grep -q "'subscribers list': option '--status' needs a value" err
check_exit 2 "an unknown action is reported before its options" sh -c '"$0" subscribers frob --attr k=v 2>err' "$NB"
check "  as an unknown action" grep -q "unknown action 'frob'" err

# the options each action does take still work
check "add --name --attr --list --resubscribe" "$NB" subscribers add c@example.org --name C --attr k=v --list l2 --resubscribe
check "list --list --status" "$NB" subscribers list --list l2 --status active
check "count --list" test "$("$NB" subscribers count --list l2)" = 1
check "export --list -o" "$NB" subscribers export --list l2 -o e.csv
check "import --list --dry-run --resubscribe" sh -c '"$0" subscribers import e.csv --list l3 --dry-run --resubscribe >/dev/null' "$NB"
check "remove --list" "$NB" subscribers remove c@example.org --list l2
done_testing
