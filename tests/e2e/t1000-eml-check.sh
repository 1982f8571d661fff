#!/bin/sh
# tests/tools/eml_check.py accepts a well-formed newsletter message and
# catches each kind of broken one (built here with printf).
. "$(dirname "$0")/lib.sh"
CHECK="$SRCDIR/tests/tools/eml_check.py"
[ -x "$PY" ] || skip_all "no $PY"

# good_headers [SKIP-NAME]: the required headers, minus one if named.
good_headers() {
	for _hh in \
		'From: NewsBeat <newsbeat@example.org>' \
		'To: =?UTF-8?Q?Zo=C3=AB_M=C3=BCller?= <zoe@example.org>' \
		'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=' \
		'Date: Fri, 27 Nov 2026 09:00:00 +0000' \
		'Message-ID: <abc@news.example.org>' \
		'MIME-Version: 1.0' \
		'List-Id: NewsBeat <newsbeat.example.org>' \
		'List-Unsubscribe: <https://news.example.org/u?t=x>, <mailto:u@example.org>' \
		'List-Unsubscribe-Post: List-Unsubscribe=One-Click' \
		'Archived-At: <https://news.example.org/issues/issue-1.html>' \
		'Precedence: bulk'; do
		case "$_hh" in "${1:-none}:"*) continue ;; esac
		printf '%s\r\n' "$_hh"
	done
}
ctype='Content-Type: multipart/alternative; boundary="=_b0undary0123456789abcdef"\r\n'
part() { # part TYPE BODY
	printf '\r\n--=_b0undary0123456789abcdef\r\nContent-Type: %s; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n%b' "$1" "$2"
}
close='\r\n--=_b0undary0123456789abcdef--\r\n'
good_body() {
	part text/plain 'Gr=C3=BC=C3=9Fe =\r\naus K=C3=B6ln=20\r\n=2E\r\n'
	part text/html '<p>Gr=C3=BC=C3=9Fe</p>\r\n'
	printf "$close"
}

{ good_headers; printf "$ctype"; good_body; } >good.eml
check "a good message passes" $PY "$CHECK" good.eml --text t.txt --html h.html
printf 'Grüße aus Köln \n.\n' >want.txt
printf '<p>Grüße</p>\n' >want.html
check "text part decoded exactly (LF line ends)" cmp t.txt want.txt
check "html part decoded exactly" cmp h.html want.html
$PY "$CHECK" good.eml --json >h.json
check "--json prints decoded headers" grep -q '"Subject": "Grüße"' h.json
check "--json decodes the To display name" grep -q 'Zoë Müller' h.json
check "--expect-header NAME passes when present" $PY "$CHECK" good.eml --expect-header Precedence
check "--expect-header NAME=VALUE passes when equal" $PY "$CHECK" good.eml --expect-header 'Precedence=bulk'
check_fails "--expect-header NAME=VALUE fails when different" $PY "$CHECK" good.eml --expect-header 'Precedence=list' 2>/dev/null
check_fails "--expect-header fails when absent" $PY "$CHECK" good.eml --expect-header List-Archive 2>/dev/null

# expect_bad NAME PATTERN: bad.eml must fail with PATTERN on stderr.
expect_bad() {
	if $PY "$CHECK" bad.eml >/dev/null 2>err.txt; then
		notok "$1 (accepted)"
	elif grep -q -- "$2" err.txt; then
		ok "$1"
	else
		notok "$1 (wrong message: $(cat err.txt))"
	fi
}
for h in From To Subject Date Message-ID MIME-Version List-Id List-Unsubscribe List-Unsubscribe-Post Archived-At; do
	{ good_headers "$h"; printf "$ctype"; good_body; } >bad.eml
	expect_bad "missing $h caught" "header $h occurs 0 times"
done
{ good_headers; printf 'Subject: twice\r\n'; printf "$ctype"; good_body; } >bad.eml
expect_bad "duplicate Subject caught" "header Subject occurs 2 times"
{ good_headers; printf "$ctype"; good_body; } | sed 's/Gr=C3=BC=C3=9Fe =/Grüße =/' >bad.eml
expect_bad "8-bit byte caught" "non-7-bit byte"
{ good_headers; printf "$ctype"; good_body; } | $PY -c 'import sys; d=sys.stdin.buffer.read(); sys.stdout.buffer.write(d.replace(b"aus K", b"aus\nK", 1))' >bad.eml
expect_bad "bare LF caught" "bare LF"
{ good_headers; printf "$ctype"; good_body; } | $PY -c 'import sys; d=sys.stdin.buffer.read(); sys.stdout.buffer.write(d.replace(b"aus K", b"aus\rK", 1))' >bad.eml
expect_bad "bare CR caught" "bare CR"
{ good_headers; printf 'X-Long: %01000d\r\n' 0; printf "$ctype"; good_body; } >bad.eml
expect_bad "line over 998 caught" "limit 998"
{ good_headers; printf "$ctype"; part text/plain "$(printf '%080d' 0)\r\n"; part text/html 'x'; printf "$close"; } >bad.eml
expect_bad "QP line over 76 caught" "limit 76"
{ good_headers; printf "$ctype"; part text/html 'x'; part text/plain 'x'; printf "$close"; } >bad.eml
expect_bad "parts in the wrong order caught" "want \[text/plain, text/html\]"
{ good_headers; printf "$ctype"; part text/plain 'x'; printf "$close"; } >bad.eml
expect_bad "single part caught" "want \[text/plain, text/html\]"
{ good_headers; printf 'Content-Type: text/plain; charset=UTF-8\r\n\r\nhello\r\n'; } >bad.eml
expect_bad "non-multipart caught" "want multipart/alternative"
{ good_headers; printf "$ctype"; part text/plain 'x'; part text/html 'x'; } >bad.eml
expect_bad "missing closing delimiter caught" "CloseBoundaryNotFoundDefect"
{ good_headers; printf "$ctype"; part text/plain 'bad =ZZ escape'; part text/html 'x'; printf "$close"; } >bad.eml
expect_bad "invalid QP escape caught" "invalid quoted-printable escape"
{ good_headers; printf "$ctype"; part text/plain 'trailing \r\n'; part text/html 'x'; printf "$close"; } >bad.eml
expect_bad "unencoded trailing whitespace caught" "trailing whitespace"
{ good_headers; printf "$ctype"; part text/plain 'Latin-1 =E9'; part text/html 'x'; printf "$close"; } >bad.eml
expect_bad "part that is not UTF-8 caught" "not UTF-8"
{ good_headers; printf "$ctype"; good_body; } | sed 's/charset=UTF-8/charset=ISO-8859-1/' >bad.eml
expect_bad "wrong charset caught" "charset"
{ good_headers; printf "$ctype"; good_body; } | sed 's/^To: .*/To: Zoe <zoe@example.org/' >bad.eml
expect_bad "malformed To caught" "To"
{ good_headers; printf "$ctype"; good_body; } | sed 's/, <mailto:u@example.org>//' >bad.eml
expect_bad "List-Unsubscribe without mailto caught" "no <mailto"
{ good_headers; printf "$ctype"; good_body; } | sed 's/=One-Click/=Yes/' >bad.eml
expect_bad "wrong List-Unsubscribe-Post caught" "List-Unsubscribe-Post is"
{ good_headers; printf "$ctype"; good_body; } | head -c -2 >bad.eml
expect_bad "missing final CRLF caught" "does not end with CRLF"
check_exit 2 "usage error exits 2" $PY "$CHECK" 2>/dev/null
check_exit 2 "missing file exits 2" $PY "$CHECK" nonexistent.eml 2>/dev/null
done_testing
