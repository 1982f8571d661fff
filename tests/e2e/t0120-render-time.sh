#!/bin/sh
# Any body the issue parser accepts renders and checks in well under a
# second.  cmark 0.30.2 is cubic on images opened before links in one
# paragraph: 512 KiB of '![[]()' took about a minute in 'render' and
# 'check' (and 'check' was quadratic on its own on '[^' repeated).  Such a
# paragraph is now refused, naming its line, and so are block quotes
# nested over 32 deep (512 KiB of '> ' rendered as 36 MB of HTML in over a
# second); the worst shapes still
# accepted (just under the bound, or a full 512 KiB of other inline
# trouble) must finish fast.  The bound checked here is generous (several
# times the figure measured, also under the sanitizers); a regression to
# the old behaviour takes tens of seconds.
. "$(dirname "$0")/lib.sh"
NB=$NEWSBEAT
archive_newsletter nl
LIMIT=3
case $NB in *-debug) LIMIT=15 ;; esac

# shape NAME HEAD UNIT: issues/issue-1.md with HEAD, then UNIT up to ~512 KiB
shape() {
	$PY - "$2" "$3" <<'PY'
import sys
head, unit = sys.argv[1].encode().decode("unicode_escape"), sys.argv[2].encode().decode("unicode_escape")
cap = 512 * 1024 - 64
body = head + unit * ((cap - len(head)) // len(unit)) if unit else head
open("issues/issue-1.md", "w").write("---\ntitle: T\nissue: 1\ndate: 2026-01-01\n---\n" + body[:cap] + "\n")
PY
}

# timed SECONDS-VAR command...: run with a hard stop at 60 s, set $secs
timed() {
	t0=$($PY -c 'import time; print(time.monotonic())')
	timeout 60 "$@" >/dev/null 2>&1
	rc=$?
	secs=$($PY -c "import time; print('%.2f' % (time.monotonic() - $t0))")
	return $rc
}

fast() {
	name=$1
	timed "$NB" render 1 --to a@example.org
	rc=$?
	check "$name: render exits 0 in ${secs}s (< ${LIMIT}s)" \
		$PY -c "import sys; sys.exit(not ($rc == 0 and $secs < $LIMIT))"
	timed "$NB" check 1
	rc=$?
	check "$name: check finishes in ${secs}s (< ${LIMIT}s), exit $rc" \
		$PY -c "import sys; sys.exit(not ($rc != 124 and $secs < $LIMIT))"
}

shape x '![[]()![[]()' ''
check "a paragraph of a few images and links is accepted" sh -c '"$0" render 1 --to a@example.org >/dev/null' "$NB"

# Over the bound: refused at once, naming the paragraph's line.
shape x 'Intro.\n\n' '![[]()'
timed "$NB" render 1 --to a@example.org
check "512 KiB of '![[]()' in one paragraph is refused at once (${secs}s)" \
	$PY -c "import sys; sys.exit(not ($secs < $LIMIT))"
"$NB" check 1 > out 2>&1
check "  check names the line and the shape" \
	grep -q "issues/issue-1.md:8: .*this paragraph has [0-9]* images ('!\[') and [0-9]* '\]' brackets" out

# Just under the bound, the rest filled with other inline trouble.
shape x "$($PY -c "print('![[]()' * 4470, end='')")\n\n" '*a_'
fast "4470 x '![[]()' in one paragraph, then '*a_'"
shape x "$($PY -c "print('![' * 1000 + '[]()' * 19990, end='')")\n\n" '_a*'
fast "1000 images opened, then 19990 links"
shape x '' "$($PY -c "print('![[]()' * 100, end='')")\n\n"
fast "many paragraphs of 100 x '![[]()'"
shape x '' '[^'
fast "512 KiB of '[^'"
shape x '' '[a]('
fast "512 KiB of '[a]('"
shape x '' '**a*'
fast "512 KiB of '**a*'"
shape x '' "$($PY -c "print('> ' * 32, end='')")x\n"
fast "512 KiB of lines quoted 32 deep"
shape x 'a\n\n' "$($PY -c "print('> ' * 33, end='')")x\n"
check_exit 2 "block quotes nested 33 deep are refused" sh -c '"$0" check 1 >out 2>&1' "$NB"
check "  naming the line" grep -q "issues/issue-1.md:8: .*block quotes nested over 32 deep" out
# Thousands of findings: check keeps the first LINT_MAX, counts the rest.
$PY -c "
open('issues/issue-1.md', 'w').write('---\ntitle: T\nissue: 1\ndate: 2026-01-01\n---\nHi.\n\n'
    + ''.join('{{x%d}} TODO\n' % i for i in range(30000)))"
timed "$NB" check 1
rc=$?
check "30000 unfilled variables and TODOs: check exits 1 in ${secs}s (< ${LIMIT}s)" \
	$PY -c "import sys; sys.exit(not ($rc == 1 and $secs < $LIMIT))"
"$NB" check 1 > out 2>&1
check "  the report is bounded" test "$(wc -l < out)" -le 210
check "  and says how many more there are" grep -q "^issues/issue-1.md: [0-9]* more findings not shown" out
done_testing
