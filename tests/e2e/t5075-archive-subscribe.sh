#!/bin/sh
# The subscribe box on an archive issue page, served by `newsbeat serve`:
# a reader types an address and presses the button in headless Chromium;
# serve's /subscribe answers "check your inbox" (the page's CSP allows
# the form), the address is pending and its confirmation mail is queued.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/serve-lib.sh"
command -v chromium >/dev/null || skip_all "chromium not installed (scripts/install-deps --test)"

serve_setup
rm -rf nl/public	# serve_setup's empty one: the archive makes its own
mkdir -p nl/issues
printf -- '---\ntitle: "An issue"\nissue: 1\ndate: 2026-01-15\n---\nText.\n' > nl/issues/issue-1.md
check "archive builds" "$NEWSBEAT" -c nl/config.ini archive -q
serve_start

"$PY" - "$SRCDIR/tests/e2e" "$BASE/issues/issue-1.html" reader@example.org >browser.tap 2>browser.err <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from cdp import Browser
url, addr = sys.argv[2:4]
b = Browser()
try:
    b.goto(url)
    print("ok - page loaded" if b.js("!!document.getElementById('cta-email')") else "not ok - no subscribe box")
    b.problems = []
    b.type_into("#cta-email", addr)
    b.click(".cta button")
    sent = b.js("!!document.getElementById('sent')")
    print(("ok" if sent else "not ok") + " - the button leads to serve's 'check your inbox' (%s)" % b.js("location.href"))
    # serve's own pages link no icon, so the browser may probe /favicon.ico: not this test's matter.
    problems = [p for p in b.problems if "/favicon.ico" not in p]
    print(("not ok - " + "; ".join(problems[:3])) if problems else "ok - no console messages (CSP allowed the form)")
except Exception as e:
    print("not ok - browser: %r" % e)
finally:
    b.close()
PY
while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok - }" ;;
	"not ok "*) notok "${line#not ok - }" ;;
	esac
done <browser.tap
[ -s browser.err ] && sed 's/^/# /' browser.err
check "the address is pending" sh -c '"$0" -c nl/config.ini subscribers list --list members --status pending | grep -q reader@example.org' "$NEWSBEAT"
check "its confirmation mail is queued" sh -c 'for _ in $(seq 50); do grep -lq "To: reader@example.org" nl/outbox/new/* 2>/dev/null && exit 0; sleep 0.1; done; exit 1'
done_testing
