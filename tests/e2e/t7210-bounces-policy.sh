#!/bin/sh
# newsbeat bounces end to end: three issues sent with VERP to 30
# subscribers through the capture server, reports built from the captured
# envelopes (hard, soft across three issues, soft with a clean issue
# between, a complaint (ARF), an auto-reply, a delayed notice, a
# rejection that blames the sender, mailto unsubscribes with a valid and
# a forged token), fed one at a time by --stdin as an MTA pipes them.
# Every subscriber's status and 'status ISSUE' are checked; feeding the
# same messages again changes nothing; --dry-run changes nothing; a busy
# database answers 75 so the MTA retries.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
. "$SRCDIR/tests/e2e/bounce-lib.sh"
bounces_built
sent_newsletter
check "three issues of 30 messages captured" test "$(ls got42/*.env got43/*.env got44/*.env | wc -l)" -eq 90
the_reports

fed=1
while read -r f; do
	"$NEWSBEAT" bounces --stdin < "$f" >>out.txt 2>>err.txt || { fed=0; echo "# $f: exit $?"; }
done < reports
check "every report is accepted by --stdin (exit 0)" test $fed -eq 1

"$NEWSBEAT" subscribers list > after1.txt
check_statuses after1.txt
check "the forged token is reported" grep -q "does not verify" out.txt
check "the sender-blamed rejection warns" grep -q "blames the sending set-up" err.txt
check "the unknown message is said to be unrecognised" grep -q "not recognised" err.txt
check "and kept in the Maildir beside the database" sh -c 'grep -l "Just saying hi" newsbeat-unrecognized/new/* | grep -q .'

"$NEWSBEAT" status 42 > s42.txt
check "status 42: one bounced" grep -q "^  bounced  *1$" s42.txt
check "status 42 lists member1 with the diagnostic" grep -q "^bounced .*member1@example.org  5.1.1  .*User unknown" s42.txt
"$NEWSBEAT" status 43 > s43.txt 2>s43.err
check "status 43: one complained" grep -q "^  complained  *1$" s43.txt
check "status 43: the refusal that blames the sender, with a warning" \
	sh -c 'grep -q "^  refused  *1" s43.txt && grep -q "blamed the sending set-up" s43.err'
"$NEWSBEAT" status 44 > s44.txt
check "status 44: member2's soft bounce that reached the limit" grep -q "^soft .*member2@example.org" s44.txt

# Again: nothing changes.
journal_bounces > journal1.txt
: > out2.txt
while read -r f; do "$NEWSBEAT" bounces --stdin < "$f" >>out2.txt 2>/dev/null; done < reports
"$NEWSBEAT" subscribers list > after2.txt
check "a second pass changes no status" cmp after1.txt after2.txt
journal_bounces > journal2.txt
check "nor any journal row" cmp journal1.txt journal2.txt
check "the unrecognised message is kept once" test "$(ls newsbeat-unrecognized/new | wc -l)" -eq 1
check "and says each report was already handled" test "$(grep -c ', already handled' out2.txt)" -eq 12

# --dry-run: says what it would do, changes nothing.
report hard 43 10
check "--dry-run --stdin accepts a new hard bounce" sh -c '"$NEWSBEAT" bounces --stdin --dry-run < r-hard-43-10.eml > dry.txt'
check "and says member10 would be bounced" grep -q "member10@example.org.*would be bounced" dry.txt
check "member10 is still active" sh -c '"$NEWSBEAT" subscribers list | grep -q "^member10@example.org	active"'
check "the real run then bounces member10" sh -c '"$NEWSBEAT" bounces --stdin < r-hard-43-10.eml | grep -q "member10@example.org.*bounced"'

# --json: one object per message.
report soft 42 11
"$NEWSBEAT" bounces --stdin --json < r-soft-42-11.eml > one.json 2>/dev/null
check "--json prints one object with the action" $PY -c '
import json, sys
lines = open("one.json").read().splitlines()
o = json.loads(lines[0])
assert len(lines) == 1, lines
assert o["kind"] == "soft" and o["actions"][0]["email"] == "member11@example.org", o
assert o["actions"][0]["issue"] == 42 and o["actions"][0]["by"] == "verp", o
'

