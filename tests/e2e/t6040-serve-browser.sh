#!/bin/bash
# A real browser (headless Chromium, driven over the DevTools protocol)
# subscribes through the form, follows the link in the confirmation mail
# (Maildir outbox), confirms, then unsubscribes with the button — each step
# checked in the store.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/serve-lib.sh"
command -v chromium >/dev/null || skip_all "chromium not installed (scripts/install-deps --test)"
serve_setup
has_store || skip_all "the subscriber store is not built yet"
serve_start
cat > status.sh <<EOS
#!/bin/sh
# The status of \$1 on 'members', from the CLI.
for s in pending active unsubscribed; do
	"$NEWSBEAT" -c "$TMP/nl/config.ini" subscribers list --list members --status \$s | grep -qF "\$1" && echo \$s
done
EOS
chmod +x status.sh
U="$BASE/unsubscribe?t=$($SERVE_TOOL token u erin@example.org members)"
$PY "$SRCDIR/tests/e2e/serve-browser.py" "$BASE" nl/outbox/new "$U" erin@example.org ./status.sh
