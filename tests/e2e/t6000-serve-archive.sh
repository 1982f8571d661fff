#!/bin/bash
# newsbeat serve: startup checks, the archive as static files (content
# types, security headers, no traversal), clean shutdown on SIGTERM/SIGINT.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/serve-lib.sh"
command -v curl >/dev/null || skip_all "curl not installed"

serve_setup
P=nl/public
printf '<!DOCTYPE html><title>Archive</title><h1>NewsBeat archive</h1>\n' > $P/index.html
printf '<!DOCTYPE html><title>42</title><p>Issue 42</p>\n' > $P/issues/issue-42.html
printf '<!DOCTYPE html><title>Issues</title>\n' > $P/issues/index.html
printf 'body{color:red}\n' > $P/style.css
printf '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>\n' > $P/feed.xml
printf '\211PNG\r\n' > $P/logo.png
printf 'secret\n' > $P/.htpasswd
echo outside > outside.txt
ln -s "$TMP/outside.txt" $P/escape.html
ln -s "$TMP" $P/escdir
ln -s issues/issue-42.html $P/latest.html

# No secret: refuse to start, and say which variable to set.
NEWSBEAT_SECRET= "$NEWSBEAT" -c nl/config.ini serve >out 2>err
check "refuses to start without a secret (exit 2)" test $? -eq 2
check "the message names the variable" grep -q NEWSBEAT_SECRET err
"$NEWSBEAT" -c nl/config.ini serve --listen nonsense >out 2>err
check "a bad --listen is an error" test $? -ge 1
check "…naming the address" grep -q "nonsense" err
# An archive directory that holds the database (or the outbox) would serve
# every subscriber's address to anyone: refuse to start.
sed 's/^\[serve\]/[paths]\narchive = .\n[serve]/' nl/config.ini > nl/exposed.ini
"$NEWSBEAT" -c nl/exposed.ini serve >out 2>err
check "archive = . (the database inside it): refuses to start" test $? -eq 1
check "…naming the database" grep -q "newsbeat.db.*inside the archive" err
sed 's/^\[serve\]/[paths]\noutbox = public\/mail\n[serve]/' nl/config.ini > nl/exposed.ini
mkdir -p nl/public/mail
"$NEWSBEAT" -c nl/exposed.ini serve >out 2>err
check "the outbox inside the archive: refuses to start" test $? -eq 1
check "…naming the outbox" grep -q "outbox.*inside the archive" err
rmdir nl/public/mail
# Nor the config, the issues (drafts, embargoed ones) or the templates.
mkdir -p private nl/issues
printf '[paths]\narchive = .\ndatabase = ../private/newsbeat.db\noutbox = ../private/outbox\n' > nl/cfg-dot.ini
sed -n '/^\[newsletter\]/,$p' nl/config.ini >> nl/cfg-dot.ini
"$NEWSBEAT" -c nl/cfg-dot.ini serve >out 2>err
check "archive = . with the database elsewhere: still refuses (the config)" test $? -eq 1
check "…naming the config file and what to do" \
	grep -q "config file '.*cfg-dot.ini' is inside the archive directory.*\[paths\] archive" err
