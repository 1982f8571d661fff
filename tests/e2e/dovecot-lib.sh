# A Dovecot IMAP/POP3 server for the end-to-end tests, sourced after
# lib.sh.  start_dovecot runs it in the foreground (dovecot -F) from a
# configuration in $TMP/dovecot, on free loopback ports, with:
#   any user name, password "secret" (static passdb);
#   mail in $DOVECOT_HOME/USER/Maildir (Maildir++), owned by nobody;
#   a self-signed certificate for 127.0.0.1 and localhost: $DOVECOT_CERT
#   (pass it as the CA file; without it verification must fail).
# It also listens on 127.0.0.2, a loopback address the certificate does
# not name.  Ports: $IMAP_PORT (STARTTLS), $IMAPS_PORT, $POP3_PORT (STLS),
# $POP3S_PORT.  It is stopped when the test exits (or by stop_dovecot;
# start_dovecot again keeps the mail).  $DOVECOT_EXTRA, if set, is added
# to the configuration (imap_capability = ... to hide MOVE, say).
#   dovecot_save USER FOLDER FILE   deliver FILE into USER's FOLDER
#   dovecot_maildir USER            the path of USER's Maildir

command -v dovecot >/dev/null 2>&1 && command -v doveadm >/dev/null 2>&1 ||
	skip_all "no dovecot (install dovecot-imapd dovecot-pop3d: scripts/install-deps --test)"
command -v openssl >/dev/null 2>&1 || skip_all "no openssl to make a test certificate"

DOVECOT_DIR=$TMP/dovecot
DOVECOT_CONF=$DOVECOT_DIR/dovecot.conf
DOVECOT_HOME=$DOVECOT_DIR/home
DOVECOT_CERT=$DOVECOT_DIR/cert.pem

dovecot_maildir() { echo "$DOVECOT_HOME/$1/Maildir"; }

dovecot_save() {
	doveadm -c "$DOVECOT_CONF" save -u "$1" -m "$2" < "$3"
}

stop_dovecot() {
	if [ -n "${DOVECOT_PID:-}" ]; then
		kill "$DOVECOT_PID" 2>/dev/null
		wait "$DOVECOT_PID" 2>/dev/null
		DOVECOT_PID=
	fi
}

start_dovecot() {
	mkdir -p "$DOVECOT_DIR/run" "$DOVECOT_DIR/state" "$DOVECOT_HOME" || return 1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$DOVECOT_DIR/key.pem" \
		-out "$DOVECOT_CERT" -days 2 -subj /CN=127.0.0.1 \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null || return 1
	# Four distinct ports (free_port may hand out a port twice in a row).
	while :; do
		IMAP_PORT=$(free_port) IMAPS_PORT=$(free_port)
		POP3_PORT=$(free_port) POP3S_PORT=$(free_port)
		[ "$(printf '%s\n' $IMAP_PORT $IMAPS_PORT $POP3_PORT $POP3S_PORT | sort -u | wc -l)" -eq 4 ] && break
	done
	# The mail processes run as nobody: they must be able to reach home.
	chmod 755 "$TMP" "$DOVECOT_DIR"
	chown nobody:nogroup "$DOVECOT_HOME"
	cat > "$DOVECOT_CONF" <<CONF
protocols = imap pop3
listen = 127.0.0.1, 127.0.0.2
base_dir = $DOVECOT_DIR/run
state_dir = $DOVECOT_DIR/state
log_path = $DOVECOT_DIR/dovecot.log
info_log_path = $DOVECOT_DIR/dovecot.log
ssl = yes
ssl_cert = <$DOVECOT_CERT
ssl_key = <$DOVECOT_DIR/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$DOVECOT_HOME/%u
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
}
protocol pop3 {
  pop3_uidl_format = %08Xu%08Xv
}
service imap-login {
  inet_listener imap {
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = $IMAPS_PORT
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $POP3_PORT
  }
  inet_listener pop3s {
    port = $POP3S_PORT
    ssl = yes
  }
}
${DOVECOT_EXTRA:-}
CONF
	dovecot -n -c "$DOVECOT_CONF" >/dev/null 2>"$DOVECOT_DIR/config.err" || {
		cat "$DOVECOT_DIR/config.err" >&2
		return 1
	}
	dovecot -F -c "$DOVECOT_CONF" 2>>"$DOVECOT_DIR/dovecot.log" &
	DOVECOT_PID=$!
	at_exit stop_dovecot
	wait_port "$IMAPS_PORT" && wait_port "$IMAP_PORT" &&
		wait_port "$POP3S_PORT" && wait_port "$POP3_PORT"
}

# dovecot_logins: how many logins (any protocol) the server has seen.
dovecot_logins() { grep -c -- '-login: Info: Login: ' "$DOVECOT_DIR/dovecot.log"; }
# dovecot_login_line N: the Nth login line of the log, waiting up to 5 s
# for it (Dovecot's log process writes it a moment after the client is done).
dovecot_login_line() {
	for _ in $(seq 50); do
		[ "$(dovecot_logins)" -ge "$1" ] && break
		sleep 0.1
	done
	grep -- '-login: Info: Login: ' "$DOVECOT_DIR/dovecot.log" | sed -n "$1p"
}

# maildir_state DIR: one line per message of the Maildir++ DIR and its
# folders, "FOLDER NAME FLAGS", whether in new/ or cur/ (servers move
# messages from new/ to cur/ on their own; that is not a change of ours).
maildir_state() {
	(cd "$1" && find . -path '*/new/*' -o -path '*/cur/*' | sort | while read -r f; do
		dir=${f%/*/*}; base=${f##*/}; flags=
		case $base in *:2,*) flags=${base#*:2,}; base=${base%%:2,*} ;; esac
		echo "${dir#./} $base $flags"
	done | sort)
}

# A small message with a distinct subject (the tests find messages by it).
make_msg() {
	printf 'From: MAILER-DAEMON@example.org\r\nTo: news@example.org\r\nSubject: %s\r\nMessage-ID: <%s@example.org>\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\nbody of %s\r\n' \
		"$1" "$1" "$1" > "$2"
}