# A busy database: 75, so the MTA keeps the message and retries.
report hard 44 12
$PY -c '
import sqlite3, time, sys
c = sqlite3.connect("newsbeat.db", isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open("locked", "w").close()
time.sleep(8)
' & locker=$!
at_exit "kill $locker 2>/dev/null"
while [ ! -e locked ]; do sleep 0.1; done
check_exit 75 "a locked database: exit 75 (EX_TEMPFAIL)" sh -c '"$NEWSBEAT" bounces --stdin < r-hard-44-12.eml >/dev/null 2>busy.err'
check "saying the database is busy" grep -q "busy" busy.err
wait $locker
check "member12 untouched while busy" sh -c '"$NEWSBEAT" subscribers list | grep -q "^member12@example.org	active"'
check "the retry then handles it" sh -c '"$NEWSBEAT" bounces --stdin < r-hard-44-12.eml | grep -q "member12@example.org.*bounced"'

check_exit 2 "no [bounces] mailbox and no --stdin: a usage error" sh -c '"$NEWSBEAT" bounces 2>nombox.err'
check "  saying what to set" grep -q "set \[bounces\] mailbox" nombox.err
check_exit 2 "--stdin with --mailbox is a usage error" sh -c '"$NEWSBEAT" bounces --stdin --mailbox maildir:x 2>/dev/null'

# A config that cannot be used: the MTA must keep the message (75), not
# bounce the bounce (2); without --stdin it stays a usage error.
{ cat config.ini; printf '[bouncez]\nmailbox = maildir:x\n'; } > broken.ini
check_exit 75 "--stdin with a broken config: exit 75, the MTA keeps the message" \
	sh -c '"$NEWSBEAT" -c broken.ini bounces --stdin < "$0" 2>broken.err' "$(head -1 reports)"
check "  and says what is wrong with the config" grep -q "bouncez" broken.err
check_exit 2 "the same config without --stdin: a usage error" \
	sh -c '"$NEWSBEAT" -c broken.ini bounces --mailbox maildir:x 2>/dev/null'

# Without send's secret nothing could be verified, yet the message would be
# consumed: a mailto unsubscribe lost for good.  The MTA must keep it (75)
# until the pipe has the secret; a mailbox is not read at all (2).
report unsubscribe 44 13
check_exit 75 "no NEWSBEAT_SECRET, --stdin: exit 75, the MTA keeps the unsubscribe" \
	sh -c 'env -u NEWSBEAT_SECRET "$0" bounces --stdin < r-unsubscribe-44-13.eml 2>nosecret.err' "$NEWSBEAT"
check "  naming the variable and what to do" \
	grep -q "NEWSBEAT_SECRET is not set: bounces needs the secret 'send' signs" nosecret.err
check "  member13 untouched" sh -c '"$NEWSBEAT" subscribers list | grep -q "^member13@example.org	active"'
check "  and with the secret the retry unsubscribes member13 (not 'already handled')" \
	sh -c '"$NEWSBEAT" bounces --stdin < r-unsubscribe-44-13.eml | grep -q "member13@example.org.*unsubscribed"'
mkdir -p mbox-ns/new mbox-ns/cur mbox-ns/tmp
cp r-hard-43-10.eml mbox-ns/new/1.eml
check_exit 2 "no NEWSBEAT_SECRET, --mailbox: refused (exit 2)" \
	sh -c 'env -u NEWSBEAT_SECRET "$0" bounces --mailbox maildir:mbox-ns 2>/dev/null' "$NEWSBEAT"
check "  the message is left where it was" test -e mbox-ns/new/1.eml
check_exit 75 "a secret under 32 bytes: refused too" \
	sh -c 'NEWSBEAT_SECRET=short "$0" bounces --stdin < r-unsubscribe-44-13.eml 2>short.err' "$NEWSBEAT"
check "  saying how long it must be" grep -q "at least 32" short.err

# A report anyone could write: a DSN to the untagged bounce address,
# naming a member, quoting no message of ours.  With VERP on it changes
# nothing; with verp = no the address is all there is to go by.
cat > forged.eml <<'EOF2'
From: MAILER-DAEMON@mx.example.net
To: bounces@example.org
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

Your message could not be delivered.
--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; member14@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown
--b--
EOF2
"$NEWSBEAT" bounces --stdin < forged.eml > forged.out 2>&1
check "a DSN naming a member by address alone, VERP on: nothing changed" \
	sh -c '"$NEWSBEAT" subscribers list | grep -q "^member14@example.org	active"'
check "  saying why" grep -q "an address alone (which anyone can write) changes nothing" forged.out
{ cat config.ini; printf '[bounces]\nverp = no\n'; } | awk '!(/^\[bounces\]/ && seen++)' > noverp.ini
# (Another message: the same one again would be 'already handled'.)
sed 's/^Subject: .*/Subject: Delivery Status Notification (Failure)/' forged.eml |
	"$NEWSBEAT" -c noverp.ini bounces --stdin > noverp.out 2>&1
check "  with verp = no, the address is matched: member14 bounced" \
	sh -c '"$NEWSBEAT" subscribers list | grep -q "^member14@example.org	bounced"'
done_testing
