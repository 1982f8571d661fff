#!/bin/sh
# The bounce mailbox over POP3 against a real Dovecot: pop3s:// and
# pop3:// (STLS) work with [bounces] ca_file and are refused without it,
# before USER is sent; a certificate for another name and a wrong
# password are refused with clear errors.  POP3 can only delete or keep:
# a dry run deletes nothing, processed = delete deletes (at QUIT), any
# other processed setting and unrecognized messages keep them.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/dovecot-lib.sh"
TOOL=${NEWSBEAT_TOOLS:-$SRCDIR/build/tools}/mailbox-tool
[ -x "$TOOL" ] || skip_all "no $TOOL (make build/tools/mailbox-tool)"
start_dovecot || { cat "$DOVECOT_DIR/dovecot.log" >&2; skip_all "dovecot did not start"; }
export NEWSBEAT_BOUNCES_PASSWORD=secret
MD=$(dovecot_maildir bob)
POP3S=pop3s://bob@127.0.0.1:$POP3S_PORT
POP3=pop3://bob@localhost:$POP3_PORT
load() { for s in "$@"; do make_msg "$s" "$s.eml" && dovecot_save bob INBOX "$s.eml"; done; }
inbox() { maildir_state "$MD" | grep -c '^\. '; }
load one two three

before=$(dovecot_logins)
"$TOOL" --dry-run "$POP3S" >out 2>err
check "pop3s:// without ca_file: refused" test $? -eq 1
check "  the error says the certificate is not trusted and what to set" \
	grep -q "certificate of 127.0.0.1 not trusted.*set \[bounces\] ca_file" err
check "  no login was attempted" test "$(dovecot_logins)" -eq "$before"

printf 'Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n' > dots.eml
dovecot_save bob INBOX dots.eml
mkdir saved
"$TOOL" --ca-file "$DOVECOT_CERT" --dry-run --save saved "$POP3S" >out 2>err
check "pop3s:// with ca_file: exit 0" test $? -eq 0
check "  each message arrives byte for byte (CRLF, leading dots, a lone dot)" \
	sh -c "cmp -s saved/1.eml one.eml && cmp -s saved/4.eml dots.eml"
check "  count 4" grep -qx "count 4" out
check "  four messages with their UIDL and size" test "$(grep -c '^[0-9A-Fa-f]* [0-9]*$' out)" -eq 4
doveadm -c "$DOVECOT_CONF" expunge -u bob mailbox INBOX subject dots

before=$(dovecot_logins)
"$TOOL" --ca-file "$DOVECOT_CERT" --dry-run "pop3s://bob@127.0.0.2:$POP3S_PORT" >out 2>err
check "a certificate for another name (127.0.0.2): refused" \
	grep -q "127.0.0.2 is not for that name" err
check "  no login was attempted" test "$(dovecot_logins)" -eq "$before"

before=$(dovecot_logins)
"$TOOL" --dry-run "$POP3" >out 2>err
check "pop3:// (STLS) without ca_file: refused" grep -q "certificate of localhost not trusted" err
check "  no login was attempted" test "$(dovecot_logins)" -eq "$before"
"$TOOL" --ca-file "$DOVECOT_CERT" --dry-run "$POP3" >out 2>err
check "pop3:// (STLS) with ca_file: three messages" test "$(grep -c '^[0-9A-Fa-f]* [0-9]*$' out)" -eq 3
check "  the login went over TLS" sh -c "grep -- 'pop3-login: Info: Login: ' '$DOVECOT_DIR/dovecot.log' | tail -n 1 | grep -q ', TLS'"

port=$(free_port)
$PY "$SRCDIR/tests/e2e/plain-mail-server.py" pop3 "$port" plain.log & plain=$!
at_exit "kill $plain 2>/dev/null"
wait_port "$port" || notok "plain POP3 server started"
me=$(hostname 2>/dev/null)
case $(getent hosts "$me" 2>/dev/null) in
127.*)
	"$TOOL" "pop3://bob@$me:$port" >out 2>err
	check "no STLS from $me: refused" grep -q "does not offer STLS.*pop3s://" err
	check "  no USER or PASS was sent" sh -c "! grep -qi '^user\|^pass' plain.log"
	;;
*)
	ok "# SKIP $me does not resolve to loopback: cannot test a non-loopback name"
	;;
esac
kill $plain 2>/dev/null

NEWSBEAT_BOUNCES_PASSWORD=wrong "$TOOL" --ca-file "$DOVECOT_CERT" "$POP3S" >out 2>err
check "wrong password: exit 1" test $? -eq 1
check "  the error names the user and where the password comes from" \
	grep -q "login as 'bob' refused.*password_env" err
"$TOOL" --ca-file "$DOVECOT_CERT" "$POP3S/INBOX" >out 2>err
check "a folder in a POP3 spec: refused, says POP3 has none" grep -q "POP3 has no folders" err

state0=$(maildir_state "$MD")
"$TOOL" --ca-file "$DOVECOT_CERT" --dry-run --dispose processed --processed delete "$POP3S" >out 2>err
check "dry run with delete: exit 0" test $? -eq 0
check "  nothing deleted" test "$(inbox)" -eq 3

"$TOOL" --ca-file "$DOVECOT_CERT" --dispose processed "$POP3S" >out 2>err
check "processed = move: exit 0" test $? -eq 0
check "  warns that POP3 keeps them" grep -q "POP3 cannot move or flag.*processed = delete" err
check "  all kept" test "$(inbox)" -eq 3

"$TOOL" --ca-file "$DOVECOT_CERT" --dispose unrecognized --processed delete "$POP3S" >out 2>err
check "unrecognized with processed = delete: all kept" test "$(inbox)" -eq 3

"$TOOL" --ca-file "$DOVECOT_CERT" --dispose processed --processed delete "$POP3S" >out 2>err
check "processed = delete: exit 0, no warning" sh -c "test $? -eq 0 && ! test -s err"
check "  all deleted" test "$(inbox)" -eq 0
"$TOOL" --ca-file "$DOVECOT_CERT" --dry-run "$POP3S" >out 2>err
check "  the server lists none" grep -qx "count 0" out
done_testing
