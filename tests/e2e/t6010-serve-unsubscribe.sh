#!/bin/bash
# One-click unsubscribe (RFC 8058): GET never changes anything (1,000 GETs
# of a valid link), forged tokens never work (10,000 of them), a valid
# POST unsubscribes at once — in the store, before the answer — and
# repeating it shows the same page.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/serve-lib.sh"
command -v curl >/dev/null || skip_all "curl not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 not installed"

serve_setup
NB() { "$NEWSBEAT" -c nl/config.ini "$@"; }
NB subscribers add alice@example.org --list members >/dev/null
NB subscribers add bob@example.org --list members >/dev/null
NB subscribers add carol@example.org --list other >/dev/null
serve_start

snapshot() { sqlite3 nl/newsbeat.db .dump | grep -v '^INSERT INTO sqlite_stat' | md5sum; }
not() { ! "$@"; }
member() { NB subscribers list --list "${2:-members}" | grep -qF "$1"; }
unsubscribed() { NB subscribers list --list "${2:-members}" --status unsubscribed | grep -qF "$1"; }
T=$($SERVE_TOOL token u alice@example.org members)

before=$(snapshot)
res=$($SERVE_TOOL gets 1000 "$BASE/unsubscribe?t=$T")
check "1,000 GETs of a valid link all answer 200 ($res)" test "$res" = "200:1000"
check "…and change nothing in the database" test "$(snapshot)" = "$before"
check "…alice is still subscribed" not unsubscribed alice@example.org
curl -s -I "$BASE/unsubscribe?t=$T" >/dev/null
check "HEAD changes nothing either" test "$(snapshot)" = "$before"

page=$(curl -s "$BASE/unsubscribe?t=$T")
check "the GET page shows the address" grep -q 'alice@example.org' <<<"$page"
check "…and a form that POSTs List-Unsubscribe=One-Click" \
	grep -q 'name="List-Unsubscribe" value="One-Click"' <<<"$page"
check "…to the same link" grep -qF "action=\"unsubscribe?t=$T\"" <<<"$page"
curl -s -D h -o /dev/null "$BASE/unsubscribe?t=$T"
check "pages are not cached" grep -qi '^Cache-Control: no-store' h
check "strict CSP on pages" grep -qi "^Content-Security-Policy: default-src 'self'; frame-ancestors 'none'" h

n=$($SERVE_TOOL forged 10000 "$PORT" alice@example.org members)
check "10,000 forged, random and truncated tokens: 0 accepted ($n)" test "$n" = 0
check "…and nothing changed" test "$(snapshot)" = "$before"
check "no token → 400" test "$(http_code -d List-Unsubscribe=One-Click "$BASE/unsubscribe")" = 400
check "empty token → 400" test "$(http_code "$BASE/unsubscribe?t=")" = 400
C=$($SERVE_TOOL token c alice@example.org members)
check "a confirm token does not unsubscribe" \
	test "$(http_code -d List-Unsubscribe=One-Click "$BASE/unsubscribe?t=$C")" = 400
check "a valid token without the One-Click body → 400" \
	test "$(http_code -d List-Unsubscribe=Other "$BASE/unsubscribe?t=$T")" = 400
check "…or with no body → 4xx" \
	sh -c "test \$(curl -s -o /dev/null -w '%{http_code}' -X POST '$BASE/unsubscribe?t=$T') -ge 400"
check "…and still nothing changed" test "$(snapshot)" = "$before"

# The real thing, form-urlencoded as mail clients send it (RFC 8058 §3.1).
code=$(curl -s -o page -w '%{http_code}' -H 'Content-Type: application/x-www-form-urlencoded' \
	--data-raw 'List-Unsubscribe=One-Click' "$BASE/unsubscribe?t=$T")
check "one-click POST → 200" test "$code" = 200
check "…alice is unsubscribed in the store" unsubscribed alice@example.org
check "…bob is not" not unsubscribed bob@example.org
cp page first
code=$(curl -s -o page -w '%{http_code}' --data-raw 'List-Unsubscribe=One-Click' "$BASE/unsubscribe?t=$T")
check "repeating: 200 again" test "$code" = 200
check "…with the same page" cmp -s first page

