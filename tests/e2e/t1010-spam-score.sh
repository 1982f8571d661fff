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

tap_from $PY "$SRCDIR/tests/tools/spam_score.py" $(cat messages)
done_testing
