#!/bin/sh
# A self-including partial in an archive or serve template is an error with
# the partial's file:line: the archive is not rebuilt (the previous one
# stays), and serve does not start.
. "$(dirname "$0")/lib.sh"

# nb ARGS: run newsbeat with stdout in ./out and stderr in ./err
nb() { "$NEWSBEAT" "$@" >out 2>err; }

archive_newsletter nl
cp "$SRCDIR"/issues/issue-4[12].md issues/
check "a first archive builds" nb archive
cp public/index.html index.before

printf '<p>again</p>\n{{>loop}}{{>loop}}\n' > templates/loop.html
cp templates/archive-index.html index.orig
{ echo '{{>loop}}'; cat index.orig; } > templates/archive-index.html
check_fails "archive with the loop in archive-index.html fails" nb archive
check "it names the partial's file:line" grep -Eq '(^|/)templates/loop.html:2: partials nested more than 100 deep while rendering .*archive-index.html' err
check "no warning" sh -c '! grep -q "warning:" err'
check "the previous index.html is unchanged" cmp public/index.html index.before
cp index.orig templates/archive-index.html

cp templates/archive-issue.html issue.orig
{ echo '{{>loop}}'; cat issue.orig; } > templates/archive-issue.html
check_fails "archive with the loop in archive-issue.html fails" nb archive
check "it names the partial's file:line" grep -q 'templates/loop.html:2: ' err
cp issue.orig templates/archive-issue.html

# serve renders its pages once at start.
port=$(free_port)
printf '[serve]\nlisten = 127.0.0.1:%s\n' "$port" >> config.ini
cp templates/page-subscribe.html sub.orig
{ echo '{{>loop}}'; cat sub.orig; } > templates/page-subscribe.html
NEWSBEAT_SECRET=serve-test-secret-0123456789abcdef0123456789 \
	timeout 10 "$NEWSBEAT" serve >out 2>err
rc=$?
check "serve with the loop in page-subscribe.html exits 1 (not killed by timeout: $rc)" test "$rc" -eq 1
check "serve names the partial's file:line" grep -Eq '(^|/)templates/loop.html:2: partials nested more than 100 deep while rendering .*page-subscribe.html' err
cp sub.orig templates/page-subscribe.html
check "with the loop gone the archive builds again" nb archive
done_testing
