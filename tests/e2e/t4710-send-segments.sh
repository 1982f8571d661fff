#!/bin/sh
# Segments: `send ISSUE --where KEY=VALUE` (repeatable, all must hold;
# KEY!=VALUE too) and `segment:` in the front matter send to the members
# of the list whose attributes match; the snapshot records the segment,
# status shows it, a resume keeps it and a resume with other terms is
# refused; an unknown attribute is an error naming the known ones;
# `subscribers list|count|export --where` select the same members; the
# unsubscribe link stays list-wide.  The README's Maildir set-up.
. "$(dirname "$0")/lib.sh"
NB=$NEWSBEAT
make_newsletter nl
cd nl || exit 2
cat > m.csv <<'CSV'
email,name,Country,Member type
ann@example.org,Ann,Italy,full
bob@example.org,Bob,France,student
cy@example.org,Cy,Italy,student
di@example.org,Di,,full
CSV
"$NB" subscribers import m.csv > /dev/null

# rcpts: the To addresses of the messages in outbox/new, sorted, one a line.
rcpts() {
	$PY - <<'PY'
import email, email.policy, glob
out = []
for m in glob.glob("outbox/new/*"):
    with open(m, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.strict)
    out.append(msg["To"].addresses[0].addr_spec)
print("\n".join(sorted(out)))
PY
}

# The subscribers commands.
check "list --where country=Italy" sh -c '"$NEWSBEAT" subscribers list --where country=Italy | cut -f1 > l.out &&
	printf "ann@example.org\ncy@example.org\n" | cmp -s - l.out'
check "count --where country=Italy --where member_type=student is 1" \
	test "$("$NB" subscribers count --where country=Italy --where member_type=student)" = 1
check "count --where country!=Italy counts those without a country too (2)" \
	test "$("$NB" subscribers count --where country!=Italy)" = 2
check "count --where country= counts those without one (1)" \
	test "$("$NB" subscribers count --where country=)" = 1
check "export --where member_type=full" sh -c '"$NEWSBEAT" subscribers export --where member_type=full > e.csv &&
	grep -q "^ann@example.org,Ann,Italy,full" e.csv && grep -q "^di@example.org,Di,,full" e.csv &&
	test "$(wc -l < e.csv)" -eq 3'
check_exit 2 "an unknown attribute is an error" "$NB" subscribers count --where contry=Italy 2> err
check "  naming the known ones" grep -q "contry.*the attributes are: country, member_type" err
check_exit 2 "a term without '=' is an error" "$NB" subscribers list --where Italy 2> err
check "  saying what to write" grep -q "KEY=VALUE" err

# send --where, then a resume.
check_exit 2 "send --where with an unknown attribute is refused" \
	"$NB" send 42 --yes --where contry=Italy > out 2> err
check "  naming the known ones" grep -q "the attributes are: country, member_type" err
check "  nothing sent" test -z "$(ls outbox/new 2>/dev/null)"
check_exit 0 "send 42 --where country=Italy --limit 1" \
	"$NB" send 42 --yes --where country=Italy --limit 1 > out 2> err
check "status shows the segment" sh -c '"$NEWSBEAT" status 42 > st &&
	grep -q "segment .*country=Italy" st && grep -q "issue 42: 2 recipients" st'
