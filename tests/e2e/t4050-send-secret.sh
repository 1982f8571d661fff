#!/bin/sh
# A NEWSBEAT_SECRET shorter than 32 bytes is refused by `send` through a
# real SMTP server and by `serve`, with the way to make one; the Maildir
# outbox (nothing leaves the machine) still works without one.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
make_newsletter nl
cd nl
"$NEWSBEAT" subscribers add amara@example.org >/dev/null
short=0123456789abcdef0123456789abcde	# 31 bytes
check "the short secret is 31 bytes" test "${#short}" -eq 31

NEWSBEAT_SECRET=$short "$NEWSBEAT" send 42 --test editor@example.org --yes >/dev/null 2>&1
check "the Maildir outbox takes a short secret (nothing leaves the machine)" test $? -eq 0

port=$(free_port)
start_capture "$port" got || notok "capture server started"
smtp_config config.ini "smtp://127.0.0.1:$port"
NEWSBEAT_SECRET=$short "$NEWSBEAT" send 42 --yes >out 2>&1; rc=$?
check "send to a real server with a 31-byte secret: exit 2 (got $rc)" test "$rc" -eq 2
check "…names the variable and the length" grep -q "NEWSBEAT_SECRET is 31 bytes; it must be at least 32" out
check "…shows how to make one" grep -qF 'openssl rand -hex 32' out
NEWSBEAT_SECRET=$short "$NEWSBEAT" send 42 --test editor@example.org --yes >out 2>&1; rc=$?
check "send --test to a real server with a short secret: exit 2 (got $rc)" test "$rc" -eq 2
env -u NEWSBEAT_SECRET "$NEWSBEAT" send 42 --yes >out 2>&1; rc=$?
check "no secret at all: exit 2 (got $rc)" test "$rc" -eq 2
check "…shows how to make one" grep -qF 'openssl rand -hex 32' out
check "nothing reached the server" test -z "$(received got)"
check "nothing was recorded" sh -c "! '$NEWSBEAT' status 42 2>/dev/null | grep -q 'sent *[1-9]'"
NEWSBEAT_SECRET=${short}f "$NEWSBEAT" send 42 --yes >out 2>&1; rc=$?
check "32 bytes are enough: exit 0 (got $rc)" test "$rc" -eq 0
check "…and the message arrived" test "$(received got)" = amara@example.org

# serve refuses it too.
NEWSBEAT_SECRET=$short "$NEWSBEAT" serve --listen 127.0.0.1:$(free_port) >out 2>&1 &
spid=$!
for _ in $(seq 50); do kill -0 $spid 2>/dev/null || break; sleep 0.1; done
if kill -0 $spid 2>/dev/null; then kill $spid; notok "serve with a 31-byte secret refuses to start"
else wait $spid; rc=$?; check "serve with a 31-byte secret refuses to start: exit 2 (got $rc)" test "$rc" -eq 2; fi
check "…shows how to make one" grep -qF 'openssl rand -hex 32' out
done_testing
