#!/bin/sh
# A template whose expansion never ends (email.html includes a partial that
# includes itself twice) is an error with the partial's file:line: check
# fails naming it, render writes nothing, send refuses before mailing anyone
# (nothing in the Maildir outbox, no recipient marked sent or failed; a
# resumed send leaves its pending rows pending).
. "$(dirname "$0")/lib.sh"

# nb ARGS: run newsbeat with stdout in ./out and stderr in ./err
nb() { "$NEWSBEAT" "$@" >out 2>err; }

make_newsletter nl
cd nl
"$NEWSBEAT" subscribers add amara@example.org --name "Amara Okafor" >/dev/null
"$NEWSBEAT" subscribers add zoe@example.org --name "Zoë Müller" >/dev/null

# The shipped templates, with a self-including partial before the footer.
cp -r templates loopy
awk '{ print } /^\{\{\{content\}\}\}$/ { print "{{>loop}}" }' templates/email.html > loopy/email.html
printf '<p>again</p>\n{{>loop}}{{>loop}}\n' > loopy/loop.html
printf '[paths]\ntemplates = loopy\n' > config.ini
check "the custom email.html includes the partial" grep -q '^{{>loop}}$' loopy/email.html

check_exit 1 "check fails" nb check 42
check "check names the partial's file:line" \
	grep -Eq '^(.*/)?loopy/loop.html:2: error: partials nested more than 100 deep while rendering (.*/)?loopy/email.html' out
check "check reports no warning" sh -c '! grep -q "warning:" out err'

check_fails "render fails" nb render 42 -o preview
check "render names the partial's file:line" grep -q 'loopy/loop.html:2: ' err
check "render wrote nothing" test ! -e preview/issue-42.html

check_fails "send --yes fails" nb send 42 --yes
check "send names the partial's file:line" grep -q 'loopy/loop.html:2: ' err
check "nothing in the Maildir outbox" test -z "$(find outbox -type f 2>/dev/null)"
"$NEWSBEAT" status 42 >status.out 2>&1
check "status: issue 42 has not been sent" grep -q '^issue 42 has not been sent' status.out
check_fails "send --dry-run fails too" nb send 42 --dry-run
check_fails "send --test fails too" nb send 42 --test editor@example.org --yes
check "still nothing in the outbox" test -z "$(find outbox -type f 2>/dev/null)"

# A resumed send refuses too: the row still due stays pending, none failed.
mk_issue() {
	sed "s/^issue: 42\$/issue: $1/; s/#42/#$1/" issues/issue-42.md > "issues/issue-$1.md"
}
mk_issue 43
printf '[paths]\ntemplates = templates\n' > config.ini
check "issue 43: a first run sends one message (--limit 1)" nb send 43 --yes --limit 1
printf '[paths]\ntemplates = loopy\n' > config.ini
check_fails "issue 43: the resumed send with the loop fails" nb send 43 --yes
check "issue 43: still one message in the outbox" test "$(find outbox -type f | wc -l)" -eq 1
"$NEWSBEAT" status 43 >status.out 2>&1
check "issue 43: status: 1 sent" grep -Eq '^ +sent +1$' status.out
check "issue 43: status: 1 pending" grep -Eq '^ +pending +1$' status.out
check "issue 43: status: 0 failed" grep -Eq '^ +failed +0$' status.out
rm -rf outbox

# Fixed, the same issue goes out to everyone: the failed send left them due.
printf '<p>once</p>\n' > loopy/loop.html
check "check passes once the partial is fixed" nb check 42
check "send --yes then works" nb send 42 --yes
check "two messages in the outbox" test "$(ls outbox/new | wc -l)" -eq 2
check "with the unsubscribe link" sh -c 'grep -l "Unsubscribe" outbox/new/* 2>/dev/null | wc -l | grep -qx 2'
done_testing