# multipart/form-data works too, and the list comes from the token.
T2=$($SERVE_TOOL token u carol@example.org other)
check "multipart one-click POST → 200" \
	test "$(http_code -F List-Unsubscribe=One-Click "$BASE/unsubscribe?t=$T2")" = 200
check "…carol is unsubscribed from 'other'" unsubscribed carol@example.org other

# A token for an address that is not subscribed: the same answer, no row appears.
T3=$($SERVE_TOOL token u nobody@example.org members)
check "unknown address: same success page" \
	test "$(http_code --data-raw List-Unsubscribe=One-Click "$BASE/unsubscribe?t=$T3")" = 200
check "…and it is not added to the list" not member nobody@example.org
# Another process holds the database's write lock (as a long import
# might): forged tokens and the GET page still answer at once — they never
# wait for the store — and a real one-click POST, which the provider that
# sent it will not repeat, is not lost: after the busy timeout it is kept
# in the spool beside the database and answered 200, and applied by serve
# as soon as the lock is gone, with nobody asking again.
NB subscribers add dan@example.org --list members >/dev/null
TB=$($SERVE_TOOL token u dan@example.org members)
{ echo 'BEGIN EXCLUSIVE;'; sleep 9; echo 'COMMIT;'; } | sqlite3 nl/newsbeat.db & LOCK=$!
at_exit "kill $LOCK 2>/dev/null"
sleep 0.5
t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --data-raw List-Unsubscribe=One-Click \
	"$BASE/unsubscribe?t=${TB%?}A")
check "DB locked: a forged POST → 400 at once ($t s)" sh -c "set -- $t; test \$1 = 400 && test \${2%.*} -lt 1"
t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$BASE/unsubscribe?t=$TB")
check "…the GET page → 200 at once ($t s)" sh -c "set -- $t; test \$1 = 200 && test \${2%.*} -lt 1"
curl -s -D h -o body --data-raw List-Unsubscribe=One-Click "$BASE/unsubscribe?t=$TB"
check "…a valid POST → 200, unsubscribed" sh -c "grep -q '^HTTP/1.1 200' h && grep -qi 'unsubscribed' body"
# (serve's retries may have taken it aside, to ".applying", already.)
spool() { ls nl/newsbeat.db-unsubscribes nl/newsbeat.db-unsubscribes.applying 2>/dev/null; }
spooled() {
	for f in $(spool); do [ "$(stat -c %a "$f")" = 600 ] || return 1; done
	cat $(spool) 2>/dev/null | grep -q "^dan@example.org	members	"
}
check "…kept in the spool beside the database (0600)" spooled
check "…and the log says so" grep -q "unsubscribe of dan@example.org from 'members' kept in the spool" serve.log
wait $LOCK
for i in $(seq 50); do unsubscribed dan@example.org && break; sleep 0.1; done
check "lock gone: dan is unsubscribed within seconds, nobody asking again" unsubscribed dan@example.org
check "…the spool is gone" test -z "$(spool)"
check "…the log says it was applied" grep -q "applied 1 unsubscribe(s) that had waited" serve.log
check "the same POST again → 200" \
	test "$(http_code --data-raw List-Unsubscribe=One-Click "$BASE/unsubscribe?t=$TB")" = 200
check "…dan is unsubscribed" unsubscribed dan@example.org

# No answer ever carries another subscriber's data: not alice's pages
# (GET, POST, repeat), not the database or the config by any path.
leaks=0
for u in "unsubscribe?t=$T" "unsubscribe?t=$T2" "subscribe" "confirm?t=$C" "" \
	 "newsbeat.db" "../newsbeat.db" "%2e%2e/newsbeat.db" "config.ini" "../config.ini" \
	 "newsbeat.db-wal" "../newsbeat.db-wal"; do
	for how in "" "--data-raw List-Unsubscribe=One-Click"; do
		# shellcheck disable=SC2086
		curl -s --path-as-is $how "$BASE/$u" > body
		if grep -q 'bob@example.org\|SQLite format\|secret' body; then
			leaks=$((leaks + 1)); echo "# leak: $how $u"
		fi
	done
done
check "no page shows bob's address, the database or the config" test "$leaks" = 0
serve_stop
check "clean stop" test "$SERVE_RC" -eq 0
done_testing
