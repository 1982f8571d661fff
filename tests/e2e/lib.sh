# Shared helpers for end-to-end tests: sourced by tests/e2e/tNNNN-*.sh.
# Each test runs in its own temporary directory (removed at exit), with
# the clock pinned where the binary supports it, and speaks TAP.
set -u
NEWSBEAT=${NEWSBEAT:-$(cd "$(dirname "$0")/../.." && pwd)/newsbeat}
export NEWSBEAT
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${NEWSBEAT_SHARED:-$SRCDIR/../shared}
PY=/usr/bin/python3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/newsbeat-test.XXXXXX")
cleanup_hooks=""
at_exit() { cleanup_hooks="$1; $cleanup_hooks"; }
trap 'eval "$cleanup_hooks"; rm -rf "$TMP"' EXIT
cd "$TMP"
export NEWSBEAT_NOW=${NEWSBEAT_NOW:-2026-11-27T09:00:00Z}
unset NEWSBEAT_SECRET NEWSBEAT_SMTP_PASSWORD

tap_n=0 tap_failed=0	# the TAP counters: helpers must not reuse these names
# TAP lines go to the test's own stdout, kept as fd 8, so that
# `check_exit 0 "..." newsbeat send 50 > out` sends the command's output
# to the file but its ok / not ok line still to the report.
exec 8>&1
ok()   { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*" >&8; }
notok(){ tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $*" >&8; }
# check "description" command...   — passes if the command exits 0
check() { d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; fi; }
# check_fails "description" command...   — passes if the command exits non-zero
check_fails() { d=$1; shift; if "$@"; then notok "$d"; else ok "$d"; fi; }
# check_exit CODE "description" command...
check_exit() { c=$1 d=$2; shift 2; "$@"; rc=$?; if [ "$rc" -eq "$c" ]; then ok "$d"; else notok "$d (exit $rc, want $c)"; fi; }
skip_all() { echo "1..0 # SKIP $*" >&8; exit 0; }
done_testing() { echo "1..$tap_n" >&8; [ "$tap_failed" -eq 0 ]; }
# free_port: a TCP port on loopback nobody listens on right now
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_port PORT: wait up to 10 s for something to listen on loopback PORT
wait_port() {
	$PY -c 'import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close(); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)' "$1"
}
# A newsletter directory with the sample templates and issues.
make_newsletter() {
	mkdir -p "$1" && cp -r "$SRCDIR/templates" "$SRCDIR/issues" "$1/"
}
# archive_newsletter DIR [CONFIG-LINE...]: a newsletter with the shipped
# templates, an empty issues/assets/ and a [newsletter] section (plus the
# given lines) for the archive tests; the shell then works inside DIR.
archive_newsletter() {
	mkdir -p "$1/issues/assets" && cp -r "$SRCDIR/templates" "$1/" && cd "$1" || exit 2
	shift
	printf '[newsletter]\nname = NewsBeat\nfrom = NewsBeat <newsbeat@example.org>\nbase_url = https://news.example.org/\n' > config.ini
	for line in "$@"; do printf '%s\n' "$line" >> config.ini; done
}
# tool_baseline TOOL: the peak RSS (KB) of the mailbox TOOL reading a
# one-message Maildir.  A memory bound is held against what a run adds to
# it: an ASan build (make debug) is at about 26 MB before it reads
# anything, the release build at about 5 MB.
tool_baseline() {
	mkdir -p "$TMP/baseline-md/new" "$TMP/baseline-md/cur" "$TMP/baseline-md/tmp"
	printf 'From: a@example.org\r\nSubject: x\r\n\r\nhi\r\n' > "$TMP/baseline-md/new/1.x"
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:malloc_context_size=0" \
		/usr/bin/time -f "%M" -o "$TMP/baseline-rss" "$1" --dry-run "maildir:$TMP/baseline-md" >/dev/null 2>&1
	tail -n 1 "$TMP/baseline-rss"
}
# mem_bound RSS BASE LIMIT: RSS (KB) is under LIMIT (KB) absolutely when
# the tool's baseline is that of a release build, and its growth over the
# baseline is under LIMIT less 5 MB (a release build's baseline) in any build.
mem_bound() {
	[ $(($1 - $2)) -lt $(($3 - 5000)) ] && { [ "$2" -ge 10000 ] || [ "$1" -lt "$3" ]; }
}
# tap_from COMMAND...: run a command that prints TAP lines ("ok N - ...",
# "not ok N - ...", comments) and count its results as this test's own;
# its plan line is dropped.  A command that fails without a "not ok"
# line (a crash) is a failure too.
tap_from() {
	"$@" > "$TMP/tap_from.out"
	_rc=$? _bad=0
	while IFS= read -r _line; do
		case $_line in
		"ok "*) ok "${_line#ok * - }" ;;
		"not ok "*) notok "${_line#not ok * - }"; _bad=1 ;;
		1..*) ;;
		*) echo "$_line" ;;
		esac
	done < "$TMP/tap_from.out"
	[ "$_rc" -eq 0 ] || [ "$_bad" -eq 1 ] || notok "$1 exited with status $_rc"
}
