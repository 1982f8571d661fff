#!/bin/sh
# newsbeat bounces --mailbox maildir:DIR: the reports of t7210 delivered
# into a Maildir, read in one run; every subscriber's status as with
# --stdin; handled messages moved to the .newsbeat-processed folder, the
# unrecognisable one to .newsbeat-unrecognized (never deleted); the
# counts by kind and by issue at the end; --dry-run touches neither the
# store nor a file; the same messages delivered again change nothing.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
. "$SRCDIR/tests/e2e/bounce-lib.sh"
bounces_built
sent_newsletter
the_reports
mkdir -p md/new md/cur md/tmp
n=0
while read -r f; do n=$((n + 1)); cp "$f" "md/new/100$n.$f"; done < reports
printf '[bounces]\nmailbox = maildir:md\n' >> config.ini
state() { (cd md && find . -type f | sort); }

state > before.txt
"$NEWSBEAT" subscribers list > subs0.txt
check "--dry-run reads the Maildir" sh -c '"$NEWSBEAT" bounces --dry-run > dry.txt 2>dry.err'
check "and says what it would do" grep -q "member1@example.org.*would be bounced" dry.txt
state > after-dry.txt
check "--dry-run moves no file" cmp before.txt after-dry.txt
"$NEWSBEAT" subscribers list > subs1.txt
check "--dry-run changes no status" cmp subs0.txt subs1.txt

check "bounces reads [bounces] mailbox" sh -c '"$NEWSBEAT" bounces > out.txt 2>err.txt'
"$NEWSBEAT" subscribers list > after.txt
check_statuses after.txt
check "every handled message is in .newsbeat-processed" test "$(ls md/.newsbeat-processed/new md/.newsbeat-processed/cur 2>/dev/null | grep -c r-)" -eq 12
check "the unrecognisable one is in .newsbeat-unrecognized" sh -c 'ls md/.newsbeat-unrecognized/new md/.newsbeat-unrecognized/cur | grep -q r-unknown'
check "nothing is left in the inbox" test -z "$(find md/new md/cur -type f)"
check "the summary counts by kind" grep -q "^13 messages, hard 1, .*soft 6" out.txt
check "and by issue" grep -q "^  issue 42: hard 1, soft 2, .*subscribers bounced 1" out.txt
check "and warns about the issue whose rejection blamed the sender" grep -q "issue 43: 1 rejection blamed the sending set-up" err.txt

# The same messages arrive again (a crash before the move, say).
journal_bounces > j1.txt
n=0
while read -r f; do n=$((n + 1)); cp "$f" "md/new/200$n.$f"; done < reports
check "a rerun over the same messages" sh -c '"$NEWSBEAT" bounces --mailbox maildir:md > out2.txt 2>/dev/null'
check "finds every report already handled" test "$(grep -c ', already handled' out2.txt)" -eq 12
"$NEWSBEAT" subscribers list > after2.txt
check "changes no status" cmp after.txt after2.txt
journal_bounces > j2.txt
check "and no journal row" cmp j1.txt j2.txt

# --json: one object per message, the summary on stderr.
n=0
while read -r f; do n=$((n + 1)); cp "$f" "md/new/300$n.$f"; done < reports
"$NEWSBEAT" bounces --json > out.json 2>json.err
check "--json: one object per message" $PY -c '
import json
objs = [json.loads(l) for l in open("out.json")]
assert len(objs) == 13, len(objs)
assert sum(o["duplicate"] for o in objs) == 12, objs
assert {o["disposition"] for o in objs} == {"processed", "unrecognized"}, objs
'
check_exit 1 "a Maildir that does not exist: exit 1" sh -c '"$NEWSBEAT" bounces --mailbox maildir:nowhere 2>err3.txt'
check "  with an error naming it" grep -q "nowhere" err3.txt
check_exit 2 "a mailbox spec that cannot be read: a usage error (exit 2)" \
	sh -c '"$NEWSBEAT" bounces --mailbox "imaps://bounces:hunter2/INBOX" 2>err4.txt'
check "  refusing the password without repeating it" \
	sh -c 'grep -q "a password in the mailbox spec is refused" err4.txt && ! grep -q hunter2 err4.txt'
done_testing
