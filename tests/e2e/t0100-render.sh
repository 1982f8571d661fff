#!/bin/sh
# newsbeat new / render on the sample newsletter: every message parses back
# cleanly with Python's email package and its decoded parts equal the
# preview files byte for byte.
. "$(dirname "$0")/lib.sh"
make_newsletter nl
cd nl

for n in 40 41 42; do
	check "render issue $n" "$NEWSBEAT" render "issue-$n" --to "zoe@example.org" --name "Zoë Müller" -o out
	check "issue $n: the .eml parses with zero defects and the headers are all there" \
		$PY "$SRCDIR/tests/tools/eml_check.py" "out/issue-$n.eml" --text "dec-$n.txt" --html "dec-$n.html"
	check "issue $n: decoded text part equals the rendered .txt" cmp "dec-$n.txt" "out/issue-$n.txt"
	# The .html shows images in issues/assets/ from their files (relative to
	# out/); the message has the URL the archive publishes them at.
	sed 's|src="https://news.example.org/assets/|src="../issues/assets/|g' "dec-$n.html" > "view-$n.html"
	check "issue $n: decoded HTML part equals the rendered .html, local images from the files" \
		cmp "view-$n.html" "out/issue-$n.html"
	check "issue $n: the message shows its image at the published URL" \
		grep -q 'src="https://news.example.org/assets/' "dec-$n.html"
done

check "the personal greeting uses the name" grep -q "Dear Zoë Müller," out/issue-42.txt
check "the HTML greeting too" grep -q "Dear Zoë Müller," out/issue-42.html
check "view in browser links the archive page" grep -q 'href="https://news.example.org/issues/issue-42.html"' out/issue-42.html
check "a visible unsubscribe link" grep -q 'href="https://news.example.org/unsubscribe?t=' out/issue-42.html
check "the text part has no raw Markdown headings" sh -c '! grep -q "^## " out/issue-42.txt'
check "text lines are at most 72 columns" sh -c '! LC_ALL=C.UTF-8 awk "length(\$0) > 72 { exit 1 }" out/issue-42.txt || exit 1; exit 0'
check "To header encodes the non-ASCII name" grep -q '^To: =?UTF-8?' out/issue-42.eml
check "the .eml is 7-bit" sh -c '! LC_ALL=C grep -q "[^[:print:][:space:]]" out/issue-42.eml'

check "no name: the greeting falls back" "$NEWSBEAT" render 42 --to reader@example.org -o anon
check "Dear colleague," grep -q "Dear colleague," anon/issue-42.txt

# Message-ID is stable per issue+recipient and differs between recipients.
export NEWSBEAT_SECRET=test-secret-for-message-ids
"$NEWSBEAT" render 42 --to a@example.org -o m1 >/dev/null
"$NEWSBEAT" render 42 --to a@example.org -o m2 >/dev/null
"$NEWSBEAT" render 42 --to b@example.org -o m3 >/dev/null
id1=$(grep '^Message-ID:' m1/issue-42.eml) id2=$(grep '^Message-ID:' m2/issue-42.eml) id3=$(grep '^Message-ID:' m3/issue-42.eml)
check "Message-ID stable for the same recipient" test "$id1" = "$id2"
check "Message-ID differs for another recipient" test "$id1" != "$id3"
b1=$(grep -o 'boundary="[^"]*"' m1/issue-42.eml) b2=$(grep -o 'boundary="[^"]*"' m2/issue-42.eml)
check "boundaries are not predictable (differ between runs)" test "$b1" != "$b2"
unset NEWSBEAT_SECRET

# Bad input: clear errors, exit 2, nothing written.
check_exit 2 "unknown issue exits 2" "$NEWSBEAT" render issue-99 -o bad
check "nothing written for a bad issue" test ! -e bad
check_exit 2 "an invalid --to exits 2" "$NEWSBEAT" render 42 --to 'a@b.org
Bcc: evil@example.com' -o bad
check_exit 2 "a name with a line break is refused" "$NEWSBEAT" render 42 --to a@example.org --name 'Eve
Bcc: evil@example.com' -o bad2
check "no message written for it" test ! -e bad2/issue-42.eml
check_exit 2 "no ISSUE argument" "$NEWSBEAT" render
check "render --help" sh -c '"$NEWSBEAT" render --help | grep -q "usage: newsbeat render"'

# new: the next number, a file that parses and renders.
check "new --title" "$NEWSBEAT" new --title 'A "quoted" title: with colon'
check "it is issue 43" test -f issues/issue-43.md
check "the new issue renders" "$NEWSBEAT" render 43 -o out
check "its title survived YAML quoting" grep -q 'A "quoted" title: with colon' out/issue-43.txt
check "new again gives 44" sh -c '"$NEWSBEAT" new | grep -q "issue-44.md"'
done_testing
