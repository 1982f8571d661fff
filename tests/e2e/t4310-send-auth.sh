#!/bin/sh
# SMTP AUTH over STARTTLS: the password comes from the environment variable
# [smtp] password_env names; a refused login stops the run without marking
# anybody failed; a username without its password is refused before any
# connection.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
command -v openssl >/dev/null || skip_all "no openssl to make a test certificate"
make_newsletter nl
cd nl
"$NEWSBEAT" subscribers add ann@example.org >/dev/null
"$NEWSBEAT" subscribers add bob@example.org >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
	-subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
port=$(free_port)
start_capture "$port" got --cert cert.pem --key key.pem --auth 'news:s3cret pass' ||
	notok "capture server with AUTH started"
mk_issue 110
smtp_config config.ini "smtp://127.0.0.1:$port" ca_file=cert.pem username=news \
	password_env=RELAY_PASSWORD timeout=5

timeout 60 "$NEWSBEAT" send 110 --yes >out 2>err
check "username without the password variable: exit 2" test $? -eq 2
check "  naming the variable to export" grep -q "RELAY_PASSWORD" err
check "  no connection was made" test ! -e got/auth.log

RELAY_PASSWORD=wrong timeout 60 "$NEWSBEAT" send 110 --yes >out 2>err
check "wrong password: exit 1" test $? -eq 1
check "  the run stops on the refused login" grep -qi "sending stopped:.*\(login\|auth\)" err
check "  the server saw the login refused" grep -q "^news refused" got/auth.log
check "  nothing delivered, nobody failed, both pending" \
	sh -c 'test -z "$(ls got/*.env 2>/dev/null)" && "$NEWSBEAT" status 110 | grep -q "^  pending *2$"'

RELAY_PASSWORD='s3cret pass' timeout 60 "$NEWSBEAT" send 110 --yes >out 2>err
check "the password from RELAY_PASSWORD: delivered (exit 0)" test $? -eq 0
check "  the server saw the login accepted" grep -q "^news ok" got/auth.log
check "  both, once each" test "$(received got | tr '\n' ' ')" = "ann@example.org bob@example.org "
check "  the password is nowhere in the output" sh -c '! grep -q "s3cret" out err'
stop_capture
done_testing
