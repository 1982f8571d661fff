#!/bin/sh
# Text from outside never reaches the terminal raw: an escape sequence in
# a CSV header cell, a list name or a subscriber's name is printed escaped
# (\x1b, \u009b), by every printer; --list takes the front matter's rule
# for list: (no control characters, valid UTF-8, not empty) and new --title
# refuses what the front matter would refuse (invalid UTF-8).
. "$(dirname "$0")/lib.sh"
NB=$NEWSBEAT
make_newsletter nl
cd nl || exit 2
ESC=$(printf '\033')

# raw FILE: 0 when FILE holds no ESC and no C1 CSI (U+009B)
raw() { ! grep -q "$ESC" "$1" && ! grep -q "$(printf '\302\233')" "$1"; }

printf 'email,"col\033]0;pwned\007"\r\na@example.org,x\r\n' > hdr.csv
check_exit 2 "a CSV header cell with an escape sequence is refused" \
	sh -c '"$0" subscribers import hdr.csv >out 2>err' "$NB"
check "  the message shows it escaped" grep -qF "('col\\x1b]0;pwned\\x07')" err
check "  and holds no raw escape" raw err

check_exit 2 "--list with an escape sequence is refused" \
	sh -c '"$0" subscribers add b@example.org --list "$(printf "l\033[2J")" >out 2>err' "$NB"
check "  naming the control character" grep -qF -- "--list contains a control character (0x1b)" err
check "  without a raw escape" raw err
check_exit 2 "--list with a C1 control (U+009B) is refused" \
	"$NB" subscribers add b@example.org --list "$(printf 'l\302\233')" 2>/dev/null
check_exit 2 "--list with invalid UTF-8 is refused" \
	"$NB" subscribers add b@example.org --list "$(printf 'l\377')" 2>/dev/null
check_exit 2 "an empty --list is refused" "$NB" subscribers add b@example.org --list "" 2>/dev/null
check "send --list takes the same rule" sh -c \
	'! "$0" send --dry-run --list "$(printf "l\033")" issue-42 2>err && grep -qF -- "--list contains a control character (0x1b)" err' "$NB"

# A database written before these checks (or by another tool) may hold
# anything: what it holds is printed escaped.
"$NB" subscribers add c@example.org --name C >/dev/null || exit 2
"$NB" subscribers add d@example.org --list other >/dev/null || exit 2
$PY - <<'PY' || exit 2
import sqlite3
db = sqlite3.connect("newsbeat.db")
db.execute("UPDATE subscribers SET name = 'C\x1b[31m\tred\u009b' WHERE email = 'c@example.org'")
db.execute("UPDATE lists SET name = 'm\x1b]0;x\x07' WHERE name = 'other'")
db.commit()
PY
"$NB" lists > lists.out 2>&1
check "lists: a list name with an escape sequence is escaped" grep -qF 'm\x1b]0;x\x07' lists.out
check "  raw nowhere" raw lists.out
"$NB" subscribers list > list.out 2>&1
check "subscribers list: a name with escapes, a tab and C1 is escaped" \
	grep -qF "$(printf 'c@example.org\tactive\tC\\x1b[31m\\tred\\u009b')" list.out
check "  raw nowhere" raw list.out

check_exit 2 "new --title with invalid UTF-8 is refused" sh -c '"$0" new --title "$(printf "caf\351")" 2>err' "$NB"
check "  saying why" grep -qF -- "--title is not valid UTF-8" err
check "  and writes no file" test ! -e issues/issue-43.md
check_exit 2 "new --title with a C1 control is refused" "$NB" new --title "$(printf 'a\302\205b')" 2>/dev/null
check "new --title with UTF-8 is taken" sh -c '"$0" new --title "Café" >/dev/null && grep -q "Café" issues/issue-43.md' "$NB"
done_testing
