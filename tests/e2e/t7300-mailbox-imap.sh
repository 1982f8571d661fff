#!/bin/sh
# The bounce mailbox over IMAP against a real Dovecot: imaps:// and
# imap:// (STARTTLS) work with [bounces] ca_file and are refused without
# it, before any login is attempted (libetpan alone would accept the
# certificate: this is the test that proves verification), a certificate
# for another name is refused, and so are a wrong password and a missing
# folder, each with a clear error.  Then what each disposition does to
# the messages, looked at in the Maildir on disk: a dry run changes
# nothing, move / seen / delete / unrecognized do what they say, with
# UID MOVE and with the COPY + EXPUNGE fallback of a server without MOVE.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/dovecot-lib.sh"
TOOL=${NEWSBEAT_TOOLS:-$SRCDIR/build/tools}/mailbox-tool
[ -x "$TOOL" ] || skip_all "no $TOOL (make build/tools/mailbox-tool)"
start_dovecot || { cat "$DOVECOT_DIR/dovecot.log" >&2; skip_all "dovecot did not start"; }
export NEWSBEAT_BOUNCES_PASSWORD=secret
MD=$(dovecot_maildir ann)
IMAPS=imaps://ann@127.0.0.1:$IMAPS_PORT
IMAP=imap://ann@127.0.0.1:$IMAP_PORT
load() { for s in "$@"; do make_msg "$s" "$s.eml" && dovecot_save ann INBOX "$s.eml"; done; }
load one two three

# --- verification -----------------------------------------------------
before=$(dovecot_logins)
"$TOOL" --dry-run "$IMAPS/INBOX" >out 2>err
check "imaps:// without ca_file: refused" test $? -eq 1
check "  the error says the certificate is not trusted and what to set" \
	grep -q "certificate of 127.0.0.1 not trusted.*set \[bounces\] ca_file" err
check "  no message was listed" test ! -s out
check "  no login was attempted" test "$(dovecot_logins)" -eq "$before"

printf 'Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n' > dots.eml
dovecot_save ann INBOX dots.eml
mkdir saved
"$TOOL" --ca-file "$DOVECOT_CERT" --dry-run --save saved "$IMAPS/INBOX" >out 2>err
check "imaps:// with ca_file: exit 0" test $? -eq 0
check "  each message arrives byte for byte (CRLF, leading dots, a lone dot)" \
	sh -c "cmp -s saved/1.eml one.eml && cmp -s saved/4.eml dots.eml"
check "  four messages listed with UIDs and sizes" \
	test "$(grep -c '^[0-9]* [0-9]*$' out)" -eq 4
check "  count 4" grep -qx "count 4" out
doveadm -c "$DOVECOT_CONF" expunge -u ann mailbox INBOX subject dots
check "  described without the password" grep -qx "opened $IMAPS/INBOX" out
check "  no error output" test ! -s err

before=$(dovecot_logins)
"$TOOL" --ca-file "$DOVECOT_CERT" --dry-run "imaps://ann@127.0.0.2:$IMAPS_PORT/INBOX" >out 2>err
check "a certificate for another name (127.0.0.2): refused" test $? -eq 1
check "  the error names the mismatch" grep -q "127.0.0.2 is not for that name" err
check "  no login was attempted" test "$(dovecot_logins)" -eq "$before"

before=$(dovecot_logins)
"$TOOL" --dry-run "$IMAP/INBOX" >out 2>err
check "imap:// (STARTTLS) without ca_file: refused" test $? -eq 1
check "  the error says the certificate is not trusted" grep -q "not trusted" err
check "  no login was attempted" test "$(dovecot_logins)" -eq "$before"

n=$(dovecot_logins)
"$TOOL" --ca-file "$DOVECOT_CERT" --dry-run "$IMAP/INBOX" >out 2>err
check "imap:// (STARTTLS) with ca_file: exit 0" test $? -eq 0
check "  three messages" test "$(grep -c '^[0-9]* [0-9]*$' out)" -eq 3
line=$(dovecot_login_line $((n + 1)))
case $line in *", TLS"*) ok "  the login went over TLS";; *) notok "  the login went over TLS: $line";; esac

