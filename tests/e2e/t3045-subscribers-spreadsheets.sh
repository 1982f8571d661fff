#!/bin/sh
# Spreadsheets as people save them: the email column under the names
# Excel, LibreOffice, Google and mail programs give it; ';' (European
# Excel) and tab delimited files; a quote inside an unquoted field read
# as written, with a warning naming the line; malformed quoting still
# refused; a missing email column names the header it found.
. "$(dirname "$0")/lib.sh"
NB=$NEWSBEAT

mkdir nl && cd nl || exit 2
n=0
for h in "E-mail" "Email Address" "e-mail address" "Mail" "EMAIL"; do
	n=$((n + 1))
	printf '%s,Name\nh%d@example.org,H %d\n' "$h" $n $n > h$n.csv
	"$NB" subscribers import h$n.csv > out 2> err
	check "a header '$h' is the email column" sh -c "[ $? -eq 0 ] && $NB subscribers list | grep -q '^h$n@example.org'"
done

printf 'E-Mail;Name;Stadt\r\nanna@example.org;Anna Müller;"Köln; Ehrenfeld"\r\nben@example.org;Ben;Graz\r\n' > semi.csv
"$NB" subscribers import semi.csv --list de > out 2> err
check "a ';' delimited file imports" test $? -eq 0
check "  with its fields split at ';'" sh -c "$NB subscribers export --list de | grep -q '^anna@example.org,Anna Müller,\"Köln; Ehrenfeld\"'"
printf 'email\tname\ncy@example.org\tCy, Jr.\n' > tab.csv
"$NB" subscribers import tab.csv --list t > out 2> err
check "a tab delimited file imports" sh -c "[ $? -eq 0 ] && $NB subscribers list --list t | grep -q 'Cy, Jr.'"
printf 'email;name\ndi@example.org;Di, the first\n' > forced.csv
"$NB" subscribers import forced.csv --list f --delimiter ';' > out 2> err
check "--delimiter ';'" sh -c "[ $? -eq 0 ] && $NB subscribers list --list f | grep -q 'Di, the first'"
check_exit 2 "--delimiter with anything else is a usage error" "$NB" subscribers import forced.csv --delimiter '|'

printf 'email,name\nbob@example.org,Bob "B" Smith\n' > quote.csv
"$NB" subscribers import quote.csv --list q > out 2> err
check "a quote inside an unquoted field is read as written" sh -c \
	"[ $? -eq 0 ] && $NB subscribers list --list q | grep -q 'Bob \"B\" Smith'"
check "  with a warning naming the file and line" grep -q 'quote.csv:2: a quote inside an unquoted field' err
# The same field where the 64 KiB read block cuts it: the quote just
# before, at and after the cut, and its CRLF split by the cut.
for at in 65533 65535 65536 65537 65540 cr; do
	$PY - "$at" > edge.csv <<'EOF'
import sys
at = sys.argv[1]
rows, n = ["email,name\r\n"], 0
while sum(map(len, rows)) < 65400:
	n += 1
	rows.append("m%d@example.org,Name %d\r\n" % (n, n))
head = "".join(rows) + "q@example.org,"
tail = 'Bob "B" Smith\r\n'
# the quote (or the CR) is byte `at` of the file, counting from 0
if at == "cr":
	pad = 65535 - len(head) - len(tail) + 2
else:
	pad = int(at) - len(head) - 4
sys.stdout.write(head + "A" * pad + tail + "z@example.org,Z\r\n")
EOF
	"$NB" subscribers import edge.csv --list edge$at > out 2> err
	check "a bare quote cut by the read block ($at) imports" sh -c \
		"[ $? -eq 0 ] && $NB subscribers list --list edge$at | grep -q 'AAAA*Bob \"B\" Smith' &&
		 $NB subscribers list --list edge$at | grep -q '^z@example.org'"
	check "  with the warning naming its line" grep -q 'edge.csv:[0-9]*: a quote inside an unquoted field' err
done
printf 'email,name\nx@example.org,"Xavier"junk\ny@example.org,Y\n' > bad.csv
"$NB" subscribers import bad.csv --list bad > out 2> err
check "text after a closing quote still refuses the file" test $? -ne 0
check "  naming the line" grep -q 'bad.csv:2:' err
check "  and nothing of it is imported" sh -c "! $NB subscribers list --list bad 2>/dev/null | grep -q y@example.org"

printf 'Adresse,Nom\nz@example.org,Z\n' > noemail.csv
"$NB" subscribers import noemail.csv > out 2> err
check "no email column: an error" test $? -ne 0
check "  showing the header it found" grep -q "no 'email' column in the header row, which has 2 column(s): 'Adresse', 'Nom'" err
# Not UTF-8: refused whole at the first bad byte, with the advice, rather
# than importing the ASCII rows and rejecting each accented one.
printf 'email,name\nal@example.org,Al\nzoe@example.org,Zo\353\nem@example.org,\311mile\n' > latin1.csv
"$NB" subscribers import latin1.csv --list l1 > out 2> err
check "a Latin-1 file is refused (exit 2)" test $? -eq 2
check "  once, naming the first bad line and byte" sh -c \
	'[ "$(grep -c "not UTF-8" err)" = 1 ] && grep -q "latin1.csv:3: column 2 is not UTF-8 (byte 0xEB)" err'
check "  advising --encoding" grep -q -- "--encoding cp1252 (Excel on Windows) or latin1" err
check "  and nothing of it is imported, the ASCII rows neither" sh -c "! $NB subscribers list --list l1 2>/dev/null | grep -q al@"
"$NB" subscribers import latin1.csv --list l1 --encoding latin1 > out 2> err
check "--encoding latin1 converts it" sh -c "[ $? -eq 0 ] && $NB subscribers list --list l1 | grep -q 'Zoë' && $NB subscribers list --list l1 | grep -q 'Émile'"
printf 'email,name\nfr@example.org,\223Fran\347ois\224 \200\n' > cp.csv
"$NB" subscribers import cp.csv --list cp --encoding cp1252 > out 2> err
check "--encoding cp1252: curly quotes and the euro sign" sh -c "[ $? -eq 0 ] && $NB subscribers list --list cp | grep -q '“François” €'"
check_exit 2 "--encoding with an unknown name is a usage error" "$NB" subscribers import cp.csv --encoding ebcdic
done_testing
