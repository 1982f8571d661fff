#!/bin/bash
# Tokens across commands: `send` refuses a real SMTP server without a
# secret (and nothing reaches it); `render` and `send` put the same token
# into List-Unsubscribe and the footer links; `serve`, with the same
# secret, accepts exactly those tokens — the one-click POST a mail client
# makes from the header unsubscribes, and the next send skips the address.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/serve-lib.sh"
command -v curl >/dev/null || skip_all "curl not installed"
$PY -c 'import aiosmtpd' 2>/dev/null || skip_all "python3-aiosmtpd not installed (scripts/install-deps --test)"
SECRET=$NEWSBEAT_SECRET
unset NEWSBEAT_SECRET

serve_setup
cp -r "$SRCDIR/issues" nl/
NB() { "$NEWSBEAT" -c nl/config.ini "$@"; }
NB subscribers add amara@example.org --name "Amara Okafor" --list members >/dev/null
NB subscribers add zoe@example.org --list members >/dev/null
SMTP=$(free_port)
mkdir got
$PY "$SRCDIR/tests/tools/smtp_capture.py" "$SMTP" got 2>smtp.log & CAP=$!
at_exit "kill $CAP 2>/dev/null"
wait_port "$SMTP" || notok "capture server started"
printf '[smtp]\nurl = smtp://127.0.0.1:%s\ntls = none\ntimeout = 5\n' "$SMTP" >> nl/config.ini
sent() { ls got/*.eml 2>/dev/null | wc -l; }

# No secret: every way of sending for real is refused before any mail goes out.
NB send 42 --yes >out 2>err; rc=$?
check "send to SMTP without a secret: exit 2 (got $rc)" test "$rc" -eq 2
check "…the message names the variable" grep -q NEWSBEAT_SECRET err
NEWSBEAT_SECRET= NB send 42 --yes >/dev/null 2>&1; rc=$?
check "an empty secret is no secret: exit 2 (got $rc)" test "$rc" -eq 2
NB send 42 --test editor@example.org --yes >/dev/null 2>&1; rc=$?
check "send --test without a secret: exit 2 (got $rc)" test "$rc" -eq 2
sleep 0.3
check "nothing reached the SMTP server" test "$(sent)" = 0
check "nothing is recorded as sent" sh -c "! \"$NEWSBEAT\" -c nl/config.ini status 42 2>/dev/null | grep -qi 'sent *[1-9]'"

# With the secret: two messages; every link in each carries one token.
export NEWSBEAT_SECRET=$SECRET
# --no-archive: serve_setup's public/ is a hand-made tree, which the
# archive build (part of send) rightly refuses to replace.
check "send with the secret" sh -c "\"$NEWSBEAT\" -c nl/config.ini send 42 --yes --no-archive >/dev/null 2>&1"
for i in $(seq 50); do [ "$(sent)" -ge 2 ] && break; sleep 0.1; done
check "two messages arrived" test "$(sent)" = 2
links() {
	$PY - "$@" <<'PY'
import email, email.policy, re, sys, urllib.parse
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
hdr = str(m["List-Unsubscribe"] or "")
http = re.findall(r"<(https?://[^>]*)>", hdr)
mailto = re.findall(r"<(mailto:[^>]*)>", hdr)
text = m.get_body(("plain",)).get_content()
html = m.get_body(("html",)).get_content()
tok = lambda u: urllib.parse.parse_qs(urllib.parse.urlsplit(u).query).get("t", [""])[0]
t_text = re.findall(r"\S+/unsubscribe\?t=[A-Za-z0-9_.-]+", text)
t_html = re.findall(r'href="([^"]*/unsubscribe\?t=[^"]*)"', html)
print("to", m["To"].addresses[0].addr_spec)
print("post", m["List-Unsubscribe-Post"])
print("header", tok(http[0]) if http else "")
print("url", http[0] if http else "")
print("text", " ".join(sorted(set(tok(u) for u in t_text))))
print("html", " ".join(sorted(set(tok(u.replace("&amp;", "&")) for u in t_html))))
print("mailto", urllib.parse.unquote(mailto[0]) if mailto else "")
PY
}
for eml in got/*.eml; do links "$eml" > "$(basename "$eml" .eml).links"; done
for f in *.links; do
	who=$(sed -n 's/^to //p' "$f")
	tok=$(sed -n 's/^header //p' "$f")
	check "$who: List-Unsubscribe has an http link with a token" test -n "$tok"
	check "$who: List-Unsubscribe-Post: List-Unsubscribe=One-Click" grep -q '^post List-Unsubscribe=One-Click$' "$f"
	check "$who: the text footer links the same token" test "$(sed -n 's/^text //p' "$f")" = "$tok"
	check "$who: the HTML footer links the same token" test "$(sed -n 's/^html //p' "$f")" = "$tok"
	check "$who: the mailto carries it too" grep -qF "$tok" <<<"$(sed -n 's/^mailto //p' "$f")"
	check "$who: the token is for this address and list" \
		test "$tok" = "$($SERVE_TOOL token u "$who" members)"
	NB render 42 --to "$who" -o "r-$who" >/dev/null 2>&1
	links "r-$who/issue-42.eml" > render.links
	check "$who: render gives the same List-Unsubscribe token" \
		test "$(sed -n 's/^header //p' render.links)" = "$tok"
	check "$who: …and the same footer links" sh -c \
		"test \"\$(sed -n 's/^text //p' render.links)\" = '$tok' && test \"\$(sed -n 's/^html //p' render.links)\" = '$tok'"
	cp "$f" "$who.links"
done

# serve, with the same secret, takes the header's URL as a mail client would.
serve_start
url=$(sed -n 's/^url //p' amara@example.org.links)
check "the header's URL points at this server" grep -q "^$BASE/unsubscribe?t=" <<<"$url"
check "GET of zoe's footer link: the confirm page" \
	test "$(http_code "$(sed -n 's/^url //p' zoe@example.org.links)")" = 200
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-www-form-urlencoded' \
	--data-raw "$(sed -n 's/^post //p' amara@example.org.links)" "$url")
check "one-click POST to amara's List-Unsubscribe URL → 200" test "$code" = 200
check "…amara is unsubscribed" sh -c "NB() { \"$NEWSBEAT\" -c nl/config.ini \"\$@\"; }; \
	NB subscribers list --list members --status unsubscribed | grep -q amara@example.org"
check "…zoe (who only fetched her link) is not" sh -c \
	"\"$NEWSBEAT\" -c nl/config.ini subscribers list --list members --status active | grep -q zoe@example.org"
serve_stop

# A server with another secret refuses these links.
NEWSBEAT_SECRET=another-secret-0123456789abcdef0123456789 serve_start
check "a server with a different secret: 400" test "$(http_code "$url")" = 400
serve_stop

# The next issue goes to zoe only.
rm -f got/*
check "send issue 41" sh -c "\"$NEWSBEAT\" -c nl/config.ini send 41 --yes --no-archive >/dev/null 2>&1"
for i in $(seq 50); do [ "$(sent)" -ge 1 ] && break; sleep 0.1; done
sleep 0.3
check "one message, to zoe" sh -c "test \$(ls got/*.env | wc -l) = 1 && grep -q 'RCPT TO zoe@example.org' got/*.env"
done_testing