n=$(dovecot_logins)
"$TOOL" --ca-file "$DOVECOT_CERT" --tls-none --dry-run "$IMAP/INBOX" >out 2>err
check "imap:// with tls = none: plain text, exit 0" test $? -eq 0
line=$(dovecot_login_line $((n + 1)))
case $line in
"") notok "  the login was not over TLS: no login logged";;
*", TLS"*) notok "  the login was not over TLS: $line";;
*) ok "  the login was not over TLS";;
esac

# A server that offers no STARTTLS, reached by a name that is not spelled
# as loopback (this machine's own, when it resolves to loopback): refused
# before the password is sent.  Spelled as loopback, plain text is allowed.
port=$(free_port)
$PY "$SRCDIR/tests/e2e/plain-mail-server.py" imap "$port" plain.log & plain=$!
at_exit "kill $plain 2>/dev/null"
wait_port "$port" || notok "plain IMAP server started"
me=$(hostname 2>/dev/null)
case $(getent hosts "$me" 2>/dev/null) in
127.*)
	"$TOOL" "imap://ann@$me:$port/INBOX" >out 2>err
	check "no STARTTLS from $me: refused" test $? -eq 1
	check "  the error says why and what to do" grep -q "does not offer STARTTLS.*imaps://" err
	check "  no LOGIN was sent" sh -c "! grep -qi ' login ' plain.log"
	;;
*)
	ok "# SKIP $me does not resolve to loopback: cannot test a non-loopback name"
	;;
esac
"$TOOL" "imap://ann@127.0.0.1:$port/INBOX" >out 2>err
check "no STARTTLS on loopback: plain text allowed (the fake server refuses the login)" \
	grep -q "login as 'ann' refused" err
kill $plain 2>/dev/null

# --- clear errors -----------------------------------------------------
NEWSBEAT_BOUNCES_PASSWORD=wrong "$TOOL" --ca-file "$DOVECOT_CERT" "$IMAPS/INBOX" >out 2>err
check "wrong password: exit 1" test $? -eq 1
check "  the error names the user and where the password comes from" \
	grep -q "login as 'ann' refused.*password_env" err
check "  the password is not printed" sh -c "! grep -q wrong err"
(unset NEWSBEAT_BOUNCES_PASSWORD; "$TOOL" --ca-file "$DOVECOT_CERT" "$IMAPS/INBOX") >out 2>err
check "no password: exit 1, says to export password_env" grep -q "no password.*password_env" err

"$TOOL" --ca-file "$DOVECOT_CERT" "$IMAPS/Bounces" >out 2>err
check "missing folder: exit 1" test $? -eq 1
check "  the error names the folder" grep -q "folder 'Bounces' does not exist" err
"$TOOL" --ca-file "$DOVECOT_CERT" "imaps://ann@127.0.0.1:$(free_port)/INBOX" >out 2>err
check "nobody listening: a clear error naming host and port" grep -q "cannot connect with TLS to 127.0.0.1 port" err
"$TOOL" --ca-file missing.pem "$IMAPS/INBOX" >out 2>err
check "a ca_file that does not exist: named" grep -q "ca_file 'missing.pem': No such file" err
echo "not a certificate" > bad.pem
"$TOOL" --ca-file bad.pem "$IMAPS/INBOX" >out 2>err
check "a ca_file without a certificate: named" grep -q "ca_file 'bad.pem'" err
"$TOOL" "imaps://ann:secret@127.0.0.1:$IMAPS_PORT/INBOX" >out 2>err
check "a password in the spec is refused, and not echoed" \
	sh -c "grep -q 'password in the mailbox spec is refused' err && ! grep -q secret err"

# --- dispositions -----------------------------------------------------
state0=$(maildir_state "$MD")
"$TOOL" --ca-file "$DOVECOT_CERT" --dry-run --dispose processed --processed delete "$IMAPS/INBOX" >out 2>err
check "dry run with delete: exit 0" test $? -eq 0
check "  the Maildir is unchanged (names and flags)" test "$(maildir_state "$MD")" = "$state0"
check "  no message is seen" test -z "$(maildir_state "$MD" | awk '$3 ~ /S/')"

