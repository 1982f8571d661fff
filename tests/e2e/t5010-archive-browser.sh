#!/bin/sh
# The archive in headless Chromium: index and an issue page at 375 px and
# 1280 px, screenshots that show a real page, no console messages (errors,
# failed loads), and the client-side search working from file://.  Then
# archive-browser.py: layout room, contrast in both colour schemes from the
# computed styles, overflow, and the search (accents, <mark>, counts,
# dates and tag labels, a malformed ?q=).
. "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || skip_all "chromium not installed (scripts/install-deps --test)"

mkdir -p nl/issues
cp -r "$SRCDIR/templates" nl/
cd nl
printf -- '---\ntitle: "\\"><script>alert(1)</script> heart"\nissue: 1\ndate: 2026-03-01\npreheader: "Plus: the annual meeting"\ntags: [research]\n---\n{{#subscriber.name}}Dear {{subscriber.name}},{{/subscriber.name}}{{^subscriber.name}}Dear colleague,{{/subscriber.name}}\n\n## Cardiac MRI\n\nA very long paragraph about cardiac magnetic resonance imaging in heart failure with preserved ejection fraction, and what the new guideline says about it. https://example.org/a/really/long/url/that/should/wrap/on/small/screens/without/overflowing/the/page\n\n- one\n- two\n\n> A quotation.\n' > issues/issue-1.md
printf -- '---\ntitle: "Second issue"\nissue: 2\ndate: 2026-06-01\npreheader: "Abstract deadline"\n---\n## Zebrafish\n\nRegeneration studies.\n' > issues/issue-2.md
cat > issues/issue-3.md <<'MD'
---
title: "Zebrafish in Zürich"
issue: 3
date: 2026-04-01
preheader: "A café, a lab and a hard break"
tags: [Research, "Heart & Lungs"]
---
The lab sits above a café\
on the lake.

Some `inline code`, then:

    a code block

---

[The first issue](issue-1.html) and [the site](https://example.org/).
MD
check "archive builds" "$NEWSBEAT" archive -q

# browse URL WIDTH PNG: screenshot; console messages go to $PNG.log
browse() {
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync \
		--no-first-run --user-data-dir="$(mktemp -d "$TMP/chr.XXXXXX")" \
		--enable-logging=stderr --log-level=0 --hide-scrollbars \
		--window-size="$2",900 --screenshot="$3" "$1" >/dev/null 2>"$3.log"
}

# png_ok FILE WIDTH: a PNG of that width with enough distinct colours to be a page
png_ok() {
	"$PY" - "$1" "$2" <<'PY'
import sys, zlib, struct
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
assert w == int(sys.argv[2]), "width %d" % w
bpp = {2: 3, 6: 4}[ctype]
raw, stride, prev, colours = zlib.decompress(idat), w * bpp, None, set()
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i] if prev else 0
        c = prev[i - bpp] if prev and i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y % 4 == 0:
        for x in range(0, stride, bpp * 3):
            colours.add(bytes(line[x:x + 3]))
assert len(colours) > 24, "only %d colours: blank page?" % len(colours)
PY
}

for page in index.html issues/issue-1.html; do
	for w in 375 1280; do
		png="$TMP/$(echo "$page" | tr / _)-$w.png"
		browse "file://$PWD/public/$page" "$w" "$png"
		check "$page at $w px: screenshot" test -s "$png"
		check "$page at $w px: looks like a page" png_ok "$png" "$w"
		if grep -q "CONSOLE" "$png.log"; then
			notok "$page at $w px: console messages: $(grep CONSOLE "$png.log" | head -3)"
		else
			ok "$page at $w px: no console messages"
		fi
		check_fails "$page at $w px: the title did not run as script" grep -q 'alert' "$png.log"
	done
done
[ -n "${NEWSBEAT_KEEP_SHOTS:-}" ] && cp "$TMP"/*.png "$NEWSBEAT_KEEP_SHOTS"/

# Search from file://, the query in the URL: the DOM after the script ran.
timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	--disable-background-networking --disable-component-update --disable-sync \
	--no-first-run --user-data-dir="$(mktemp -d "$TMP/chr.XXXXXX")" \
	--enable-logging=stderr --log-level=0 \
	--dump-dom "file://$PWD/public/index.html?q=zebrafish" >dom.html 2>dom.log
check "search finds the issue by body text" grep -q 'id="results-list"><li><a class="title" href="issues/issue-2.html">Second issue</a>' dom.html
check_fails "search shows only matches" grep -q 'results-list">.*issue-1.html' dom.html
check_fails "search: no console messages" grep -q CONSOLE dom.log

printf '%s\n' index.html issues/issue-1.html issues/issue-3.html tags/research.html |
	"$PY" "$SRCDIR/tests/e2e/archive-browser.py" public >browser.tap 2>browser.err
rc=$?
# Its TAP lines, renumbered into this test's.
while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok * - }" ;;
	"not ok "*) notok "${line#not ok * - }" ;;
	esac
done <browser.tap
[ -s browser.err ] && sed 's/^/# /' browser.err
check "archive-browser.py passed (exit 0)" test "$rc" -eq 0
done_testing
