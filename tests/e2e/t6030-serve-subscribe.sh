#!/bin/bash
# Subscribe with double opt-in over plain HTTP (curl): the form, the
# validator, a pending membership, the confirmation e-mail in the Maildir
# outbox, GET shows a button and changes nothing, POST confirms; the same
# answer whatever the address's state; a per-client rate limit.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/serve-lib.sh"
command -v curl >/dev/null || skip_all "curl not installed"

serve_setup
NB() { "$NEWSBEAT" -c nl/config.ini "$@"; }
not() { ! "$@"; }
status_is() { NB subscribers list --list members --status "$2" | grep -qF "$1"; }
NB subscribers add bob@example.org --list members >/dev/null
NB subscribers add carol@example.org --list members >/dev/null
NB subscribers remove carol@example.org --list members >/dev/null
serve_start
mails() { ls nl/outbox/new 2>/dev/null | wc -l; }
# wait_mails N: the mail thread has delivered N messages (up to 5 s).
wait_mails() { for _ in $(seq 50); do [ "$(mails)" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }
# sub IP EMAIL [NAME]: POST the form as client IP, page in ./page, prints the status
sub() { curl -s -o page -w '%{http_code}' -H "X-Real-IP: $1" \
	--data-urlencode "email=$2" --data-urlencode "name=${3:-}" --data-urlencode "website=" \
	"$BASE/subscribe"; }

form=$(curl -s "$BASE/subscribe")
check "GET /subscribe: a form posting email and name" \
	bash -c "grep -q '<form method=\"post\" action=\"subscribe\">' <<<'$form' && grep -q 'name=\"email\"' <<<'$form'"
check "…with labels for the inputs" grep -q '<label for="email">' <<<"$form"

check "an invalid address → 400" test "$(sub 10.0.0.1 'not an address')" = 400
check "…the form again, saying why" grep -q 'class="error"' page
check "…keeping what was typed" grep -q 'value="not an address"' page
check "CR/LF in the address → 400" test "$(sub 10.0.0.1 $'eve@example.org\r\nBcc: x@example.org')" = 400
check "a name with a line break → 400" test "$(sub 10.0.0.1 'eve@example.org' $'Eve\r\nBcc: x')" = 400
check "no mail sent for any of them" test "$(mails)" = 0

check "a new address → 200" test "$(sub 10.0.0.2 'Dave@Example.ORG' 'Dave Doe')" = 200
check "…'check your inbox'" grep -q 'id="sent"' page
sed 's/[Dd]ave@[Ee]xample\.[Oo][Rr][Gg]/ADDR/g' page > page.new
check "…pending in the store (domain normalized)" status_is Dave@example.org pending
wait_mails 1
check "…one confirmation e-mail in the outbox" test "$(mails)" = 1
eml=$(ls nl/outbox/new/* | head -1)
$PY - "$eml" > mailinfo <<'PY'
import email, email.policy, re, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print("to", m["To"])
print("subject", m["Subject"])
print("auto", m["Auto-Submitted"])
text = m.get_body(("plain",)).get_content()
html = m.get_body(("html",)).get_content()
urls = re.findall(r"http://\S+/confirm\?t=[A-Za-z0-9_.-]+", text)
print("url", urls[0] if urls else "")
print("inhtml", 1 if urls and urls[0] in html else 0)
PY
url=$(sed -n 's/^url //p' mailinfo)
check "…to the address" grep -q '^to .*Dave@example.org' mailinfo
check "…subject names the newsletter" grep -q '^subject .*NewsBeat' mailinfo
check "…Auto-Submitted: auto-generated" grep -q '^auto auto-generated' mailinfo
check "…a confirmation link to this server" grep -q "^url $BASE/confirm?t=" mailinfo
check "…the same link in the HTML part" grep -q '^inhtml 1' mailinfo

# No enumeration: the same page for a pending, an active and an unsubscribed address.
for who in Dave@Example.ORG bob@example.org carol@example.org; do
	code=$(sub 10.0.0.3 "$who")
	sed "s/$who/ADDR/g; s/[Dd]ave@[Ee]xample\.[Oo][Rr][Gg]/ADDR/g" page > page.other
	if [ "$code" = 200 ] && cmp -s page.new page.other; then ok "same answer for $who"
	else notok "different answer for $who ($code)"; fi
done
check "bob stays active" status_is bob@example.org active
check "carol stays unsubscribed" status_is carol@example.org unsubscribed

# The honeypot: a bot filling the hidden field gets the same page and nothing happens.
n=$(mails)
code=$(curl -s -o page -w '%{http_code}' -H 'X-Real-IP: 10.0.0.4' \
	--data-raw 'email=bot@example.org&website=http://spam.example' "$BASE/subscribe")
check "honeypot: 200" test "$code" = 200
sleep 0.3
check "…no mail" test "$(mails)" = "$n"
check "…not in the store" not status_is bot@example.org pending

# Confirm: GET shows a button and changes nothing; POST confirms.
before=$(NB subscribers list --list members --status pending)
page=$(curl -s "$url")
check "GET confirm page: a button that POSTs" grep -q '<form method="post" action="confirm?t=' <<<"$page"
check "…names the address" grep -q 'Dave@example.org' <<<"$page"
for i in $(seq 20); do curl -s -o /dev/null "$url"; done
check "…20 GETs later dave is still pending" status_is Dave@example.org pending
# The last character of the MAC holds 4 bits and 2 zero bits: A, Q, g or w.
case $url in *A) forged="${url%?}Q";; *) forged="${url%?}A";; esac
check "a forged confirm token → 400" test "$(http_code -X POST -d confirm=yes "$forged")" = 400
check "an unsubscribe token does not confirm" \
	test "$(http_code -d confirm=yes "$BASE/confirm?t=$($SERVE_TOOL token u dave@example.org members)")" = 400
check "POST confirm → 200" test "$(http_code -d confirm=yes "$url")" = 200
check "…dave is active" status_is Dave@example.org active
check "…confirming again: 200, still active" \
	sh -c "test \$(curl -s -o /dev/null -w '%{http_code}' -d confirm=yes '$url') = 200"
check "…still active" status_is Dave@example.org active
carol_url="$BASE/confirm?t=$($SERVE_TOOL token C carol@example.org members "$(date -u -d "$NEWSBEAT_NOW" +%s)")"
check "a fresh confirm link for unsubscribed carol → 409" test "$(http_code -d confirm=yes "$carol_url")" = 409
check "…an unsubscribe sticks" status_is carol@example.org unsubscribed

# Rate limit: 5 subscribe POSTs a minute per client, then 429 with Retry-After.
for i in 1 2 3 4 5; do sub 10.9.9.9 "r$i@example.org" >/dev/null; done
curl -s -D h -o /dev/null -H 'X-Real-IP: 10.9.9.9' --data-raw 'email=r6@example.org' "$BASE/subscribe"
check "6th POST in a minute → 429" grep -q '^HTTP/1.1 429' h
check "…with Retry-After" grep -qi '^Retry-After: [1-9]' h
check "…r6 was not recorded" not status_is r6@example.org pending
check "another client is not limited" test "$(sub 10.9.9.8 r7@example.org)" = 200
check "GET is never limited" test "$(http_code -H 'X-Real-IP: 10.9.9.9' "$BASE/subscribe")" = 200

# One mailbox whatever the case of its local part: from four clients,
# four variants get one confirmation e-mail (confirm_interval), and a
# variant of an unsubscribed address none.
n=$(mails)
i=0
for v in victim@example.org Victim@example.org vIctim@example.org viCtim@example.org Carol@example.org; do
	i=$((i + 1))
	sub "10.8.0.$i" "$v" >/dev/null
done
wait_mails $((n + 1))
sleep 0.5
check "4 case variants of one address, from 4 clients → 1 confirmation e-mail" test "$(mails)" = $((n + 1))
check "…one subscriber, pending as first written" \
	test "$(NB subscribers list --list members | grep -ci '^victim@example.org')" = 1
check "…victim@example.org" status_is victim@example.org pending
check "a case variant of unsubscribed carol: she stays unsubscribed" status_is carol@example.org unsubscribed
check "…and is listed once" test "$(NB subscribers list --list members | grep -ci '^carol@example.org')" = 1
serve_stop
check "clean stop" test "$SERVE_RC" -eq 0

# A stuck mail server (accepts, never greets) must not hold up the web
# server: confirmation mails go out from a thread of their own.
SMTP=$(free_port)
$PY - "$SMTP" <<'PY' & STUCK=$!
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
held = []
s.settimeout(60)
end = time.time() + 60
while time.time() < end:
    try:
        held.append(s.accept()[0])
    except OSError:
        break
PY
at_exit "kill $STUCK 2>/dev/null"
wait_port "$SMTP"
printf '[smtp]\nurl = smtp://127.0.0.1:%s\ntls = none\ntimeout = 3\n' "$SMTP" >> nl/config.ini
printf '<h1>archive</h1>\n' > nl/public/index.html
serve_start
t0=$($PY -c 'import time; print(time.monotonic())')
for ip in 10.1.0.1 10.1.0.2 10.1.0.3 10.1.0.4; do
	curl -s -o "sub-$ip" -w '%{http_code}\n' -H "X-Real-IP: $ip" \
		--data-urlencode "email=stuck-$ip@example.org" "$BASE/subscribe" > "code-$ip" &
done
sleep 0.3
for i in 1 2 3 4 5 6; do
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$BASE/" &
done > gets
wait $(jobs -p | grep -v "^$STUCK$\|^$SERVE_PID$") 2>/dev/null
slow=$($PY -c 'import time, sys; print(int((time.monotonic() - float(sys.argv[1])) * 1000))' "$t0")
check "4 subscriptions with a stuck mail server: all answered 200" \
	test "$(cat code-* | sort | uniq -c | tr -s ' ')" = " 4 200"
check "…the archive answered meanwhile, 6 × 200" test "$(cut -d' ' -f1 gets | sort | uniq -c | tr -s ' ')" = " 6 200"
echo "# gets: $(tr '\n' ' ' < gets)"
check "…all of it within 2 s ($slow ms)" test "$slow" -lt 2000
check "…the addresses are pending" status_is stuck-10.1.0.4@example.org pending
serve_stop
check "stopping with mail stuck: exit 0" test "$SERVE_RC" -eq 0
check "…saying which mails were not sent" grep -q "not sent" serve.log

# A confirmation that could not be sent does not count against the
# address: the person who submits again gets one at once, not an hour on.
kill $STUCK 2>/dev/null; wait $STUCK 2>/dev/null
DOWN=$(free_port)
sed -i "s|^url = smtp://127.0.0.1:$SMTP\$|url = smtp://127.0.0.1:$DOWN|" nl/config.ini
serve_start
check "subscribing while the mail server is down: 200" \
	test "$(http_code -H 'X-Real-IP: 10.1.1.1' --data-urlencode 'email=olga@example.org' "$BASE/subscribe")" = 200
for i in $(seq 50); do grep -q "not sent.*Couldn't connect\|not sent.*connect" serve.log && break; sleep 0.1; done
check "…the confirmation is not sent, and the log says so" grep -q "not sent" serve.log
. "$SRCDIR/tests/e2e/send-lib.sh"
start_capture "$DOWN" got
check "the mail server is back; olga submits again: 200" \
	test "$(http_code -H 'X-Real-IP: 10.1.1.2' --data-urlencode 'email=olga@example.org' "$BASE/subscribe")" = 200
for i in $(seq 50); do ls got/*.env >/dev/null 2>&1 && break; sleep 0.1; done
check "…and the confirmation goes out at once" sh -c 'grep -q "^RCPT TO olga@example.org" got/*.env'
serve_stop
stop_capture
done_testing
