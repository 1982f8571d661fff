#!/bin/sh
# `check` on the complete message: HTML part size limits (Gmail clips at
# 102 KB) and template variables nothing fills.
. "$(dirname "$0")/lib.sh"
make_newsletter nl
cd nl
for n in 40 41 42; do
	check_exit 0 "sample issue $n passes check" "$NEWSBEAT" check $n
done
{ printf -- '---\ntitle: Big\nissue: 50\ndate: 2026-01-01\n---\nHi {{subscriber.nme}} {{isue.title}}\n\n'
  i=0; while [ $i -lt 1500 ]; do echo "Paragraph $i with text that makes the message large enough to be clipped."; echo; i=$((i+1)); done; } > issues/issue-50.md
"$NEWSBEAT" check 50 > out.txt 2>&1; rc=$?
check "an oversized issue fails check (exit 1)" test "$rc" -eq 1
check "the size error names the limit and the consequence" grep -q "over 102 KB: Gmail clips it" out.txt
check "a misspelt attribute warns with file:line" grep -q "issues/issue-50.md:6: warning: template variable 'subscriber.nme'" out.txt
check "an unknown variable is an error" grep -q "error: template variable 'isue.title'" out.txt
{ printf -- '---\ntitle: Mid\nissue: 51\ndate: 2026-01-01\n---\n'
  i=0; while [ $i -lt 500 ]; do echo "Paragraph $i, just long enough."; echo; i=$((i+1)); done; } > issues/issue-51.md
"$NEWSBEAT" check 51 > out2.txt 2>&1; rc=$?
check "a 90-102 KB HTML part only warns (exit 0)" test "$rc" -eq 0
check "with a warning about the size" grep -q "warning: the HTML part is" out2.txt
printf -- '---\ntitle: T\nissue: 52\ndate: 2026-01-01\n---\nline 6\n\nline 8 {{#subscriber.name}} oops\n' > issues/issue-52.md
"$NEWSBEAT" render 52 -o p > out3.txt 2>&1; rc=$?
check "a template error in the body stops render (exit 2)" test "$rc" -eq 2
check "it names the Markdown file and line" grep -q "issues/issue-52.md:8: unclosed section 'subscriber.name'" out3.txt
check_exit 1 "and check reports it as an error" "$NEWSBEAT" check 52
done_testing
