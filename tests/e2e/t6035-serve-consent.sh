#!/bin/bash
# Consent cannot be replayed or bombed: a confirm link never undoes an
# unsubscribe (one-click or `subscribers remove`), expires after [serve]
# confirm_ttl, an address gets one confirmation per confirm_interval
# however many clients ask (across restarts), and the name typed into
# the form reaches neither the confirmation's To: nor its text.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/serve-lib.sh"
command -v curl >/dev/null || skip_all "curl not installed"

serve_setup
NB() { "$NEWSBEAT" -c nl/config.ini "$@"; }
status_is() { NB subscribers list --list members --status "$2" | grep -qF "$1"; }
mails() { ls nl/outbox/new 2>/dev/null | wc -l; }
wait_mails() { for _ in $(seq 50); do [ "$(mails)" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }
sub() { curl -s -o /dev/null -w '%{http_code}' -H "X-Real-IP: $1" \
	--data-urlencode "email=$2" --data-urlencode "name=${3:-}" --data-urlencode "website=" \
	"$BASE/subscribe"; }
# confirm_url_of ADDR: the link in the newest confirmation mail to ADDR
confirm_url_of() {
	$PY - "$1" nl/outbox/new <<'PY'
import email, email.policy, os, re, sys
best = None
for f in sorted(os.listdir(sys.argv[2]), key=lambda f: os.stat(os.path.join(sys.argv[2], f)).st_mtime):
    m = email.message_from_binary_file(open(os.path.join(sys.argv[2], f), "rb"), policy=email.policy.default)
    if sys.argv[1] in str(m["To"]):
        u = re.findall(r"http://\S+/confirm\?t=[A-Za-z0-9_.-]+", m.get_body(("plain",)).get_content())
        best = u[0] if u else best
print(best or "")
PY
}
# The server's clock is NEWSBEAT_NOW (lib.sh pins it).
now=$(date -u -d "$NEWSBEAT_NOW" +%s)
at() { date -u -d "@$(( now + $1 * 86400 ))" +%Y-%m-%dT%H:%M:%SZ; }
serve_start

# The bomb: 8 clients at once ask for the same address, with a name.
for i in 1 2 3 4 5 6 7 8; do
	sub "10.8.0.$i" victim@example.org "Visit evil.example now" > "code-$i" &
done
wait $(jobs -p | grep -v "^$SERVE_PID$") 2>/dev/null
check "8 clients ask for one address: all 200 ($(cat code-*))" \
	test "$(cat code-*)" = 200200200200200200200200
wait_mails 1
sleep 0.5
check "…exactly one confirmation e-mail" test "$(mails)" = 1
eml=$(ls nl/outbox/new/* | head -1)
$PY - "$eml" > mailinfo <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.strict)
print("to", m["To"])
print("text", m.get_body(("plain",)).get_content().replace("\n", " "))
print("html", m.get_body(("html",)).get_content().replace("\n", " "))
PY
check "…To: is the bare address" grep -qx 'to victim@example.org' mailinfo
check "…the typed name is nowhere in the mail" sh -c '! grep -q "evil" mailinfo'
check "…nor on the pending subscriber" sh -c "! '$NEWSBEAT' -c nl/config.ini subscribers list --list members --status pending | grep -q evil"
serve_stop
serve_start
sub 10.8.1.1 victim@example.org >/dev/null
sleep 0.5
check "after a restart, still no second e-mail within the interval" test "$(mails)" = 1

# Replay after a one-click unsubscribe.
url=$(confirm_url_of victim@example.org)
check "the mail has a confirm link" test -n "$url"
check "confirm → 200" test "$(http_code -d confirm=yes "$url")" = 200
check "…active" status_is victim@example.org active
utok=$($SERVE_TOOL token u victim@example.org members)
check "one-click unsubscribe → 200" \
	test "$(http_code -d List-Unsubscribe=One-Click "$BASE/unsubscribe?t=$utok")" = 200
check "…unsubscribed" status_is victim@example.org unsubscribed
code=$(http_code -d confirm=yes "$url")
check "replaying the confirm link: refused ($code)" test "$code" = 409
check "…still unsubscribed" status_is victim@example.org unsubscribed
sub 10.8.2.1 victim@example.org >/dev/null
sleep 0.3
check "…and the form mails no new link to an unsubscribed address" test "$(mails)" = 1

# Replay after `subscribers remove`.
sub 10.8.3.1 rita@example.org "Rita" >/dev/null
wait_mails 2
url=$(confirm_url_of rita@example.org)
check "rita confirms → 200" test "$(http_code -d confirm=yes "$url")" = 200
check "…with the name she typed, now" sh -c "'$NEWSBEAT' -c nl/config.ini subscribers list --list members | grep rita | grep -q Rita"
NB subscribers remove rita@example.org --list members >/dev/null
check "replay after 'subscribers remove' → 409" test "$(http_code -d confirm=yes "$url")" = 409
check "…still unsubscribed" status_is rita@example.org unsubscribed

# A stranger cannot rename an active member: the form's name is taken
# only as someone joins, even if the member clicks the link they got.
NB subscribers add frank@example.org --name "Frank Doe" --list members >/dev/null
sub 10.8.5.1 frank@example.org "Frank the Fool" >/dev/null
wait_mails 3
url=$(confirm_url_of frank@example.org)
check "an active member's confirm link → 200" test "$(http_code -d confirm=yes "$url")" = 200
check "…keeps the name they had" sh -c "'$NEWSBEAT' -c nl/config.ini subscribers list --list members | grep frank | grep -q 'Frank Doe'"

# Expiry: a link older than confirm_ttl (7 days by default).
sub 10.8.4.1 late@example.org >/dev/null
wait_mails 4
old=$($SERVE_TOOL token C late@example.org members $(( now - 8 * 86400 )))
check "an 8-day-old confirm link: GET → 410" test "$(http_code "$BASE/confirm?t=$old")" = 410
check "…POST → 410" test "$(http_code -d confirm=yes "$BASE/confirm?t=$old")" = 410
check "…still pending" status_is late@example.org pending
untimed=$($SERVE_TOOL token c late@example.org members)
check "an untimed confirm link of the old form → 400" test "$(http_code -d confirm=yes "$BASE/confirm?t=$untimed")" = 400
url=$(confirm_url_of late@example.org)
serve_stop
# The real link, with the server's clock 8 days on.
NEWSBEAT_NOW=$(at 8) serve_start
check "the mailed link 8 days later → 410" test "$(http_code -d confirm=yes "$url")" = 410
check "…still pending" status_is late@example.org pending
serve_stop
NEWSBEAT_NOW=$(at 6) serve_start
check "…6 days later it still works → 200" test "$(http_code -d confirm=yes "$url")" = 200
serve_stop
check "clean stop" test "$SERVE_RC" -eq 0
done_testing