"$TOOL" --ca-file "$DOVECOT_CERT" --dispose keep "$IMAPS/INBOX" >out 2>err
check "keep: reading alone marks nothing seen (BODY.PEEK)" \
	test -z "$(maildir_state "$MD" | awk '$3 ~ /S/')"

"$TOOL" --ca-file "$DOVECOT_CERT" --dispose processed "$IMAPS/INBOX" >out 2>err
check "processed = move:newsbeat-processed (UID MOVE): exit 0" test $? -eq 0
check "  the folder was created and holds the three" \
	test "$(maildir_state "$MD" | grep -c '^.newsbeat-processed ')" -eq 3
check "  INBOX is empty" test -z "$(maildir_state "$MD" | grep '^\. ')"
"$TOOL" --ca-file "$DOVECOT_CERT" --dry-run "$IMAPS/newsbeat-processed" >out 2>err
check "  and the moved messages read back from that folder" grep -qx "count 3" out

load four five
"$TOOL" --ca-file "$DOVECOT_CERT" --dispose processed --processed move:Done "$IMAPS/INBOX" >out 2>err
check "processed = move:Done: both moved to a new folder Done" \
	test "$(maildir_state "$MD" | grep -c '^.Done ')" -eq 2

load six seven
"$TOOL" --ca-file "$DOVECOT_CERT" --dispose unrecognized --processed delete "$IMAPS/INBOX" >out 2>err
check "unrecognized (even with processed = delete): moved to newsbeat-unrecognized" \
	test "$(maildir_state "$MD" | grep -c '^.newsbeat-unrecognized ')" -eq 2
check "  INBOX is empty, nothing deleted" test -z "$(maildir_state "$MD" | grep '^\. ')"

load eight
"$TOOL" --ca-file "$DOVECOT_CERT" --dispose processed --processed seen "$IMAPS/INBOX" >out 2>err
check "processed = seen: the message stays in INBOX, flagged S" \
	test "$(maildir_state "$MD" | grep '^\. ' | awk '{print $3}')" = S

"$TOOL" --ca-file "$DOVECOT_CERT" --dispose processed --processed delete "$IMAPS/INBOX" >out 2>err
check "processed = delete: exit 0" test $? -eq 0
check "  INBOX is empty" test -z "$(maildir_state "$MD" | grep '^\. ')"
check "  the other folders are untouched" test "$(maildir_state "$MD" | wc -l)" -eq 7

# A server without MOVE and UIDPLUS: COPY, \Deleted, EXPUNGE at the end.
stop_dovecot
DOVECOT_EXTRA="imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE"
start_dovecot || notok "dovecot without MOVE started"
IMAPS=imaps://ann@127.0.0.1:$IMAPS_PORT
load nine ten
"$TOOL" --ca-file "$DOVECOT_CERT" --dispose processed "$IMAPS/INBOX" >out 2>err
check "without MOVE: exit 0" test $? -eq 0
check "  both copied to newsbeat-processed" \
	test "$(maildir_state "$MD" | grep -c '^.newsbeat-processed ')" -eq 5
check "  and expunged from INBOX" test -z "$(maildir_state "$MD" | grep '^\. ')"
load eleven
"$TOOL" --ca-file "$DOVECOT_CERT" --dispose processed --processed delete "$IMAPS/INBOX" >out 2>err
check "without UIDPLUS, delete: expunged at close" test -z "$(maildir_state "$MD" | grep '^\. ')"
load twelve thirteen
doveadm -c "$DOVECOT_CONF" flags add -u ann '\Deleted' mailbox INBOX subject twelve
"$TOOL" --ca-file "$DOVECOT_CERT" --dry-run "$IMAPS/INBOX" >out 2>err
check "a message flagged \\Deleted (a crash before EXPUNGE) is not handed out" \
	test "$(grep -c '^[0-9]* [0-9]*$' out)" -eq 1

before=$(dovecot_logins)
"$TOOL" --ca-file "$DOVECOT_CERT" "$IMAPS/Bo$(printf '\303\244')te" >out 2>err
check "a non-ASCII folder name: refused, saying how to write it" grep -q "only ASCII folder names.*modified UTF-7" err
check "  and no login was made" test "$(dovecot_logins)" -eq "$before"
done_testing
