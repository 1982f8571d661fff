#!/bin/sh
# The bounce mailbox as an mbox file (mbox:PATH): messages are split as
# mutt and Postfix's local(8) write them (">From " unquoted), read one at
# a time, and the file is never changed, whatever the disposition; a
# file another program holds locked is waited for; a large mbox is read
# in flat memory.
. "$(dirname "$0")/lib.sh"
TOOL=${NEWSBEAT_TOOLS:-$SRCDIR/build/tools}/mailbox-tool
[ -x "$TOOL" ] || skip_all "no $TOOL (make build/tools/mailbox-tool)"
printf 'From MAILER-DAEMON Thu Nov 26 10:00:00 2026\nSubject: one\n\nbody\n>From here\n\n' > box
printf 'From MAILER-DAEMON Thu Nov 26 10:00:01 2026\nSubject: two\n\nx\n\n' >> box
printf 'From MAILER-DAEMON Thu Nov 26 10:00:02 2026\nSubject: three\n\ny\n' >> box
cp box box.orig

mkdir saved
"$TOOL" --dry-run --save saved mbox:box >out 2>err
check "dry run: exit 0" test $? -eq 0
check "  three messages, named by the offset of their separator line" \
	test "$(sed 1,2d out | cut -d' ' -f1 | tr '\n' ' ')" = "0 75 136 "
check "  each without its separator line" sh -c "! grep -q '^From MAILER-DAEMON' saved/*.eml"
check "  >From unquoted" sh -c "grep -qx 'From here' saved/1.eml && ! grep -q '^>From' saved/1.eml"
check "  each its own message" sh -c "grep -qx 'Subject: two' saved/2.eml && grep -qx 'y' saved/3.eml"
check "  the file is unchanged" cmp -s box box.orig

for d in processed unrecognized keep; do
	"$TOOL" --dispose $d mbox:box >out 2>err
	check "dispose $d: exit 0, the file unchanged" sh -c "test $? -eq 0 && cmp -s box box.orig"
done
"$TOOL" --dispose processed --processed delete mbox:box >out 2>err
check "processed = delete: the file unchanged, with a warning saying so" \
	sh -c "cmp -s box box.orig && grep -q 'an mbox is never rewritten' err"

: > empty
"$TOOL" mbox:empty >out 2>err
check "an empty mbox: no message, exit 0" sh -c "test $? -eq 0 && test \$(sed 1,2d out | wc -l) -eq 0"
"$TOOL" mbox:nowhere >out 2>err
check "a missing file: a clear error naming it" grep -q "cannot open 'nowhere'" err
"$TOOL" mbox:. >out 2>err
check "a directory: not an mbox file" grep -q "'.' is not an mbox file" err

# A delivery holding the lock for 2 s: the reader waits, then reads.
$PY -c '
import fcntl, sys, time
f = open("box", "r+"); fcntl.lockf(f, fcntl.LOCK_EX)
open("locked", "w").close(); time.sleep(2)' & locker=$!
while [ ! -e locked ]; do sleep 0.1; done
"$TOOL" mbox:box >out 2>err
check "a locked mbox is waited for, then read" test "$(sed 1,2d out | wc -l)" -eq 3
wait $locker

if [ -x /usr/bin/time ]; then
	$PY -c '
body = ("x" * 76 + "\n") * 260
with open("big", "w") as f:
    for i in range(3000):
        f.write(f"From a@example.org Thu Nov 26 10:00:00 2026\nSubject: m{i}\n\n{body}\n")'
	# Without ASan's quarantine (make debug) the same bound holds there.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:malloc_context_size=0" \
		/usr/bin/time -f "%M" -o rss "$TOOL" --dry-run mbox:big >out 2>err
	check "a 60 MB mbox: 3000 messages" test "$(sed 1,2d out | wc -l)" -eq 3000
	rss=$(tail -n 1 rss)
	base=$(tool_baseline "$TOOL")
	check "  peak memory ${rss} KB, the tool alone ${base} KB: the 60 MB mbox adds under 25 MB (a release build: under 30 MB in all)" \
		mem_bound "$rss" "$base" 30000
else
	ok "# SKIP no /usr/bin/time to measure peak memory"
fi
done_testing
