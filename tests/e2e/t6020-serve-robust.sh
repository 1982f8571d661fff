#!/bin/bash
# newsbeat serve under abuse: malformed requests, oversized bodies, slow
# clients, 1,000 concurrent connections — clean 4xx answers or timeouts,
# and the server keeps serving.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/serve-lib.sh"
command -v curl >/dev/null || skip_all "curl not installed"

serve_setup
printf '<h1>archive</h1>\n' > nl/public/index.html
serve_start --timeout 2
RAW="$SERVE_TOOL raw $PORT"
alive() { test "$(http_code "$BASE/")" = 200; }
T=$($SERVE_TOOL token u alice@example.org members)

status() { $RAW "$1" | cut -d' ' -f2; }
is4xx() { case "$1" in 4??|closed) return 0;; *) return 1;; esac; }
for req in \
	'GARBAGE\r\n\r\n' \
	'GET / HTTP/1.1\r\nHost: a\r\nNo colon here\r\n\r\n' \
	'GET / HTTP/1.1\r\n\r\n' \
	'GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n' \
	'POST /unsubscribe HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n' \
	'POST /unsubscribe HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' \
	'POST /subscribe HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; boundary=xx\r\nContent-Length: 25\r\n\r\n--xx\r\nContent-Disposition: f' \
	'POST /subscribe HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data\r\nContent-Length: 5\r\n\r\nemail' \
	'GET /subscribe HTTP/1.1\r\nHost: a\r\nX: '"$(head -c 70000 /dev/zero | tr '\0' x)"'\r\n\r\n' \
	'GET /'"$(head -c 70000 /dev/zero | tr '\0' a)"' HTTP/1.1\r\nHost: a\r\n\r\n'; do
	s=$(status "$req")
	if is4xx "$s"; then ok "malformed → $s: ${req:0:50}"; else notok "malformed → $s: ${req:0:60}"; fi
done
check "still serving after malformed requests" alive

# Oversized bodies: announced, chunked, and on the form endpoints.
head -c 20000 /dev/zero | tr '\0' a > big
check "body over 8 KB (Content-Length) → 413" \
	test "$(http_code --data-binary @big "$BASE/unsubscribe?t=$T")" = 413
check "body over 8 KB (chunked) → 413" \
	test "$(http_code -H 'Transfer-Encoding: chunked' --data-binary @big "$BASE/subscribe")" = 413
check "a 1 MB multipart upload → 413" sh -c "head -c 1000000 /dev/zero > huge; \
	test \$(curl -s -o /dev/null -w '%{http_code}' -F 'email=<huge' '$BASE/subscribe') = 413"
check "a field over 1 KB → 400" \
	test "$(http_code --data-raw "email=$(head -c 2000 /dev/zero | tr '\0' a)@example.org" "$BASE/subscribe")" = 400
check "a form in text/plain → 415" \
	test "$(http_code -H 'Content-Type: text/plain' --data-raw 'List-Unsubscribe=One-Click' "$BASE/unsubscribe?t=$T")" = 415
check "a repeated field → 400" \
	test "$(http_code --data-raw 'email=a@example.org&email=b@example.org' "$BASE/subscribe")" = 400
check "unknown method → 405" test "$(http_code -X DELETE "$BASE/unsubscribe?t=$T")" = 405
check "still serving" alive
# A multipart part without a name= (the parser hands over no key), before
# any token is looked at: on every form endpoint, and serve lives on.
for ep in unsubscribe subscribe confirm; do
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: multipart/form-data; boundary=XX' \
		--data-binary $'--XX\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XX--\r\n' "$BASE/$ep")
	check "a multipart part without a name on /$ep: an answer ($code), no crash" \
		sh -c "test '$code' != 000 && test '$code' -lt 500"
done
check "still serving" alive

# A slow client is cut off after the inactivity timeout (2 s here).
secs=$($SERVE_TOOL slow "$PORT")
check "slow client dropped after ~2 s (took $secs s)" test "$secs" -ge 1 -a "$secs" -le 5
check "still serving" alive

# Slowloris: connections that trickle header bytes faster than the
# inactivity timeout never finish their request; others are served anyway.
res=$($SERVE_TOOL slowloris 200 4 "$PORT")
served=${res%% *} slowest=${res#* }
check "200 slowloris connections for 4 s: every fresh GET served ($served)" \
	test "${served%/*}" = "${served#*/}" -a "${served%/*}" -gt 5
check "…none waited more than 1 s (slowest $slowest ms)" test "$slowest" -lt 1000
check "still serving" alive

# 1,000 connections at once (a third idle, a third stuck mid-request, a
# third with a whole GET): a new client is still answered, every one of the
# 1,000 ends with an answer or a close (timeout), none hangs, and afterwards
# everything is normal.
$SERVE_TOOL concurrent 1000 "$PORT" > conc
line=$(sed -n 1p conc) ends=$(sed -n 2p conc)
check "with 1,000 connections open, a new one is served ($line)" grep -q '^HTTP/1.1 200' <<<"$line"
check "…the 1,000 all ended: 333 answered 200, the rest closed ($ends)" \
	test "$ends" = "200:333 closed:667"
for i in $(seq 1000); do printf 'url = "%s/"\noutput = "/dev/null"\n' "$BASE"; done > urls
codes=$(curl -s --parallel --parallel-max 1000 -K urls -w '%{http_code}\n' 2>/dev/null | sort | uniq -c | tr -s ' ')
check "1,000 parallel curl requests all 200 ($codes)" test "$codes" = " 1000 200"
check "still serving" alive
serve_stop
check "clean stop after all that" test "$SERVE_RC" -eq 0
check "no crash reports in the log" sh -c "! grep -Ei 'sanitizer|segfault|abort' serve.log"
done_testing
