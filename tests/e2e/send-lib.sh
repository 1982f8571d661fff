# Helpers for the send tests (t4xxx), sourced after lib.sh.
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
	skip_all "python3-aiosmtpd is not installed (scripts/install-deps --test)"
CAPTURE="$PY $SRCDIR/tests/tools/smtp_capture.py"
CHECK="$PY $SRCDIR/tests/tools/eml_check.py"
export NEWSBEAT_SECRET=e2e-secret-0123456789abcdef0123456789abcdef

# mk_issue N: issues/issue-N.md, a copy of the sample issue 42 numbered N.
mk_issue() {
	sed "s/^issue: 42\$/issue: $1/; s/#42/#$1/" issues/issue-42.md > "issues/issue-$1.md"
}

# start_sink PORT [FLAG COMMANDS]: Postfix's smtp-sink on 127.0.0.1:PORT
# with one fault option; sets $sink_pid (killed at exit).
start_sink() {
	_p=$1
	shift
	if [ "$(id -u)" -eq 0 ]; then set -- -u nobody "$@"; fi
	/usr/sbin/smtp-sink -4 "$@" "127.0.0.1:$_p" 64 2>/dev/null & sink_pid=$!
	at_exit "kill $sink_pid 2>/dev/null"
	# Still alive once the port answers: not another server on a reused port.
	wait_port "$_p" && sleep 0.1 && kill -0 $sink_pid 2>/dev/null
}
stop_sink() { kill "$sink_pid" 2>/dev/null; wait "$sink_pid" 2>/dev/null; }

# start_capture PORT DIR [OPTIONS]: smtp_capture.py; sets $cap_pid.
start_capture() {
	_p=$1 _d=$2
	shift 2
	$CAPTURE "$_p" "$_d" "$@" & cap_pid=$!
	at_exit "kill $cap_pid 2>/dev/null"
	wait_port "$_p" && sleep 0.1 && kill -0 $cap_pid 2>/dev/null
}
stop_capture() { kill "$cap_pid" 2>/dev/null; wait "$cap_pid" 2>/dev/null; }

# received DIR: the recipients of the messages captured in DIR, sorted, one a line.
received() { cat "$1"/*.env 2>/dev/null | sed -n 's/^RCPT TO //p' | sort; }

# smtp_config FILE URL [KEY=VALUE...]: write an [smtp] config to FILE.
smtp_config() {
	_f=$1 _u=$2
	shift 2
	{
		printf '[smtp]\nurl = %s\n' "$_u"
		for kv in "$@"; do printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"; done
	} > "$_f"
}

# count ISSUE STATE: the number of rows in STATE that `status` reports,
# with the config in $cfg.
count() { "$NEWSBEAT" -c "$cfg" status "$1" | sed -n "s/^  $2 *//p"; }

# arrivals DIR: the To address of every message DIR/*.eml, read with
# Python's email parser (strict policy), sorted, one a line.
arrivals() {
	$PY - "$1" <<'PY'
import email, email.policy, glob, sys
got = []
for p in glob.glob(sys.argv[1] + "/*.eml"):
    with open(p, "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.strict)
    got.append(m["To"].addresses[0].addr_spec)
print("\n".join(sorted(got)))
PY
}

# members NAME...: subscribe NAME@example.org for each NAME, and write
# their addresses, one a line in that order, to all.txt (what arrivals
# prints when each got the issue once).
members() {
	: > all.txt
	for u in "$@"; do
		"$NEWSBEAT" subscribers add "$u@example.org" >/dev/null
		echo "$u@example.org" >> all.txt
	done
}
