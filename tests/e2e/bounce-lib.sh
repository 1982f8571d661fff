# Helpers for the bounce tests (t72xx), sourced after lib.sh and
# send-lib.sh.  sent_newsletter: in ./nl (the shell then works there), 30
# subscribers member1..member30@example.org, issues 42, 43 and 44 sent with
# VERP (envelope bounces@example.org) through the capture server, the
# captured envelopes and messages in got42/, got43/, got44/.
BMAIL="$PY $SRCDIR/tests/tools/bounce_mail.py"

sent_newsletter() {
	make_newsletter nl
	cd nl || exit 2
	_i=1
	echo "email,name" > members.csv
	while [ $_i -le 30 ]; do
		printf 'member%s@example.org,Member %s\n' $_i $_i
		_i=$((_i + 1))
	done >> members.csv
	"$NEWSBEAT" subscribers import members.csv >/dev/null 2>&1 || notok "import 30 members"
	_port=$(free_port)
	start_capture "$_port" got || notok "capture server started"
	smtp_config config.ini "smtp://127.0.0.1:$_port" envelope_from=bounces@example.org connections=2
	for _iss in 42 43 44; do
		[ $_iss = 42 ] || mk_issue $_iss
		"$NEWSBEAT" send $_iss --yes >/dev/null 2>&1 || notok "send $_iss"
		mkdir "got$_iss" && mv got/* "got$_iss/"
	done
	stop_capture
}

# report KIND ISSUE N: r-KIND-ISSUE-N.eml, the report of KIND about issue
# ISSUE's message to memberN (tests/tools/bounce_mail.py for the kinds).
report() {
	_env=$(grep -l "^RCPT TO member$3@example.org\$" got$2/*.env)
	$BMAIL "$1" "$_env" "${_env%.env}.eml" > "r-$1-$2-$3.eml"
}

# the_reports: the set of reports every end-to-end bounce test feeds, and
# an unrecognisable message, r-unknown.eml; their names in ./reports.
the_reports() {
	report hard 42 1
	report soft 42 2; report soft 43 2; report soft 44 2
	report soft 42 3; report soft 44 3
	report complaint 43 4
	report autoreply 44 5
	report delayed 44 6
	report unsubscribe 42 7
	report forged 42 8
	report blocked 43 9
	printf 'From: someone@example.net\nTo: bounces@example.org\nSubject: hello\n\nJust saying hi.\n' > r-unknown.eml
	ls r-*.eml | sort > reports
}

# check_statuses FILE: the statuses `subscribers list` (in FILE) must show
# after the_reports were handled.
check_statuses() {
	_st() { awk -v e="member$1@example.org" '$1 == e { print $2 }' "$2"; }
	check "hard bounce: member1 bounced" test "$(_st 1 "$1")" = bounced
	check "soft in three issues in a row: member2 bounced" test "$(_st 2 "$1")" = bounced
	check "soft in 42 and 44, 43 delivered: member3 still active" test "$(_st 3 "$1")" = active
	check "complaint: member4 complained" test "$(_st 4 "$1")" = complained
	check "auto-reply: member5 active" test "$(_st 5 "$1")" = active
	check "delayed notice: member6 active" test "$(_st 6 "$1")" = active
	check "mailto unsubscribe, valid token: member7 unsubscribed" test "$(_st 7 "$1")" = unsubscribed
	check "mailto unsubscribe, forged token: member8 active" test "$(_st 8 "$1")" = active
	check "rejection blaming the sender: member9 active" test "$(_st 9 "$1")" = active
	check "everyone else is active (26 of 30)" test "$(grep -c '	active	' "$1")" -eq 26
}

# journal_bounces: the bounce columns of every journal row, one a line.
journal_bounces() {
	$PY -c 'import sqlite3
for r in sqlite3.connect("newsbeat.db").execute("SELECT id, bounce, bounce_status, bounced_at FROM delivery ORDER BY id"): print(r)'
}

# bounces_built: skip (loudly) when this binary's `bounces` cannot read reports.
bounces_built() {
	"$NEWSBEAT" bounces --help 2>/dev/null | grep -q -- --stdin ||
		skip_all "this newsbeat has no 'bounces --stdin' (the bounce reader is not built in)"
}
