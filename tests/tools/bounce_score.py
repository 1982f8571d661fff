#!/usr/bin/python3
"""Score `newsbeat bounces scan --json` output against a labels.tsv.

usage: bounce_score.py LABELS.tsv SCAN.jsonl [--verbose]
Prints the confusion tables and TAP lines for the corpus bounds; exits 1
when a bound is missed.  Sisimai's own pseudo status codes (x.0.9xx, given
when the message carries no code at all) are not in the messages, so they
are left out of the status measure and counted apart.
"""
import collections, csv, json, os, re, sys

labels_path, scan_path = sys.argv[1], sys.argv[2]
verbose = "--verbose" in sys.argv
rows = collections.defaultdict(list)
with open(labels_path, newline="") as f:
    for r in csv.DictReader(f, delimiter="\t"):
        rows[r["file"]].append(r)
ours = {}
with open(scan_path, encoding="utf-8") as f:
    for line in f:
        o = json.loads(line)
        ours[os.path.basename(o["file"])] = o

n = 0
def tap(ok, msg):
    global n, failed
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, msg))
    if not ok:
        failed += 1
failed = 0

missing = [f for f in rows if f not in ours]
tap(not missing, "every labelled message was scanned (%d missing)" % len(missing))

agree = total = 0
false_hard, missed_hard = [], []
conf = collections.Counter()        # (label verdict, our verdict)
by_reason = collections.defaultdict(collections.Counter)
st_found = st_total = pseudo = 0
st_missed = []
fb_bad, vac_bad = [], []
fb_kind = {"abuse": "complaint", "fraud": "complaint", "virus": "complaint",
           "other": "complaint", "opt-out": "unsubscribe", "auth-failure": "report"}
for f, rs in sorted(rows.items()):
    o = ours.get(f)
    if not o:
        continue
    lab_hard = any(r["hardbounce"] == "true" for r in rs)
    our_hard = o["kind"] == "hard"
    total += 1
    agree += lab_hard == our_hard
    conf[("hard" if lab_hard else "not-hard", "hard" if our_hard else "not-hard")] += 1
    for r in rs:
        by_reason[r["reason"]][o["kind"]] += 1
    if our_hard and not lab_hard:
        false_hard.append((f, [r["reason"] for r in rs]))
    if lab_hard and not our_hard:
        missed_hard.append(f)
    statuses = {x["status"] for x in o["recipients"] if x.get("status")}
    for r in rs:
        s = r["status"]
        if not s:
            continue
        if re.match(r"^[245]\.0\.9\d\d$", s):
            pseudo += 1
            continue
        st_total += 1
        if s in statuses:
            st_found += 1
        else:
            st_missed.append((f, s, sorted(statuses)))
        if r["reason"] == "feedback":
            pass
    for r in rs:
        if r["reason"] == "feedback":
            want = fb_kind.get(r["extra"], "report")
            if o["kind"] != want or o.get("feedback_type") != r["extra"]:
                fb_bad.append((f, r["extra"], o["kind"], o.get("feedback_type")))
        if r["reason"] == "vacation" and o["kind"] != "autoreply":
            vac_bad.append((f, o["kind"]))

print("# hard verdict, label (rows) x newsbeat (columns), messages:")
print("#   %-10s %8s %8s" % ("", "hard", "not-hard"))
for lab in ("hard", "not-hard"):
    print("#   %-10s %8d %8d" % (lab, conf[(lab, "hard")], conf[(lab, "not-hard")]))
kinds = ["hard", "soft", "complaint", "unsubscribe", "report", "autoreply", "delayed", "delivered", "unknown"]
print("# label reason (rows, per recipient) x newsbeat message kind (columns):")
print("#   %-16s" % "" + "".join("%6s" % k[:6] for k in kinds))
for reason in sorted(by_reason):
    print("#   %-16s" % reason + "".join("%6d" % by_reason[reason][k] for k in kinds))
pct = 100.0 * agree / total if total else 0
spct = 100.0 * st_found / st_total if st_total else 0
print("# hard/not-hard agreement %d/%d = %.1f%%; status found %d/%d = %.1f%% (%d Sisimai pseudo codes left out)"
      % (agree, total, pct, st_found, st_total, spct, pseudo))
if verbose:
    for x in missed_hard: print("# missed hard:", x)
    for x in st_missed: print("# status missed:", x)
for x in false_hard: print("# FALSE HARD:", x)
for x in fb_bad: print("# feedback wrong:", x)
for x in vac_bad: print("# vacation wrong:", x)
tap(pct >= 95.0, "hard/not-hard agrees with the labels on >= 95%% of messages (%.1f%%)" % pct)
tap(spct >= 95.0, "the labelled status is found on >= 95%% of recipients (%.1f%%)" % spct)
tap(not fb_bad, "every feedback report is called by its Feedback-Type (%d wrong)" % len(fb_bad))
tap(not vac_bad, "every vacation notice is an autoreply (%d wrong)" % len(vac_bad))
tap(not false_hard, "no message is hard that the labels call not hard (%d)" % len(false_hard))
print("1..%d" % n)
sys.exit(1 if failed else 0)
