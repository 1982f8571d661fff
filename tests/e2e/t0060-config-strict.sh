#!/bin/sh
# config.ini is read strictly: whole lines of any length, no duplicate or
# unknown keys and sections, no continuation lines; and every value that
# reaches a header is checked when the config loads (FILE:LINE, exit 2),
# through the one address parser.
. "$(dirname "$0")/lib.sh"
make_newsletter nl
cd nl
base='[newsletter]
name = NewsBeat
from = NewsBeat <newsbeat@example.org>
base_url = https://news.example.org/
list_id = newsbeat.example.org'
# header FILE NAME: the unfolded header NAME of the message in FILE
header() { $PY -c 'import sys, email, email.policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.compat32)
print(" ".join((m[sys.argv[2]] or "").split()))' "$1" "$2"; }

# libinih read 200 bytes a line and parsed the rest as a new line: the tail set From.
long=$(printf '%0192d' 0 | tr 0 A)
printf '[newsletter]\nname = %sfrom = Evil <evil@evil.org>\n' "$long" > config.ini
check_exit 0 "a config with a 226-byte line renders" "$NEWSBEAT" render 40 --to r@example.org -o p
check "the tail of the long line does not set From" sh -c "! grep -qi 'evil' p/issue-40.eml || ! grep -i '^From:.*evil' p/issue-40.eml"
check "From is the default" grep -q '^From: NewsBeat <newsbeat@example.org>' p/issue-40.eml

path300=$(printf '%0265d' 0 | tr 0 a)
printf '%s\n' "$base" | sed "s|^base_url = .*|base_url = https://news.example.org/$path300/|" > config.ini
check "a 300-byte line is read whole" test "$(wc -L < config.ini)" -ge 300
check_exit 0 "…and loads" "$NEWSBEAT" render 40 --to r@example.org -o p2
check "…the whole value reaches List-Archive" sh -c "grep -q '$path300/>' p2/issue-40.eml"

# refused CONFIG-TEXT EXPECTED-MESSAGE DESCRIPTION: `check 40` exits 2 naming it
refused() {
	printf '%s\n' "$1" > config.ini
	"$NEWSBEAT" check 40 > out 2>&1; rc=$?
	if [ "$rc" -eq 2 ] && grep -qF -- "$2" out; then ok "$3"; else notok "$3 (exit $rc)"; sed 's/^/# /' out; fi
}
refused "$base
[smpt]
url = smtp://relay.example.org:587" "config.ini:6: unknown section [smpt]; did you mean [smtp]?" \
	"a misspelt [smtp] is an error with a did-you-mean (it fell back to the Maildir)"
refused "$base
[smtp]
ulr = smtp://relay.example.org:587" "config.ini:7: unknown key 'ulr' in [smtp]; did you mean 'url'?" \
	"a misspelt key is an error with a did-you-mean"
refused "$base
name = Other" "config.ini:6: [newsletter] name is set twice (first at line 2)" "a duplicate key"
refused "$base
[paths]
[newsletter]" "config.ini:7: section [newsletter] appears twice (first at line 1)" "a duplicate section"
refused "$base
  Evil <evil@evil.org>" "config.ini:6: this line is indented" "an indented continuation line"

# Header values, checked at load (check said "no problems found", then send failed everyone).
refused "$(printf '%s\n' "$base" | sed 's/^list_id = .*/list_id = news beat.example.org/')" \
	"config.ini:5: [newsletter] list_id: 'news beat.example.org' has a character a List-Id cannot hold" \
	"a list_id with a space"
refused "$(printf '%s\n' "$base" | sed 's/^list_id = .*/list_id = <newsbeat.example.org>/')" \
	"config.ini:5: [newsletter] list_id" "a list_id with <>"
refused "$(printf '%s\n' "$base" | sed 's/^list_id = .*/list_id = newsbeat..example.org/')" \
	"config.ini:5: [newsletter] list_id" "a list_id that is not a dot-atom"
refused "$(printf '%s\n' "$base" | sed 's|^base_url = .*|base_url = https://news.example.org/a b/|')" \
	"config.ini:4: [newsletter] base_url" "a base_url with a space"
refused "$(printf '%s\n' "$base" | sed 's|^base_url = .*|base_url = https://news.example.org/?x=1|')" \
	"?query" "a base_url with a query"
refused "$base
unsubscribe_mailto = x@y.org?cc=evil@evil.org" "config.ini:6: [newsletter] unsubscribe_mailto" \
	"an unsubscribe_mailto with a ?query"
refused "$base
unsubscribe_mailto = x?cc=evil@y.org" "a mailto: link would need encoded" \
	"an unsubscribe_mailto whose local part holds a ?"
refused "$base
unsubscribe_mailto = Unsub <u@example.org>" "must be an address only" \
	"an unsubscribe_mailto with a display name"
refused "$(printf '%s\n' "$base" | sed 's/^from = .*/from = NB x@evil.org <a@b.org>/')" \
	"config.ini:3: [newsletter] from" "a From with an address in its bare display name"
refused "$(printf '%s\n' "$base" | sed 's/^from = .*/from = NB <"a>b"@example.org>/')" \
	"config.ini:3: [newsletter] from" "a From with a quoted local part holding '>'"
refused "$(printf '%s\n[smtp]\nenvelope_from = bounce@example.org\r<x@evil.org>' "$base")" \
	"config.ini:7: control character 0x0d" "an envelope_from with a CR"
refused "$base
[smtp]
envelope_from = bounce@example.org, x@evil.org" "config.ini:7: [smtp] envelope_from" \
	"an envelope_from that is not one address"
refused "$(printf '%s\n' "$base" | sed 's/^name = .*/name = News\x1b[31mBeat/')" \
	"config.ini:2: control character 0x1b" "a name with a terminal escape"

# The one mailbox splitter: the address inside a quoted display name is not the mailbox.
printf '%s\n' "$base" | sed 's/^from = .*/from = "NB <x@evil.org>" <a@b.org>/' > config.ini
check_exit 0 "a quoted display name holding <...> renders" "$NEWSBEAT" render 40 --to r@example.org -o p3
lu=$(header p3/issue-40.eml List-Unsubscribe)
check "the List-Unsubscribe mailto is the mailbox's address ($lu)" sh -c "echo '$lu' | grep -q '<mailto:a@b.org?subject='"
check "x@evil.org is nowhere in List-Unsubscribe" sh -c "! echo '$lu' | grep -q evil"

# An IDN From domain becomes punycode in the one address module.
printf '%s\n' "$base" | sed 's/^from = .*/from = NewsBeat <news@müller.example>/' > config.ini
check_exit 0 "an IDN From domain renders" "$NEWSBEAT" render 40 --to r@example.org -o p4
check "From carries the punycode domain" grep -q '^From: NewsBeat <news@xn--mller-kva.example>' p4/issue-40.eml
check "the mailto too" grep -q 'mailto:news@xn--mller-kva.example?subject=' p4/issue-40.eml
done_testing
