#!/bin/sh
# newsbeat send: the Maildir outbox by default, then a real SMTP server on
# loopback (aiosmtpd capture); every message parsed back by Python's email
# package; resume sends nothing twice; unsubscribed members are skipped.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
	skip_all "python3-aiosmtpd is not installed (scripts/install-deps --test)"
make_newsletter nl
cd nl
CHECK="$PY $SRCDIR/tests/tools/eml_check.py"

"$NEWSBEAT" subscribers add amara@example.org --name "Amara Okafor" >/dev/null
"$NEWSBEAT" subscribers add zoe@example.org --name "Zoë Müller" >/dev/null
"$NEWSBEAT" subscribers add li@example.org --name "李明" >/dev/null
"$NEWSBEAT" subscribers add gone@example.org --name "Gone Away" >/dev/null
"$NEWSBEAT" subscribers remove gone@example.org >/dev/null

check_exit 2 "without a terminal and without --yes, send refuses" "$NEWSBEAT" send 42 </dev/null
check "nothing was written" test ! -d outbox/new -o -z "$(ls outbox/new 2>/dev/null)"
check "--dry-run renders and delivers nothing" "$NEWSBEAT" send 42 --dry-run
check "still nothing in the outbox" test -z "$(ls outbox/new 2>/dev/null)"

check "send --yes to the Maildir outbox" "$NEWSBEAT" send 42 --yes
check "three messages in outbox/new" test "$(ls outbox/new | wc -l)" -eq 3
ok_all=1
for f in outbox/new/*; do $CHECK "$f" >/dev/null || ok_all=0; done
check "every outbox message passes eml_check" test $ok_all -eq 1
check "the unsubscribed member got nothing" sh -c '! grep -l "^To:.*gone@example.org" outbox/new/*'
check "a second send resumes and sends nothing" "$NEWSBEAT" send 42 --yes
check "still three messages" test "$(ls outbox/new | wc -l)" -eq 3
check "status reports three sent" sh -c '"$NEWSBEAT" status 42 | grep -q "sent.*3\|3.*sent"'

check "--test sends one [TEST] copy" "$NEWSBEAT" send 41 --test editor@example.org --yes
check "exactly one message for issue 41" test "$(grep -l '^Archived-At: <https://news.example.org/issues/issue-41.html>' outbox/new/* | wc -l)" -eq 1
check "its subject is prefixed" sh -c 'grep -l "issue-41.html" outbox/new/* | xargs grep -q "^Subject: \[TEST\]"'
# The test copies' Message-IDs: not the real issue's (a client that saw the
# test would drop the real message as a duplicate), nor each other's.
"$NEWSBEAT" subscribers add editor@example.org >/dev/null
check "a second --test copy" "$NEWSBEAT" send 41 --test editor@example.org --yes
check "the real send of 41" "$NEWSBEAT" send 41 --yes
grep -l '^To:.*editor@example.org' $(grep -l 'issue-41.html' outbox/new/*) | xargs grep -h '^Message-ID:' | sort > ids41
check "three messages to the editor for 41, three distinct Message-IDs" \
	sh -c 'test "$(wc -l < ids41)" = 3 && test "$(uniq ids41 | wc -l)" = 3'
"$NEWSBEAT" subscribers remove editor@example.org >/dev/null

# A real SMTP server on loopback.
port=$(free_port)
$PY "$SRCDIR/tests/tools/smtp_capture.py" "$port" got & cap=$!
at_exit "kill $cap 2>/dev/null"
wait_port "$port" || notok "capture server started"
printf '[smtp]\nurl = smtp://127.0.0.1:%s\nconnections = 2\n' "$port" > config.ini
check_exit 2 "a real SMTP server without NEWSBEAT_SECRET is refused" "$NEWSBEAT" send 40 --yes
export NEWSBEAT_SECRET=e2e-secret-0123456789abcdef0123456789abcdef
check "send over SMTP" "$NEWSBEAT" send 40 --yes
sleep 0.5
check "three messages arrived" test "$(ls got/*.eml 2>/dev/null | wc -l)" -eq 3
for who in amara:"Amara Okafor" zoe:"Zoë Müller" li:"李明"; do
	addr=${who%%:*}@example.org name=${who#*:}
	env=$(grep -l "RCPT TO $addr" got/*.env)
	eml=${env%.env}.eml
	check "$addr: one transaction, one recipient" test "$(grep -c '^RCPT TO' "$env")" -eq 1
	check "$addr: parses cleanly" $CHECK "$eml" --text got.txt --html got.html
	"$NEWSBEAT" render 40 --to "$addr" --name "$name" -o want >/dev/null 2>&1
	check "$addr: decoded text part equals render's" cmp got.txt want/issue-40.txt
	# render's .html shows images in issues/assets/ from their files.
	sed 's|src="https://news.example.org/assets/|src="../issues/assets/|g' got.html > view.html
	check "$addr: decoded HTML part equals render's, local images from the files" \
		cmp view.html want/issue-40.html
	check "$addr: personalized" grep -q "Dear $name," got.txt
done
done_testing
