#!/bin/bash
# A real browser (headless Chromium, driven over the DevTools protocol)
# subscribes through the form, follows the link in the confirmation mail
# (captured by a real SMTP server on loopback: aiosmtpd), confirms, then
# unsubscribes with the button — each step checked in the store.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/serve-lib.sh"
command -v chromium >/dev/null || skip_all "chromium not installed (scripts/install-deps --test)"
$PY -c 'import aiosmtpd' 2>/dev/null || skip_all "python3-aiosmtpd not installed (scripts/install-deps --test)"
serve_setup
SMTP=$(free_port)
mkdir got
$PY "$SRCDIR/tests/tools/smtp_capture.py" "$SMTP" got 2>smtp.log & CAP=$!
at_exit "kill $CAP 2>/dev/null"
wait_port "$SMTP" || echo "# the capture server did not start"
printf '[smtp]\nurl = smtp://127.0.0.1:%s\ntls = none\ntimeout = 10\n' "$SMTP" >> nl/config.ini
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
$PY "$SRCDIR/tests/e2e/serve-browser.py" "$BASE" got "$U" erin@example.org ./status.sh
