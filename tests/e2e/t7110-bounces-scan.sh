#!/bin/sh
# newsbeat bounces scan on the fixtures in tests/fixtures/bounces: --json
# checked against expected.tsv with Python's json module, a Maildir, an
# mbox, the human output, JSON escaping, and the exit statuses.
. "$(dirname "$0")/lib.sh"
[ -x "$PY" ] || skip_all "no $PY"
FIX="$SRCDIR/tests/fixtures/bounces"

check "scan --json the fixture directory" sh -c '"$NEWSBEAT" bounces scan --json "$1/messages" >scan.jsonl 2>err' _ "$FIX"
check "--json prints no summary" test ! -s err
check "every line is a JSON object and matches expected.tsv" $PY - "$FIX/expected.tsv" scan.jsonl <<'PY'
import csv, json, os, sys
want = {r["file"]: r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t")}
got = {}
for line in open(sys.argv[2], encoding="utf-8"):
    o = json.loads(line)
    assert set(o) >= {"file", "kind", "recipients"}, o
    got[os.path.basename(o["file"])] = o
assert set(got) == set(want), (sorted(got), sorted(want))
bad = []
for f, w in want.items():
    o = got[f]
    if o["kind"] != w["kind"]:
        bad.append((f, "kind", o["kind"], w["kind"]))
    if w["address"]:
        r = o["recipients"][0]
        for k in ("address", "status", "reason"):
            if (r[k] or "") != w[k]:
                bad.append((f, k, r[k], w[k]))
        if r["kind"] != w["kind"]:
            bad.append((f, "recipient kind", r["kind"], w["kind"]))
        if r["blames_sender"] != (w["blames_sender"] == "1"):
            bad.append((f, "blames_sender", r["blames_sender"]))
    if w["kind"] in ("complaint", "report") or (w["kind"] == "unsubscribe" and w["address"]):
        if o.get("feedback_type") != w["extra"]:
            bad.append((f, "feedback_type", o.get("feedback_type")))
    if f == "mailto-unsubscribe.eml" and o.get("unsubscribe_token") != w["extra"]:
        bad.append((f, "unsubscribe_token", o.get("unsubscribe_token")))
for b in bad:
    print("# mismatch:", b)
sys.exit(1 if bad else 0)
PY

# A Maildir: cur/ and new/ are read, tmp/ is not.
mkdir -p md/cur md/new md/tmp
cp "$FIX/messages/postfix-userunknown.eml" md/cur/1.host:2,S
cp "$FIX/messages/vacation.eml" md/new/2.host
cp "$FIX/messages/arf-abuse.eml" md/tmp/3.host
"$NEWSBEAT" bounces scan --json md >md.jsonl
check "a Maildir: cur/ and new/, not tmp/" $PY -c '
import json, sys
kinds = sorted(json.loads(l)["kind"] for l in open("md.jsonl"))
sys.exit(kinds != ["autoreply", "hard"])'

# An mbox of three, one with a quoted From line.
for f in qmail-nomailbox.eml arf-optout.eml postfix-delayed.eml; do
	printf 'From MAILER-DAEMON Fri Nov 27 09:00:00 2026\n'
	cat "$FIX/messages/$f"
	printf '\n'
done >box
"$NEWSBEAT" bounces scan --json box >box.jsonl
check "an mbox: one line per message, named FILE#N" $PY -c '
import json, sys
o = [json.loads(l) for l in open("box.jsonl")]
sys.exit([(x["file"], x["kind"]) for x in o] != [("box#1", "hard"), ("box#2", "unsubscribe"), ("box#3", "delayed")])'

# The human output: one line per message, counts on stderr.
"$NEWSBEAT" bounces scan "$FIX/messages/qmail-nomailbox.eml" "$FIX/messages/gmail-spam.eml" >human.out 2>human.err
check "human output: a line per message with status and reason" \
	grep -q 'qmail-nomailbox.eml  hard  gone.away@qmail.example.com hard 5.1.1 userunknown' human.out
check "human output: blame on the sender said" grep -q 'spamdetected (blames the sender)' human.out
check "human output: counts by kind on stderr" grep -qx '2 messages, 1 hard, 1 soft' human.err

# JSON escaping: quotes, backslashes, a tab and a byte that is not UTF-8 in the server's words.
printf 'From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x.example\n\nFinal-Recipient: rfc822; q@x.example\nAction: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 "full" \\ box\tis\377 full\n\n--b--\n' >esc.eml
"$NEWSBEAT" bounces scan --json esc.eml >esc.jsonl
check "JSON escaping holds for quotes, backslashes and stray bytes" $PY -c '
import json, sys
o = json.loads(open("esc.jsonl", encoding="utf-8").read())
d = o["recipients"][0]["diagnostic"]
sys.exit(not (d.startswith("552 \"full\" \\ box is") and "\u00ff" in d and o["kind"] == "soft"))'

check_exit 1 "a file that cannot be read: exit 1" "$NEWSBEAT" bounces scan --json no-such.eml "$FIX/messages/vacation.eml" >missing.out 2>missing.err
check "...naming it, and the others are still scanned" sh -c 'grep -q "no-such.eml" missing.err && grep -q vacation.eml missing.out'
check_exit 2 "no file: a usage error" "$NEWSBEAT" bounces scan 2>/dev/null
check "--help describes scan" sh -c '"$NEWSBEAT" bounces scan --help | grep -q "bounces scan \[--json\]"'
check "scan needs no config.ini" sh -c 'mkdir -p cfg && cd cfg && "$NEWSBEAT" bounces scan "$1" >/dev/null 2>&1 && test ! -e config.ini' _ "$FIX/messages/vacation.eml"
done_testing
