#!/bin/sh
# The issue e-mail in headless Chromium, as a reader's client shows it:
# every sample issue, plus one with a photo wider than any phone and a
# long unbroken address.
#  - WCAG AA contrast in the light and the dark scheme (computed styles of
#    every visible text run and control, page-check.py contrast);
#  - no sideways scrolling at 375 px with every <style> removed (clients
#    that drop <style> must still get a message that fits a phone), at
#    375 px with it, and at 640 px.
. "$(dirname "$0")/lib.sh"
command -v chromium >/dev/null || skip_all "chromium not installed (scripts/install-deps --test)"
PAGE_CHECK="$PY $SRCDIR/tests/e2e/page-check.py"

make_newsletter nl
cd nl
cat > issues/issue-43.md <<'EOM'
---
title: "A wide figure and a long address"
issue: 43
date: 2026-12-01
preheader: "Plus: one very long link"
---
{{#subscriber.name}}Dear {{subscriber.name}},{{/subscriber.name}}{{^subscriber.name}}Dear colleague,{{/subscriber.name}}

![A 1,200 px wide figure](wide.png)

Read it at https://example.org/a/really/long/address/that/has/no/spaces/to/break/at/on/a/small/screen/index.html

> A quotation with `inline code` and a [link](https://example.org/).

    a code block with a line far longer than a phone's screen is wide, which must wrap rather than scroll
EOM
for n in 40 41 42 43; do
	check "render issue $n" "$NEWSBEAT" render "$n" --to zoe@example.org --name "Zoë Müller" -o out
done
# The figure beside the page, 1200 × 400 px.
$PY -c '
import struct, sys, zlib
w, h = 1200, 400
raw = b"".join(b"\0" + bytes([40, 90, 160]) * w for _ in range(h))
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
sys.stdout.buffer.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))' > out/wide.png
pages=""
for n in 40 41 42 43; do pages="$pages file://$PWD/out/issue-$n.html"; done

tap_from $PAGE_CHECK contrast $pages
tap_from $PAGE_CHECK overflow 375 --no-style $pages
tap_from $PAGE_CHECK overflow 375 $pages
tap_from $PAGE_CHECK overflow 640 $pages
done_testing