for what in issues templates; do
	mkdir -p "nl/public/$what-dir"
	[ "$what" = templates ] && cp nl/templates/* "nl/public/$what-dir/"
	sed "s/^\[serve\]/[paths]\n$what = public\/$what-dir\n[serve]/" nl/config.ini > nl/exposed.ini
	"$NEWSBEAT" -c nl/exposed.ini serve >out 2>err
	check "the $what inside the archive: refuses to start" test $? -eq 1
	check "…naming the $what directory" grep -q "the $what directory '.*$what-dir' is inside the archive" err
	rm -rf "nl/public/$what-dir"
done
check "--help" sh -c "\"$NEWSBEAT\" serve --help | grep -q listen"

serve_start
check "serves / (index.html)" sh -c "curl -s $BASE/ | grep -q 'NewsBeat archive'"
curl -s -D h -o body "$BASE/issues/issue-42.html"
check "an issue page" grep -q 'Issue 42' body
check "200" grep -q '^HTTP/1.1 200' h
check "text/html; charset=utf-8" grep -qi '^Content-Type: text/html; charset=utf-8' h
check "nosniff" grep -qi '^X-Content-Type-Options: nosniff' h
check "CSP default-src 'self'" grep -qi "^Content-Security-Policy: default-src 'self'.*frame-ancestors 'none'" h
check "Referrer-Policy no-referrer" grep -qi '^Referrer-Policy: no-referrer' h
ct() { curl -s -o /dev/null -w '%{content_type}' "$BASE/$1"; }
check "css type" test "$(ct style.css)" = "text/css; charset=utf-8"
check "feed type" test "$(ct feed.xml)" = "application/atom+xml; charset=utf-8"
check "png type" test "$(ct logo.png)" = "image/png"
check "serve.css type" test "$(ct serve.css)" = "text/css; charset=utf-8"
check "serve-icon.svg type" test "$(ct serve-icon.svg)" = "image/svg+xml"
check "…the installed favicon" sh -c "curl -s $BASE/serve-icon.svg | cmp -s - '$SRCDIR/templates/favicon.svg'"
check "serve's pages link it (no /favicon.ico request)" \
	sh -c "curl -s '$BASE/subscribe' | grep -q '<link rel=\"icon\" href=\"serve-icon.svg\" type=\"image/svg+xml\">'"
check "directory → index.html" sh -c "curl -s $BASE/issues/ | grep -q '<title>Issues'"
curl -s -D h -o /dev/null "$BASE/issues"
check "directory without / → 301 to issues/" sh -c "grep -q '^HTTP/1.1 301' h && grep -qi '^Location: issues/' h"
check "symlink inside the archive is served" sh -c "curl -s $BASE/latest.html | grep -q 'Issue 42'"
check "HEAD has no body" sh -c "test \"\$(curl -s -I $BASE/issues/issue-42.html | grep -c '^HTTP/1.1 200')\" = 1"
check "a missing page → 404 page" test "$(http_code "$BASE/nope.html")" = 404
check "404 has nosniff too" sh -c "curl -s -D - -o /dev/null $BASE/nope.html | grep -qi nosniff"

# Traversal in every spelling: literal, encoded, double slashes, symlinks out.
for u in "/../outside.txt" "/%2e%2e/outside.txt" "/%2E%2E/%2e%2e/etc/passwd" \
	 "/issues/..%2f..%2foutside.txt" "/issues/%2e%2e/%2e%2e/outside.txt" \
	 "/escape.html" "/escdir/outside.txt" "/.htpasswd" "//etc/passwd" \
	 "/issues/./issue-42.html" "/..%5c..%5coutside.txt" \
	 "/index.html%00.png" "/issues/issue-42.html%00" "/%00" "/%00/../outside.txt" \
	 "/escape.html%00.css"; do
	code=$(curl -s --path-as-is -o body -w '%{http_code}' "$BASE$u")
	if [ "$code" -ge 400 ] && ! grep -q outside body && ! grep -q 'root:' body && ! grep -q secret body
	then ok "no traversal: $u ($code)"; else notok "traversal: $u gave $code"; fi
done
# A NUL would cut the decoded path short ("/index.html%00.png" → /index.html).
check "an encoded NUL in the path → 400" test "$(http_code --path-as-is "$BASE/index.html%00.png")" = 400
check "…or in the query" test "$(http_code "$BASE/unsubscribe?t=abc%00def")" = 400
check "POST to the archive → 405" test "$(http_code -d x=1 "$BASE/index.html")" = 405
check "…with Allow" sh -c "curl -s -D - -o /dev/null -X PUT $BASE/ | grep -qi '^Allow: GET, HEAD'"

serve_stop
check "SIGTERM: clean exit 0" test "$SERVE_RC" -eq 0
check "…and the port is closed" sh -c "! (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null"
check "…and the database is not left locked" \
	sh -c "\"$NEWSBEAT\" -c nl/config.ini subscribers add after-stop@example.org >/dev/null"
serve_start
kill -INT "$SERVE_PID"; wait "$SERVE_PID"
check "SIGINT: clean exit 0" test $? -eq 0
check "…and the port is closed" sh -c "! (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null"

# Stopping with clients connected (an idle keep-alive, a half-sent request,
# a request in flight) is prompt and clean, the database writable at once.
serve_start
$SERVE_TOOL hold "$PORT" 30 & HOLD=$!
at_exit "kill $HOLD 2>/dev/null"
sleep 0.5
t0=$(date +%s)
serve_stop
t1=$(date +%s)
check "SIGTERM with connections open: exit 0" test "$SERVE_RC" -eq 0
check "…within 3 s (took $((t1 - t0)) s)" test $((t1 - t0)) -le 3
check "…port closed" sh -c "! (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null"
check "…database writable at once" \
	sh -c "\"$NEWSBEAT\" -c nl/config.ini subscribers add after-stop2@example.org >/dev/null"
wait $HOLD 2>/dev/null

# No archive yet: the forms still work.
rm -rf nl/public
serve_start
check "without an archive, /subscribe works" test "$(http_code "$BASE/subscribe")" = 200
check "…and / is 404" test "$(http_code "$BASE/")" = 404
serve_stop
done_testing
