#!/bin/sh
# The bounce mailbox as a local Maildir (maildir:PATH): messages in new/
# and cur/ are read one by one; a dry run touches no file (not even the
# maildirfolder file libetpan's own reader would create); move puts a
# message in the Maildir++ folder PATH/.FOLDER (created when missing),
# seen renames it into cur/ with the S flag, delete removes it, and an
# unrecognized message goes to PATH/.newsbeat-unrecognized, never away.
. "$(dirname "$0")/lib.sh"
TOOL=${NEWSBEAT_TOOLS:-$SRCDIR/build/tools}/mailbox-tool
[ -x "$TOOL" ] || skip_all "no $TOOL (make build/tools/mailbox-tool)"
msg() { printf 'From: MAILER-DAEMON@example.org\r\nSubject: %s\r\n\r\nbody %s\r\n' "$1" "$1"; }
tree() { (cd "$1" && find . | sort); }
# names DIR: the messages of a Maildir as "new/NAME" and "cur/NAME", one line
names() { (cd "$1" && find new cur -type f | sort | tr '\n' ' '); }
mkdir -p md/new md/cur md/tmp
msg a > md/new/1000.a.host
msg b > md/new/1001.b.host
msg c > md/cur/1002.c.host:2,F
msg d > md/cur/1003.d.host:2,S

"$TOOL" maildir:nowhere >out 2>err
check "a path that is not a Maildir: exit 1" test $? -eq 1
check "  the error names it and says what a Maildir needs" grep -q "'nowhere' is not a Maildir (it needs cur/ and new/)" err

t0=$(tree md)
"$TOOL" --dry-run --dispose processed --processed delete maildir:md >out 2>err
check "dry run with delete: exit 0" test $? -eq 0
check "  count 4" grep -qx "count 4" out
check "  each message by its name and size" \
	test "$(sed 1,2d out | tr '\n' ' ')" = "cur/1002.c.host:2,F 55 cur/1003.d.host:2,S 55 new/1000.a.host 55 new/1001.b.host 55 "
check "  no file or directory changed or appeared" test "$(tree md)" = "$t0"

"$TOOL" --dispose keep maildir:md >out 2>err
check "keep: nothing changed" test "$(tree md)" = "$t0"

cp -r md seen
"$TOOL" --dispose processed --processed seen maildir:seen >out 2>err
check "seen: exit 0" test $? -eq 0
check "  new/ messages are in cur/ with S, other flags kept in order" \
	test "$(names seen)" = "cur/1000.a.host:2,S cur/1001.b.host:2,S cur/1002.c.host:2,FS cur/1003.d.host:2,S "

cp -r md del
"$TOOL" --dispose processed --processed delete maildir:del >out 2>err
check "delete: exit 0, every message gone" test -z "$(names del)"

cp -r md mv
"$TOOL" --dispose processed maildir:mv >out 2>err
check "move:newsbeat-processed: exit 0" test $? -eq 0
check "  a Maildir++ folder .newsbeat-processed with cur, new, tmp" \
	test -d mv/.newsbeat-processed/cur -a -d mv/.newsbeat-processed/new -a -d mv/.newsbeat-processed/tmp
check "  each message there under the same name and place" \
	test "$(names mv/.newsbeat-processed)" = "cur/1002.c.host:2,F cur/1003.d.host:2,S new/1000.a.host new/1001.b.host "
check "  nothing left in the inbox" test -z "$(names mv)"
check "  the moved messages read back as maildir:mv/.newsbeat-processed" \
	sh -c "'$TOOL' maildir:mv/.newsbeat-processed | grep -qx 'count 4'"

cp -r md unr
"$TOOL" --dispose unrecognized --processed delete maildir:unr >out 2>err
check "unrecognized with processed = delete: moved, not deleted" \
	test "$(names unr/.newsbeat-unrecognized | wc -w)" -eq 4 -a -z "$(names unr)"

"$TOOL" --dispose processed --processed move:a/b maildir:md >out 2>err
check "move:a/b (not a Maildir++ folder name): a clear error" grep -q "folder 'a/b' cannot be a Maildir++ folder" err
"$TOOL" --processed archive maildir:md >out 2>err
check "a bad processed setting: a clear error" grep -q "processed = 'archive': write move:FOLDER, seen or delete" err
done_testing
