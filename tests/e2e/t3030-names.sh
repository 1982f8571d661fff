#!/bin/bash
# Names are refused at the door with the reason when they hold a C0 or C1
# control character or invalid UTF-8: `subscribers add --name`, CSV
# import, and the subscribe form, through the one rule (address.h).
. "$(dirname "$0")/lib.sh"
make_newsletter nl
cd nl
check_exit 0 "a name with accents is fine" "$NEWSBEAT" subscribers add a@example.org --name "Dr. María Núñez"
"$NEWSBEAT" subscribers add b@example.org --name "$(printf 'Evil\033[2J')" > out 2>&1; rc=$?
check "--name with an ESC is refused (exit 2)" test "$rc" -eq 2
check "…with the reason" grep -q "control character" out
"$NEWSBEAT" subscribers add b@example.org --name "$(printf 'Evil\302\233J')" > out 2>&1; rc=$?
check "--name with a C1 control (U+009B) is refused" test "$rc" -eq 2
check "…with the reason" grep -q "U+0080..U+009F" out
"$NEWSBEAT" subscribers add b@example.org --name "$(printf 'caf\351')" > out 2>&1; rc=$?
check "--name in Latin-1 is refused" test "$rc" -eq 2
check "…with the reason" grep -q "not valid UTF-8" out
check "nothing was stored for b" sh -c "! '$NEWSBEAT' subscribers list | grep -q b@example.org"

printf 'email,name\nc@example.org,Carol\nd@example.org,"D\033]0;pwned\007"\ne@example.org,"E\302\205x"\nf@example.org,"F\tTab"\n' > m.csv
"$NEWSBEAT" subscribers import m.csv > out 2>&1; rc=$?
check "an import with bad names exits 1" test "$rc" -eq 1
check "the ESC name is rejected with file:line" grep -q "m.csv:3: rejected 'd@example.org': the name has a control character" out
check "the C1 name is rejected" grep -q "m.csv:4: rejected 'e@example.org'.*U+0080" out
check "the tab is rejected" grep -q "m.csv:5: rejected 'f@example.org'" out
check "the good row is stored" sh -c "'$NEWSBEAT' subscribers list | grep -q c@example.org"

# The web form, when curl is there.
if command -v curl >/dev/null; then
	cd "$TMP"
	. "$SRCDIR/tests/e2e/serve-lib.sh"
	serve_setup
	serve_start
	code=$(curl -s -o page -w '%{http_code}' --data-urlencode "email=g@example.org" \
		--data-urlencode "name=$(printf 'G\302\233x')" --data-urlencode "website=" "$BASE/subscribe")
	check "the form refuses a C1 control in the name (400, got $code)" test "$code" = 400
	check "…saying why" grep -q "control character" page
	code=$(curl -s -o page -w '%{http_code}' --data-urlencode "email=g@example.org" \
		--data-urlencode "name=$(printf 'caf\351')" --data-urlencode "website=" "$BASE/subscribe")
	check "the form refuses a Latin-1 name (400, got $code)" test "$code" = 400
	check "…saying why" grep -q "not valid UTF-8" page
else
	ok "# SKIP curl not installed"
fi
done_testing
