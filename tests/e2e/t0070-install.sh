#!/bin/sh
# The sysadmin's kit: `make install PREFIX=X` installs a binary that finds
# its templates under X (even after a plain `make` for another prefix),
# the man page, no README among the templates; `make uninstall` removes
# them.  The man page covers every command in src/main.c's table and every
# key in src/base/config.c's key table, and renders without warnings.
. "$(dirname "$0")/lib.sh"
T=$PWD
man_page=$SRCDIR/docs/newsbeat.1

cmds=$(sed -n 's/^	{ "\([a-z]*\)", cmd_[a-z_]* },$/\1/p' "$SRCDIR/src/main.c")
check "the command table was read" test -n "$cmds"
for c in $cmds; do
	check "man page describes '$c'" grep -q "^\.B[IR]* $c\b" "$man_page"
done
keys=$(sed -n 's/^	{ "\([a-z]*\)", "\([a-z_]*\)", KEY_.*/\1.\2/p' "$SRCDIR/src/base/config.c")
check "the key table was read" test -n "$keys"
for k in $keys; do
	s=${k%%.*} n=${k#*.}
	# the key must appear in its section's paragraph of the man page
	check "man page lists [$s] $n" sh -c \
		"sed -n '/^\.B \[$s\]/,/^\.TP/p' '$man_page' | grep -q '^\.BR* $n\b'"
done
MANWIDTH=80 man --warnings -l "$man_page" > man.txt 2> man.err
check "man renders it" grep -q "^NAME" man.txt
check "  without warnings" test ! -s man.err

# A build of its own (the tree's build/ is left alone), for prefix A first.
make -s -C "$SRCDIR" BUILD="$T/build" BIN="$T/nb" PREFIX="$T/a" -j2 > make.out 2>&1
check "a plain make for prefix A" test -x "$T/nb"
make -s -C "$SRCDIR" BUILD="$T/build" BIN="$T/nb" PREFIX="$T/b" install > install.out 2>&1
check "make install PREFIX=B" test -x "$T/b/bin/newsbeat"
check "  installs the man page" test -f "$T/b/share/man/man1/newsbeat.1"
check "  installs the templates" test -f "$T/b/share/newsbeat/templates/email.html"
check "  but not templates/README.md" test ! -e "$T/b/share/newsbeat/templates/README.md"
check "man -M finds it" sh -c "MANWIDTH=80 man -M '$T/b/share/man' newsbeat 2>/dev/null | grep -q '^NAME'"

# A newsletter directory without templates/ uses the installed ones: the
# binary built for B must look under B, not under A or /usr/local.
mkdir nl && cd nl || exit 2
mkdir issues && cp "$SRCDIR/issues/issue-42.md" issues/
"$T/b/bin/newsbeat" render 42 -o out > render.out 2> render.err
check "the installed binary renders with the templates under B" test -s out/issue-42.html
cd "$T" || exit 2

make -s -C "$SRCDIR" BUILD="$T/build" BIN="$T/nb" PREFIX="$T/b" uninstall > un.out 2>&1
check "make uninstall removes the binary" test ! -e "$T/b/bin/newsbeat"
check "  the man page" test ! -e "$T/b/share/man/man1/newsbeat.1"
check "  and the templates" test ! -e "$T/b/share/newsbeat"
done_testing
