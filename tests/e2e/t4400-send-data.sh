#!/bin/sh
# Data transparency over SMTP: Markdown with lines that start with "." and
# "..", a lone ".", a "." where a quoted-printable soft line break falls,
# and line ends written as bare CR, CRLF and bare LF.  What arrives must
# parse cleanly and its decoded parts equal what `newsbeat render` writes
# for the same subscriber; the same through the Maildir outbox.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
make_newsletter nl
cd nl
$PY -c 'import sys
sys.stdout.buffer.write((
    "---\ntitle: \"Dots and line ends\"\nissue: 300\ndate: 2026-11-27\nlist: members\n---\n"
    "Dear {{subscriber.name}},\n\n"
    "A paragraph with hard breaks:\\\n.leading dot\\\n..two dots\\\n.\\\nand after.\n\n"
    "```\n.\n..\n. a dot and a space\n...\n```\n\n"
    + "x" * 75 + ".y a dot where a soft line break falls\n\n"
    "A line ending in CR only\rthen the next, and CRLF\r\nthen a bare LF\nthen the end.\n\n"
    ".\n\n..\n").encode())' > issues/issue-300.md
"$NEWSBEAT" subscribers add ann@example.org --name "Ann .Dot" >/dev/null
"$NEWSBEAT" subscribers add bob@example.org --name "Bob Ünïcode" >/dev/null

port=$(free_port)
start_capture "$port" got || notok "capture server started"
smtp_config config.ini "smtp://127.0.0.1:$port" connections=2 timeout=5
check "send over SMTP" "$NEWSBEAT" send 300 --yes
stop_capture
check "two messages arrived" test "$(received got | wc -l)" -eq 2
for who in ann:"Ann .Dot" bob:"Bob Ünïcode"; do
	addr=${who%%:*}@example.org name=${who#*:}
	env=$(grep -l "RCPT TO $addr" got/*.env)
	eml=${env%.env}.eml
	rm -rf want
	"$NEWSBEAT" render 300 --to "$addr" --name "$name" -o want >/dev/null 2>&1
	check "$addr: parses cleanly (CRLF only, 7-bit, no defects)" $CHECK "$eml" --text got.txt --html got.html
	check "$addr: decoded text part equals render's" cmp got.txt want/issue-300.txt
	check "$addr: decoded HTML part equals render's" cmp got.html want/issue-300.html
	check "$addr: the dot lines are in the text" grep -qx '\.\.two dots' got.txt
	check "$addr: the lone dot too" grep -qx '\.' got.txt
	check "$addr: the CR-only line end became a line end, not a bare CR" \
		grep -q 'A line ending in CR only then the next' got.txt
done

# The same through the Maildir outbox.
rm config.ini
sed -i 's/^issue: 300$/issue: 301/' issues/issue-300.md
mv issues/issue-300.md issues/issue-301.md
check "send to the Maildir outbox" "$NEWSBEAT" send 301 --yes
f=$(grep -l '^To: .*ann@example.org' outbox/new/*)
rm -rf want
"$NEWSBEAT" render 301 --to ann@example.org --name "Ann .Dot" -o want >/dev/null 2>&1
check "outbox: parses cleanly" $CHECK "$f" --text got.txt --html got.html
check "outbox: decoded text part equals render's" cmp got.txt want/issue-301.txt
check "outbox: decoded HTML part equals render's" cmp got.html want/issue-301.html
done_testing
