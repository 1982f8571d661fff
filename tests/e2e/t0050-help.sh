#!/bin/sh
# --help, -h and 'newsbeat help CMD' for every command in src/main.c's table
# (and every 'subscribers' action), run in an empty directory with no
# config: each exits 0, prints its usage on stdout, does not crash, and
# creates nothing (no newsbeat.db, no outbox/, no public/).  The command
# list is read from main.c, so a new command is covered without editing
# this test.  'archive --help' used to dereference a NULL config.
. "$(dirname "$0")/lib.sh"
NB=$NEWSBEAT

cmds=$(sed -n 's/^	{ "\([a-z]*\)", cmd_[a-z_]* },$/\1/p' "$SRCDIR/src/main.c")
check "the command table was read from main.c" test -n "$cmds"
check "it includes archive" sh -c 'echo "$0" | grep -qx archive' "$cmds"

mkdir empty
cd empty || exit 2
# one_help DESCRIPTION ARGS...: exit 0, a "usage:" line on stdout, nothing created
one_help() {
	d=$1; shift
	"$NB" "$@" > ../out 2> ../err
	rc=$?
	if [ "$rc" -ne 0 ]; then
		notok "$d: exit $rc, want 0 ($(head -c 200 ../err))"
	elif ! grep -q '^usage: newsbeat' ../out; then
		notok "$d: no usage on stdout"
	elif [ -n "$(ls -A)" ]; then
		notok "$d: created $(ls -A | tr '\n' ' ')"
		rm -rf ./* ./.[!.]* 2>/dev/null
	else
		ok "$d"
	fi
}
for c in $cmds; do
	one_help "$c --help" "$c" --help
	one_help "$c -h" "$c" -h
	one_help "help $c" help "$c"
done
for a in add remove import export list count; do
	one_help "subscribers $a --help" subscribers "$a" --help
	one_help "subscribers $a -h" subscribers "$a" -h
	one_help "help subscribers $a" help subscribers "$a"
done
one_help "newsbeat --help" --help
one_help "newsbeat -h" -h
one_help "newsbeat help" help
# with options that would need a config or a database around the help
one_help "archive -o x --help" archive -o x --help
one_help "send 42 --help" send 42 --help
check_exit 2 "help of an unknown command is a usage error" "$NB" help frobnicate 2>/dev/null
check "and nothing was created" test -z "$(ls -A)"
done_testing
