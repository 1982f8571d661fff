#!/bin/sh
# TLS: STARTTLS and implicit TLS (smtps://) against loopback servers with a
# self-signed certificate made here.  Certificates are verified: without
# [smtp] ca_file the send stops and nothing is delivered, even though the
# server would take mail in plain text; with ca_file it goes through.
# TLS is required for a host that is not loopback: checked against the
# configuration and against this machine's own name when it resolves to
# loopback (nothing but loopback is ever contacted).
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/send-lib.sh"
command -v openssl >/dev/null || skip_all "no openssl to make a test certificate"
make_newsletter nl
cd nl
"$NEWSBEAT" subscribers add ann@example.org --name "Ann" >/dev/null
"$NEWSBEAT" subscribers add bob@example.org --name "Bob" >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
	-subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
check "a self-signed certificate for 127.0.0.1" test -s cert.pem

# STARTTLS offered, but plain text would be accepted too: a client that
# gave up on TLS after a failed verification would still deliver.
port=$(free_port)
start_capture "$port" got --cert cert.pem --key key.pem --tls-optional ||
	notok "STARTTLS capture server started"
mk_issue 101
smtp_config config.ini "smtp://127.0.0.1:$port" connections=2 timeout=5
timeout 60 "$NEWSBEAT" send 101 --yes >out 2>err
check "STARTTLS without ca_file: exit 1" test $? -eq 1
check "  the error names the certificate problem" grep -qi "certificate\|issuer\|verif" err
check "  nothing was delivered" test -z "$(received got)"
check "  nobody is marked failed: both still pending" \
	sh -c '"$NEWSBEAT" status 101 | grep -q "^  pending *2$"'

smtp_config config.ini "smtp://127.0.0.1:$port" connections=2 timeout=5 ca_file=cert.pem
timeout 60 "$NEWSBEAT" send 101 --yes >out 2>err
check "STARTTLS with ca_file: exit 0" test $? -eq 0
check "  both delivered, once each" \
	test "$(received got | tr '\n' ' ')" = "ann@example.org bob@example.org "
check "  --test over STARTTLS too" "$NEWSBEAT" send 101 --test carol@example.org --yes
stop_capture

# The server requires STARTTLS and we have the CA: a normal send.
port=$(free_port)
rm -rf got
start_capture "$port" got --cert cert.pem --key key.pem || notok "STARTTLS-required server started"
mk_issue 102
smtp_config config.ini "smtp://127.0.0.1:$port" connections=2 timeout=5 ca_file=cert.pem
check "STARTTLS required by the server, with ca_file: delivered" "$NEWSBEAT" send 102 --yes
check "  two messages" test "$(received got | wc -l)" -eq 2
for f in got/*.eml; do
	check "  $(sed -n 's/^RCPT TO //p' "${f%.eml}.env"): parses cleanly" $CHECK "$f"
done
stop_capture

# Implicit TLS (smtps://).
port=$(free_port)
rm -rf got
start_capture "$port" got --cert cert.pem --key key.pem --smtps || notok "SMTPS capture server started"
mk_issue 103
smtp_config config.ini "smtps://127.0.0.1:$port" connections=2 timeout=5
timeout 60 "$NEWSBEAT" send 103 --yes >out 2>err
check "smtps:// without ca_file: exit 1, nothing delivered" \
	test $? -eq 1 -a -z "$(received got)"
smtp_config config.ini "smtps://127.0.0.1:$port" connections=2 timeout=5 ca_file=cert.pem
check "smtps:// with ca_file: delivered" "$NEWSBEAT" send 103 --yes
check "  both, once each" test "$(received got | tr '\n' ' ')" = "ann@example.org bob@example.org "
stop_capture

# TLS policy from the configuration alone (nothing is contacted: --dry-run
# opens the transport, which checks the policy, and connects nowhere).
smtp_config config.ini "smtp://relay.example.org:587"
"$NEWSBEAT" send 42 --dry-run >out 2>&1
check "a relay that is not loopback: STARTTLS required" grep -q "smtp://relay.example.org:587 (STARTTLS required)" out
smtp_config config.ini "smtp://127.0.0.1:2525"
"$NEWSBEAT" send 42 --dry-run >out 2>&1
check "loopback: STARTTLS only if offered" grep -q "smtp://127.0.0.1:2525 (STARTTLS if offered)" out
smtp_config config.ini "smtp://relay.example.org:25" tls=none
"$NEWSBEAT" send 42 --dry-run >out 2>&1
check "tls = none, said explicitly: no TLS" grep -q "smtp://relay.example.org:25 (no TLS)" out
smtp_config config.ini "smtp://relay.example.org:25" tls=none username=news
NEWSBEAT_SMTP_PASSWORD=secret "$NEWSBEAT" send 42 --dry-run >out 2>&1
check "tls = none with a password for a remote relay: refused before connecting" test $? -eq 2
check "  saying why" grep -q "in clear" out
smtp_config config.ini "smtp://relay.example.org:25" tls=maybe
check_exit 2 "tls = maybe: a configuration error" "$NEWSBEAT" send 42 --dry-run

# A name for this machine that resolves to loopback but is not spelled as
# loopback is treated as remote: STARTTLS is required, and a server that
# does not offer it gets nothing.
me=$(hostname 2>/dev/null)
case $(getent hosts "$me" 2>/dev/null) in
127.*)
	port=$(free_port)
	rm -rf got
	start_capture "$port" got || notok "plain-text capture server started"
	mk_issue 104
	smtp_config config.ini "smtp://$me:$port" timeout=5
	timeout 60 "$NEWSBEAT" send 104 --yes >out 2>err
	check "smtp://$me (not spelled loopback), no STARTTLS offered: exit 1" test $? -eq 1
	check "  the error says TLS is required" grep -qi "TLS\|SSL" err
	check "  nothing delivered in plain text" test -z "$(received got)"
	stop_capture
	;;
*)
	ok "# SKIP this machine's name ($me) does not resolve to loopback"
	;;
esac
done_testing
