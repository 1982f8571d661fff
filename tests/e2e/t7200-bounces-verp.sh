#!/bin/sh
# VERP: with [bounces] verp = yes (the default) every message's MAIL FROM
# is LOCAL+TOKEN@DOMAIN, and TOKEN, checked by an independent decoder
# (tests/tools/bounce_mail.py: the MAC recomputed in Python), names the
# journal row of exactly that envelope's recipient.  An envelope sender
# that cannot carry a tag, or verp = no, sends the plain address.  A 5xx
# refusal at RCPT counts as a hard bounce and 'status' shows it.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
BMAIL="$PY $SRCDIR/tests/tools/bounce_mail.py"
make_newsletter nl
cd nl
i=1
while [ $i -le 30 ]; do
	"$NEWSBEAT" subscribers add "member$i@example.org" >/dev/null || notok "add member$i"
	i=$((i + 1))
done
port=$(free_port)
# member30's server refuses it at RCPT with 5.1.1 (bad mailbox): a hard bounce
# at send time.  A bare 550 that says neither is a plain failure (t4060).
start_capture "$port" got --fault member30@:rcpt:550/5.1.1 || notok "capture server started"
smtp_config config.ini "smtp://127.0.0.1:$port" envelope_from=bounces@example.org connections=3

check_exit 1 "send issue 42 over SMTP (exit 1: one refused)" sh -c '"$NEWSBEAT" send 42 --yes >/dev/null 2>&1'
check "29 envelopes captured (member30 refused)" test "$(ls got/*.env | wc -l)" -eq 29
check "every MAIL FROM is bounces+TOKEN@example.org" \
	sh -c '! grep "^MAIL FROM" got/*.env | grep -v "MAIL FROM bounces+[0-9a-z-]*@example.org$"'
check "every token decodes to its own recipient's journal row" $BMAIL verp-check newsbeat.db "$NEWSBEAT_SECRET" got/*.env
check "the 29 tokens are all different" test "$(sed -n 's/^MAIL FROM //p' got/*.env | sort -u | wc -l)" -eq 29
check "the 5xx at RCPT counts as a hard bounce: member30 bounced" \
	sh -c '"$NEWSBEAT" subscribers list | grep -q "^member30@example.org	bounced"'
"$NEWSBEAT" status 42 > s42.txt
check "status 42 shows one bounced" grep -q "^  bounced  *1$" s42.txt
check "with the server's reply" grep -q "^bounced .*member30@example.org  .*550 5.1.1 fault injected" s42.txt
mk_issue 43
check "a second issue" "$NEWSBEAT" send 43 --yes
check "its tokens decode too (58 envelopes: member30 is suppressed)" $BMAIL verp-check newsbeat.db "$NEWSBEAT_SECRET" got/*.env

# An envelope sender that already carries a tag: no VERP, said so.
rm -f got/*
smtp_config config.ini "smtp://127.0.0.1:$port" envelope_from=bounces+list@example.org
mk_issue 44
"$NEWSBEAT" send 44 --yes 2>err.txt
check "a tagged envelope sender sends" test "$(ls got/*.env | wc -l)" -eq 29
check "with the plain envelope" sh -c '! grep "^MAIL FROM" got/*.env | grep -v "MAIL FROM bounces+list@example.org$"'
check "and a warning that says why" grep -q "cannot carry a '+' tag" err.txt

# verp = no
rm -f got/*
smtp_config config.ini "smtp://127.0.0.1:$port" envelope_from=bounces@example.org
printf '[bounces]\nverp = no\n' >> config.ini
mk_issue 45
check "verp = no sends" "$NEWSBEAT" send 45 --yes
check "with the plain envelope sender" sh -c '! grep "^MAIL FROM" got/*.env | grep -v "MAIL FROM bounces@example.org$"'
done_testing
