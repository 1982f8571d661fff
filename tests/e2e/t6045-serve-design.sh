#!/bin/bash
# The pages of `newsbeat serve` and the confirmation e-mail in headless
# Chromium, in the light and the dark scheme: WCAG AA contrast for every
# visible text run and control (page-check.py contrast), through the real
# flow (the form, its error, "check your inbox", the link in the mail,
# the confirm and unsubscribe buttons, a bad link).  The confirmation
# e-mail must also fit a 375 px screen with its <style> removed, and score
# no spam points.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/serve-lib.sh"
command -v chromium >/dev/null || skip_all "chromium not installed (scripts/install-deps --test)"
PAGE_CHECK="$PY $SRCDIR/tests/e2e/page-check.py"
submit='document.forms[0].submit()'
serve_setup
serve_start

tap_from $PAGE_CHECK contrast "$BASE/subscribe" \
	"js:document.getElementById('email').value = 'not-an-address'; $submit" \
	"js:document.getElementById('email').value = 'erin@example.org'; $submit"
for _ in $(seq 100); do
	ls nl/outbox/new/* >/dev/null 2>&1 && break
	sleep 0.1
done
mail=$(ls nl/outbox/new/* 2>/dev/null | head -n 1)
check "the confirmation e-mail is in the outbox" test -n "$mail"
confirm=$($PY - "$mail" confirm.html <<'PY'
import email, email.policy, re, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.strict)
open(sys.argv[2], "w").write(m.get_body(("html",)).get_content())
print(re.findall(r"https?://\S+/confirm\?t=[A-Za-z0-9_.-]+", m.get_body(("plain",)).get_content())[0])
PY
)
check "…with an HTML part and a confirm link" test -s confirm.html -a -n "$confirm"

U="$BASE/unsubscribe?t=$($SERVE_TOOL token u erin@example.org members)"
tap_from $PAGE_CHECK contrast "file://$TMP/confirm.html" "$confirm" "js:$submit" "$U" "js:$submit" \
	"$BASE/unsubscribe?t=not-a-token"
tap_from $PAGE_CHECK overflow 375 --no-style "file://$TMP/confirm.html"
tap_from $PAGE_CHECK overflow 375 "file://$TMP/confirm.html" "$BASE/subscribe"
tap_from $PAGE_CHECK overflow 640 "file://$TMP/confirm.html"
if command -v spamassassin >/dev/null; then
	tap_from $PY "$SRCDIR/tests/tools/spam_score.py" "$mail"
else
	echo "# SKIP the spam score: spamassassin not installed (scripts/install-deps --test)"
fi
done_testing
