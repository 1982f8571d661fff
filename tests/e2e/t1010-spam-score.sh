#!/bin/sh
# SpamAssassin's local rules (no network tests) on every message of the
# sample newsletter, as `make demo` sends them: each sample issue to each
# sample member through the Maildir outbox.  Our own markup must cost no
# points: every message scores <= 0 and no rule with a positive score
# hits.  Every rule hit is printed, so a new one is visible at once.
. "$(dirname "$0")/lib.sh"
command -v spamassassin >/dev/null || skip_all "spamassassin not installed (scripts/install-deps --test)"

make_newsletter nl
cp -r "$SRCDIR/data" nl/
cd nl
check "the sample members import" "$NEWSBEAT" subscribers import data/subscribers.csv
for f in issues/issue-*.md; do
	check "send $(basename "$f" .md) to the outbox" "$NEWSBEAT" send --yes "$f"
done
check "a preview of each issue renders too" sh -c '
	for f in issues/issue-*.md; do "$NEWSBEAT" render "$f" --to erin@example.org -o preview >/dev/null || exit 1; done'
ls outbox/new/* preview/*.eml > messages 2>/dev/null
check "there are messages to score ($(wc -l < messages))" test "$(wc -l < messages)" -gt 3

# One spamassassin run over an mbox of them all (rules load once); its
# reports come out in the order of the mbox.
$PY - messages > tap.out <<'PY'
import email, email.policy, mailbox, re, subprocess, sys
files = open(sys.argv[1]).read().split()
mb = mailbox.mbox("all.mbox", create=True)
for f in files:
    mb.add(mailbox.mboxMessage(open(f, "rb").read()))
mb.flush()
run = subprocess.run(["spamassassin", "-t", "-L", "--mbox"], stdin=open("all.mbox", "rb"),
                     capture_output=True, text=True, timeout=600)
reports = re.findall(r"Content analysis details:\s+\(([-0-9.]+) points.*?\n"
                     r" pts rule name.*?\n-+ -+ -+\n(.*?)(?:\n\n|\Z)", run.stdout, re.S)
n = 0
def tap(ok, what):
    global n
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, what))
tap(len(reports) == len(files), "spamassassin reported on all %d messages (%d reports)" % (len(files), len(reports)))
for f, (score, rules) in zip(files, reports):
    msg = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    what = "%s to %s" % (msg["Subject"], msg["To"].addresses[0].addr_spec)
    hits = re.findall(r"^ ?(-?[0-9.]+) (\S+)\s+(.*)$", rules, re.M)
    for pts, rule, desc in hits:
        print("# %s: %5s %s %s" % (what, pts, rule, desc))
    bad = [r for p, r, d in hits if float(p) > 0]
    tap(float(score) <= 0 and not bad,
        "%s scores %s%s" % (what, score, " (positive: %s)" % ", ".join(bad) if bad else ""))
PY
# Renumber the Python part's lines after ours.
while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok * - }" ;;
	"not ok "*) notok "${line#not ok * - }" ;;
	*) echo "$line" ;;
	esac
done < tap.out
check "the scoring ran" test -s tap.out
done_testing
