#!/usr/bin/python3
"""Score messages with SpamAssassin's local rules and print TAP.

  spam_score.py FILE.eml...

One `spamassassin -t -L --mbox` run over an mbox of them all (the rules
load once; its reports come out in the order of the mbox).  A message
passes when it scores <= 0 and no rule with a positive score hits.  Every
rule hit is printed as a comment.  Exit 1 when any message fails.
"""
import email, email.policy, mailbox, os, re, subprocess, sys, tempfile

files = sys.argv[1:]
tmp = tempfile.mkdtemp(prefix="nb-spam-")
path = os.path.join(tmp, "all.mbox")
mb = mailbox.mbox(path, create=True)
for f in files:
    with open(f, "rb") as fh:
        mb.add(mailbox.mboxMessage(fh.read()))
mb.flush()
with open(path, "rb") as fh:
    run = subprocess.run(["spamassassin", "-t", "-L", "--mbox"], stdin=fh,
                         capture_output=True, text=True, timeout=600)
subprocess.run(["rm", "-rf", tmp])
reports = re.findall(r"Content analysis details:\s+\(([-0-9.]+) points.*?\n"
                     r" pts rule name.*?\n-+ -+ -+\n(.*?)(?:\n\n|\Z)", run.stdout, re.S)
n = failed = 0


def tap(ok, what):
    global n, failed
    n += 1
    failed += not ok
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, what))


tap(len(reports) == len(files),
    "spamassassin reported on all %d messages (%d reports)" % (len(files), len(reports)))
for f, (score, rules) in zip(files, reports):
    with open(f, "rb") as fh:
        msg = email.message_from_binary_file(fh, policy=email.policy.default)
    what = "%s to %s" % (msg["Subject"], msg["To"].addresses[0].addr_spec)
    hits = re.findall(r"^ ?(-?[0-9.]+) (\S+)\s+(.*)$", rules, re.M)
    for pts, rule, desc in hits:
        print("# %s: %5s %s %s" % (what, pts, rule, desc))
    bad = [r for p, r, d in hits if float(p) > 0]
    tap(float(score) <= 0 and not bad,
        "%s scores %s%s" % (what, score, " (positive: %s)" % ", ".join(bad) if bad else ""))
sys.exit(1 if failed else 0)
