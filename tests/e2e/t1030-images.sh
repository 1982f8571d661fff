#!/bin/sh
# Images end to end, as an editor adds one: lge.png in issues/assets/ and
# ![Late enhancement](assets/lge.png) in the issue.  check accepts it; the
# render preview shows the file (a path relative to the preview); send and
# the archive show the one URL under base_url that the archive serves
# (newsbeat serve answers it with the file's bytes); the HTML has width and
# height (at most the 536 px text column) read from PNG, JPEG and GIF headers;
# check fails on a missing image and warns over 1 MB.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/e2e/serve-lib.sh"
command -v curl > /dev/null || skip_all "curl is not installed (scripts/install-deps --test)"

NB=$NEWSBEAT
serve_setup
rm -r nl/public	# send builds it
cp -r "$SRCDIR/issues" nl/
cd nl || exit 2
mkdir -p issues/assets
# A real 1200x600 PNG, a JPEG and a GIF header (what the size is read from).
$PY - <<'PY'
import struct, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
w, h = 1200, 600
raw = b"".join(b"\0" + bytes([x % 256, 80, 160]) * w for x in range(h))
open("issues/assets/lge.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\1\1\0\0\1\0\1\0\0"
sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 240, 320, 1) + b"\1\x11\0"
open("issues/assets/scan.jpg", "wb").write(b"\xff\xd8" + app0 + sof0 + b"\xff\xd9")
open("issues/assets/spin.gif", "wb").write(b"GIF89a" + struct.pack("<HH", 100, 50) + b"\0\0\0;")
open("issues/assets/huge.png", "wb").write(open("issues/assets/lge.png", "rb").read() + b"\0" * (1100 * 1024))
PY
cat > issues/issue-50.md <<'MD'
---
title: "Images"
issue: 50
date: 2026-11-20
---
Dear colleague,

![Late enhancement](assets/lge.png)

![A scan](./assets/scan.jpg) and ![A spinner](assets/spin.gif)
MD
printf 'email,name\nann@example.org,Ann\n' > m.csv
"$NB" subscribers import m.csv > /dev/null

check_exit 0 "check accepts ![...](assets/lge.png)" "$NB" check 50 > out 2> err
check "  no problems found" grep -q "no problems found" out

# imgs FILE: each <img> of an HTML file as "src width height", one a line.
imgs() {
	$PY - "$1" <<'PY'
import html.parser, sys
class P(html.parser.HTMLParser):
    def handle_starttag(self, tag, attrs):
        if tag == "img":
            a = dict(attrs)
            print(a.get("src"), a.get("width"), a.get("height"))
P().feed(open(sys.argv[1], encoding="utf-8").read())
PY
}

"$NB" render 50 -o preview > out 2> err
check "render: the preview's images are the files, relative to the preview" $PY - <<'PY'
import html.parser, os, sys
srcs = []
class P(html.parser.HTMLParser):
    def handle_starttag(self, tag, attrs):
        if tag == "img":
            srcs.append(dict(attrs)["src"])
P().feed(open("preview/issue-50.html", encoding="utf-8").read())
want = ["issues/assets/lge.png", "issues/assets/scan.jpg", "issues/assets/spin.gif"]
got = [os.path.relpath(os.path.realpath(os.path.join("preview", s))) for s in srcs]
sys.exit(0 if got == want and not any(s.startswith("/") for s in srcs) else 1)
PY
imgs preview/issue-50.html > sizes
check "  width and height: the PNG scaled to the 536 px text column" grep -q "lge.png 536 268$" sizes
check "  the JPEG's from its frame header" grep -q "scan.jpg 320 240$" sizes
check "  the GIF's from its screen descriptor" grep -q "spin.gif 100 50$" sizes

check_exit 0 "send 50 --yes (the Maildir outbox)" "$NB" send 50 --yes > out 2> err
check "the message shows the published URL under base_url, with the size" $PY - "$BASE" <<'PY'
import email, email.policy, glob, re, sys
base = sys.argv[1]
m = email.message_from_binary_file(open(glob.glob("outbox/new/*")[0], "rb"), policy=email.policy.strict)
h = m.get_body(("html",)).get_content()
t = m.get_body(("plain",)).get_content()
want = '<img src="%s/assets/lge.png" alt="Late enhancement" width="536" height="268"' % base
ok = want in h and ("%s/assets/scan.jpg" % base) in h and ("] %s/assets/lge.png" % base) in t
sys.exit(0 if ok and "issues/assets" not in h else 1)
PY
check "send built the archive with the image in it" cmp -s issues/assets/lge.png public/assets/lge.png
check "  its page shows the same URL" sh -c 'grep -q "src=\"$0/assets/lge.png\" alt=\"Late enhancement\" width=\"536\"" public/issues/issue-50.html' "$BASE"
# The editor replaces the image under the same name, now square: the
# rebuilt archive's page and feed show its new size (the issue file did
# not change, so nothing but the image says the page is out of date).
$PY - <<'PY'
import struct, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
w = h = 600
raw = b"".join(b"\0" + bytes([x % 256, 80, 160]) * w for x in range(h))
open("issues/assets/lge.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
PY
check_exit 0 "archive after the image is replaced" "$NB" archive > out 2> err
imgs public/issues/issue-50.html > sizes
check "  the page shows the new size" grep -q "lge.png 536 536$" sizes
check "  the feed too" grep -q 'lge.png&quot; alt=&quot;Late enhancement&quot; width=&quot;536&quot; height=&quot;536&quot;' public/feed.xml
check "  and the new bytes are published" cmp -s issues/assets/lge.png public/assets/lge.png
check_exit 0 "archive again, nothing changed" "$NB" archive > out 2> err
check "  re-renders no page" grep -q "(0 rendered" out

cd .. || exit 2
serve_start
check "serve answers that URL with the image" sh -c 'curl -s -o got.png -w "%{http_code} %{content_type}" "$0/assets/lge.png" > code &&
	grep -q "^200 image/png" code && cmp -s got.png nl/issues/assets/lge.png' "$BASE"
serve_stop
cd nl || exit 2

# What check refuses and warns about.
cat > issues/issue-51.md <<'MD'
---
title: "Broken images"
issue: 51
date: 2026-11-20
---
Dear colleague,

![Missing](assets/lge-typo.png)

![Huge](assets/huge.png)

![Elsewhere](images/lge.png)
MD
check_exit 1 "check of a missing image exits 1" "$NB" check 51 > out 2> err
check "  naming the line and the file it looked for" \
	grep -q "issue-51.md:8: error: image 'assets/lge-typo.png' is missing: there is no file '.*issues/assets/lge-typo.png'" out
check "  a warning for the image over 1 MB" grep -q "issue-51.md:10: warning: image 'assets/huge.png' is 1.[0-9] MB" out
check "  a relative image outside assets/ is still an error, saying where to put it" \
	grep -q "issue-51.md:12: error: relative image 'images/lge.png'.*issues/assets/" out

# The sample issues ship the images they use.
for f in issues/issue-4[012].md; do
	n=$(basename "$f" .md)
	check_exit 0 "sample $n passes check with its image" "$NB" check "$n" > out 2> err
done
check "the sample images are real PNGs" $PY - <<'PY'
import glob, sys
fs = glob.glob("issues/assets/*.png")
sys.exit(0 if all(open(f, "rb").read(8) == b"\x89PNG\r\n\x1a\n" for f in fs) and len(fs) >= 3 else 1)
PY
done_testing
