#!/bin/sh
# scripts/check-layers (run by `make check`): the tree as it is passes,
# and each kind of violation in a copy of src/ is caught with file:line.
. "$(dirname "$0")/lib.sh"
CL=$SRCDIR/scripts/check-layers

check "the tree passes" "$CL" "$SRCDIR"

# broken KIND LINE FILE: append LINE to a copy's FILE; check-layers fails naming FILE
broken() {
	rm -rf tree && mkdir tree && cp -r "$SRCDIR/src" tree/
	printf '%s\n' "$2" >> "tree/src/$3"
	"$CL" tree > out 2>&1
	rc=$?
	if [ "$rc" -eq 1 ] && grep -q "src/$3:[0-9]" out; then
		ok "$1 is caught, naming src/$3:LINE"
	else
		notok "$1: exit $rc: $(head -c 300 out)"
	fi
}
broken "store including a command header" '#include "cmd/cmd.h"' store/store.c
broken "core including a store header" '#include "store/store.h"' core/lint.c
broken "sqlite outside the store" '#include <sqlite3.h>' core/lint.c
broken "curl outside the SMTP transport" '#include <curl/curl.h>' deliver/sender.c
broken "microhttpd outside serve.c" '#include <microhttpd.h>' serve/serve_pages.c
broken "libetpan outside src/bounce" '#include <libetpan/libetpan.h>' core/mime.c
broken "cmark outside markdown.c" '#include <cmark.h>' core/lint.c
broken "core reading the clock" 'static long t(void) { return (long)time(NULL); }' core/lint.c
broken "core reading the environment" 'static const char *e(void) { return getenv("X"); }' core/token.c
broken "core opening a file" 'static void *f(void) { return fopen("x", "r"); }' core/csvio.c

rm -rf tree && mkdir tree && cp -r "$SRCDIR/src" tree/
echo '#include "serve/serve.h"' >> tree/src/deliver/sender.c
"$CL" tree > out 2>&1
check "a cycle between folders is caught" grep -q "include cycle between folders: .*deliver.*serve" out

rm -rf tree && mkdir tree && cp -r "$SRCDIR/src" tree/
echo '/* time(NULL) and getenv("X") in a comment are fine */' >> tree/src/core/lint.c
check "the clock named in a comment is not a call" "$CL" tree
done_testing
