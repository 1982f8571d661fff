#!/bin/sh
# Messages that read right: the run summary and the issue total never
# disagree about what is left to retry (a 4xx retried and sent in the same
# run is a temporary failure, not "to retry"); --test to the Maildir says
# where it wrote; a send with the development key to the Maildir warns, as
# render does, that its links will not work against a real serve; serve
# logs each refused link with the reason, never the token or the secret.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
NB=$NEWSBEAT
make_newsletter nl
cd nl || exit 2
printf 'email,name\nann@example.org,Ann\nbob@example.org,Bob\n' > m.csv
"$NB" subscribers import m.csv > /dev/null

# bob is refused with a 451 once; the retry falls due within this run.
port=$(free_port)
start_capture "$port" got --fault bob:rcpt:451:once || notok "capture server started"
smtp_config smtp.ini "smtp://127.0.0.1:$port" connections=1 retry_backoff=1 retry_wait=10 timeout=5
check_exit 0 "send with one 4xx retried in the run" "$NB" -c smtp.ini send 42 --yes > out 2> err
stop_capture
check "  both delivered" test "$(received got | tr '\n' ' ')" = "ann@example.org bob@example.org "
check "  the issue total says nothing is left to retry" grep -q "^issue total: 2 sent, 0 failed, 0 to retry" out
check "  and the run's line does not say otherwise" sh -c '! grep -v "^issue total" out | grep -q "to retry [1-9]"'
check "  the run counts the temporary failure" grep -q "^1 temporary failure (4xx, timeout or lost connection) in this run" out

# The Maildir, without NEWSBEAT_SECRET.
unset NEWSBEAT_SECRET
check_exit 0 "--test to the Maildir" "$NB" send 41 --test ann@example.org > out 2> err
check "  says where it wrote" grep -q "^test message for ann@example.org delivered to .*/outbox/new/" out
check "  and that file exists" test -f "$(sed -n 's/.* delivered to //p' out)"
check "  warns about the development key, as render does" \
	grep -q "development key, so they will not work against a real 'newsbeat serve'" err
check_exit 0 "a send to the Maildir" "$NB" send 41 --yes > out 2> err
check "  warns about the development key too" grep -q "development key, so they will not work" err
export NEWSBEAT_SECRET=e2e-secret-0123456789abcdef0123456789abcdef
check_exit 0 "with a secret, a send to the Maildir" "$NB" send 40 --yes > out 2> err
check "  has no such warning" sh -c '! grep -q "development key" err'

# serve: each refused link in the log, with the reason.
command -v curl > /dev/null || { ok "# SKIP no curl"; done_testing; exit; }
cd .. || exit 2
. "$SRCDIR/tests/e2e/serve-lib.sh"
serve_setup
serve_start
good=$($SERVE_TOOL token u ann@example.org members)
forged=$(NEWSBEAT_SECRET=another-secret-0123456789abcdef0123456789 $SERVE_TOOL token u ann@example.org members)
curl -s -o /dev/null "$BASE/unsubscribe?t=$forged"
curl -s -o /dev/null "$BASE/unsubscribe?t=$(printf %s "$good" | cut -c1-20)"
curl -s -o /dev/null "$BASE/unsubscribe"
curl -s -o /dev/null "$BASE/confirm?t=$good"
serve_stop
check "serve logs a forged link: the signature" \
	grep -q "refused unsubscribe link: the signature does not match: signed with another secret" serve.log
check "  a cut link" grep -q "refused unsubscribe link: malformed: cut short or changed" serve.log
check "  a link without a token" grep -q "refused unsubscribe link: the link has no token" serve.log
check "  an unsubscribe token in a confirm link" grep -q "refused confirm link: a token made for another kind of link" serve.log
check "  never the token itself" sh -c '! grep -qF -- "$0" serve.log && ! grep -qF -- "$1" serve.log' "$forged" "$good"
check "  nor the secret" sh -c '! grep -q "$0" serve.log' "$NEWSBEAT_SECRET"
done_testing