check "status --json has the segment and the counts" sh -c '"$NEWSBEAT" status 42 --json |
	/usr/bin/python3 -c "import json, sys; d = json.load(sys.stdin); sys.exit(0 if (d[\"segment\"],
		d[\"list\"], d[\"recipients\"], d[\"sent\"], d[\"pending\"], d[\"sent_yet\"]) ==
		(\"country=Italy\", \"members\", 2, 1, 1, True) else 1)"'
check "status --json of an issue not sent" sh -c '"$NEWSBEAT" status 41 --json |
	/usr/bin/python3 -c "import json, sys; d = json.load(sys.stdin); sys.exit(0 if not d[\"sent_yet\"] and d[\"segment\"] is None else 1)"'
check_exit 2 "a resume with another --where is refused" \
	"$NB" send 42 --yes --where country=France > out 2> err
check "  with the reason" grep -q "being delivered to the members with country=Italy" err
check_exit 0 "a resume without --where keeps the segment" "$NB" send 42 --yes > out 2> err
check "  only the Italian members got it, once each" \
	test "$(rcpts)" = "$(printf 'ann@example.org\ncy@example.org')"
check "the unsubscribe link is the list's, as for any member" $PY - <<'PY'
import email, email.policy, glob, subprocess, os, sys
for m in glob.glob("outbox/new/*"):
    with open(m, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.strict)
    if msg["To"].addresses[0].addr_spec == "ann@example.org":
        sent = msg["List-Unsubscribe"]
subprocess.run([os.environ["NEWSBEAT"], "render", "42", "--to", "ann@example.org", "-o", "pv"],
               check=True, capture_output=True)
with open("pv/issue-42.eml", "rb") as f:
    prev = email.message_from_binary_file(f, policy=email.policy.strict)
sys.exit(0 if sent == prev["List-Unsubscribe"] else 1)
PY

# segment: in the front matter, two terms, one negated.
sed 's/^issue: 42$/issue: 47/; s/^list: members$/list: members\nsegment: [member_type=student, country!=France]/' \
	issues/issue-42.md > issues/issue-47.md
rm -rf outbox
check_exit 0 "check accepts segment:" "$NB" check 47 > out 2> err
check_exit 0 "send 47 (segment: in the front matter)" "$NB" send 47 --yes --no-archive > out 2> err
check "  only cy (a student, not in France)" test "$(rcpts)" = "cy@example.org"
check "  status shows both terms" sh -c '"$NEWSBEAT" status 47 |
	grep -q "segment .*country!=France and member_type=student"'
check_exit 0 "--dry-run --where builds only the segment" \
	"$NB" send 41 --dry-run --where member_type=full > out 2> err
check "  two messages" grep -q "built 2 messages" out
sed 's/^issue: 42$/issue: 48/; s/^list: members$/list: members\nsegment: nosuch=1/' \
	issues/issue-42.md > issues/issue-48.md
check_exit 1 "check reports a segment: with an unknown attribute" "$NB" check 48 > out 2> err
check "  at its line, with the known ones" \
	grep -q "issue-48.md:[0-9]*: error: segment: no member of list 'members' has the attribute 'nosuch'; the attributes are: country, member_type" out
check_exit 2 "a segment: with an unknown attribute is refused by send" \
	"$NB" send 48 --yes --no-archive > out 2> err
check "  naming the file and line" grep -q "issues/issue-48.md:[0-9]*: segment: no member" err

# A value that matches nobody (they compare exactly: "italy" is not
# "Italy") is refused, not recorded as a finished issue of 0 recipients.
sed 's/^issue: 42$/issue: 49/' issues/issue-42.md > issues/issue-49.md
check_exit 2 "--where country=italy (nobody): refused" "$NB" send 49 --yes --no-archive --where country=italy > out 2> err
check "  saying nobody matches and nothing was recorded" \
	sh -c 'grep -q "has nobody among the members with country=italy" err && grep -q "nothing recorded" err'
check_exit 0 "  the right value then sends" "$NB" send 49 --yes --no-archive --where country=Italy > out 2> err
check "  to the two in Italy" grep -q "^sent 2," out

# --where in place of the front matter's segment:, then a resume with
# neither: it keeps the recorded segment (and says the front matter
# differs) instead of refusing the resume.
sed 's/^issue: 42$/issue: 50/; s/^list: members$/list: members\nsegment: [country=Italy]/' \
	issues/issue-42.md > issues/issue-50.md
check_exit 0 "send 50 --where country=France (overriding segment:)" \
	"$NB" send 50 --yes --no-archive --where country=France > out 2> err
check_exit 0 "a resume without --where is not refused" "$NB" send 50 --yes --no-archive > out 2> err
check "  it says the issue is complete for the recorded segment" grep -q "issue 50 is complete: 1 sent" out
check "  and warns that segment: differs from what was recorded" grep -q "segment: now says" err
done_testing
