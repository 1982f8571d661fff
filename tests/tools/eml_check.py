#!/usr/bin/python3
"""eml_check.py - an independent checker for newsletter messages.

Usage (always with Debian's /usr/bin/python3):

    /usr/bin/python3 tests/tools/eml_check.py FILE.eml
        [--text OUT.txt] [--html OUT.html]
        [--expect-header NAME[=VALUE]]...  [--json]

Exit 0 when FILE.eml is a well-formed newsbeat message, else exit 1 with
one line per problem on stderr ("eml_check: FILE: problem").  Exit 2 for
usage errors or an unreadable file.

What it checks, with Python's own parser (email.parser.BytesParser) under
policy.default AND under policy.default with raise_on_defect=True:
  - no defect on the message, on any part, or on any header value;
  - the raw bytes: 7-bit only, CRLF line endings only (no bare CR or LF),
    no line over 998 octets, ends with CRLF; quoted-printable body lines
    at most 76 characters;
  - required headers present, exactly once: From, To, Subject, Date,
    Message-ID, MIME-Version, List-Id, List-Unsubscribe,
    List-Unsubscribe-Post, Archived-At; plus every --expect-header NAME
    (with =VALUE: the decoded value must equal VALUE exactly);
  - List-Unsubscribe holds an <http(s)://...> and a <mailto:...> URL and
    List-Unsubscribe-Post is "List-Unsubscribe=One-Click" (RFC 8058);
  - structure: multipart/alternative with exactly two parts, text/plain
    then text/html, both charset=UTF-8 with a quoted-printable or base64
    transfer encoding, each decoding as strict UTF-8.

Outputs:
  --text OUT.txt   the decoded text/plain part, UTF-8 bytes, CRLF -> LF
  --html OUT.html  the decoded text/html part, likewise
  --json           print the headers, decoded (RFC 2047), as a JSON object
                   on stdout: {"Subject": "...", ...}; a header that occurs
                   more than once maps to a list of values.

Example (in an e2e test):
    $PY "$SRCDIR/tests/tools/eml_check.py" out/issue-1.eml --text t.txt \
        --html h.html --expect-header 'Precedence=bulk' || notok ...
"""

import email
import email.errors
import email.policy
import json
import re
import sys
from email.parser import BytesParser

REQUIRED = ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version",
            "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
            "Archived-At"]


class Problems:
    def __init__(self, name):
        self.name = name
        self.list = []

    def add(self, msg):
        self.list.append(msg)


def check_raw(raw, p):
    """Byte-level rules that a parser would silently forgive."""
    for i, b in enumerate(raw):
        if b >= 0x80:
            p.add("non-7-bit byte 0x%02x at offset %d" % (b, i))
            break
    for m in re.finditer(rb"\r(?!\n)", raw):
        p.add("bare CR at offset %d" % m.start())
        break
    for m in re.finditer(rb"(?<!\r)\n", raw):
        p.add("bare LF at offset %d" % m.start())
        break
    if b"\0" in raw:
        p.add("NUL byte at offset %d" % raw.index(b"\0"))
    if not raw.endswith(b"\r\n"):
        p.add("message does not end with CRLF")
    for n, line in enumerate(raw.split(b"\r\n"), 1):
        if len(line) > 998:
            p.add("line %d is %d octets long (limit 998)" % (n, len(line)))
            break


def check_qp_lines(part, p, label):
    """RFC 2045 6.7 rule 5: encoded lines at most 76 characters."""
    cte = str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower()
    payload = part.get_payload(decode=False)
    if not isinstance(payload, str):
        return
    if cte in ("quoted-printable", "base64"):
        for n, line in enumerate(re.split(r"\r\n|\n", payload), 1):
            if len(line) > 76:
                p.add("%s: %s line %d is %d characters long (limit 76)"
                      % (label, cte, n, len(line)))
                break
            if cte != "quoted-printable":
                continue
            # Rule 1: "=" starts an escape of two upper-case hex digits
            # or, at the end of a line, a soft break.  Python's decoder
            # passes anything else through silently.
            bad = re.search(r"=(?![0-9A-F]{2}|$)", line)
            if bad:
                p.add("%s: invalid quoted-printable escape %r on line %d"
                      % (label, line[bad.start():bad.start() + 3], n))
                break
            # Rule 3: whitespace at the end of an encoded line is lost.
            if line.endswith((" ", "\t")):
                p.add("%s: trailing whitespace on quoted-printable line %d"
                      % (label, n))
                break
    else:
        p.add("%s: transfer encoding %r, want quoted-printable or base64"
              % (label, cte))


def collect_defects(msg, p, where):
    for d in msg.defects:
        p.add("%s: defect %s: %s" % (where, type(d).__name__, d))
    for name, value in msg.items():
        for d in getattr(value, "defects", ()):
            p.add("%s: header %s: defect %s: %s"
                  % (where, name, type(d).__name__, d))


def decoded_part(part, p, label):
    ctype = part.get_content_type()
    charset = part.get_param("charset")
    if not charset or charset.lower() not in ("utf-8", "utf8"):
        p.add("%s: charset %r, want UTF-8" % (label, charset))
    data = part.get_payload(decode=True)
    if data is None:
        p.add("%s: no payload" % label)
        return b""
    try:
        data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        p.add("%s (%s): not UTF-8: %s" % (label, ctype, e))
    return data.replace(b"\r\n", b"\n")


def main(argv):
    args = argv[1:]
    path = None
    text_out = html_out = None
    want_json = False
    expect = []
    while args:
        a = args.pop(0)
        if a in ("--text", "--html", "--expect-header"):
            if not args:
                print("eml_check: %s needs an argument" % a, file=sys.stderr)
                return 2
            v = args.pop(0)
            if a == "--text":
                text_out = v
            elif a == "--html":
                html_out = v
            else:
                expect.append(v)
        elif a == "--json":
            want_json = True
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        elif a.startswith("-"):
            print("eml_check: unknown option %s" % a, file=sys.stderr)
            return 2
        elif path is None:
            path = a
        else:
            print("eml_check: one FILE only", file=sys.stderr)
            return 2
    if path is None:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        print("eml_check: %s" % e, file=sys.stderr)
        return 2

    p = Problems(path)
    check_raw(raw, p)

    # Strict parse: the first defect raises.
    strict = email.policy.default.clone(raise_on_defect=True)
    try:
        smsg = BytesParser(policy=strict).parsebytes(raw)
        for part in smsg.walk():
            for name, value in part.items():
                str(value)  # header parsing is lazy; force it
            if not part.is_multipart():
                part.get_payload(decode=True)
    except (email.errors.MessageError, ValueError, TypeError) as e:
        p.add("strict parse failed: %s: %s" % (type(e).__name__, e))

    msg = BytesParser(policy=email.policy.default).parsebytes(raw)
    for i, part in enumerate(msg.walk()):
        collect_defects(part, p, "message" if i == 0 else "part %d" % i)

    for name in REQUIRED:
        n = len(msg.get_all(name, []))
        if n != 1:
            p.add("header %s occurs %d times, want 1" % (name, n))
    for e in expect:
        name, eq, value = e.partition("=")
        got = msg.get_all(name, [])
        if not got:
            p.add("expected header %s is missing" % name)
        elif eq and str(got[0]) != value:
            p.add("header %s is %r, want %r" % (name, str(got[0]), value))

    lu = str(msg.get("List-Unsubscribe", ""))
    if lu:
        urls = re.findall(r"<([^<>]*)>", lu)
        if not any(re.match(r"https?://", u) for u in urls):
            p.add("List-Unsubscribe has no <https://...> URL: %r" % lu)
        if not any(u.startswith("mailto:") for u in urls):
            p.add("List-Unsubscribe has no <mailto:...> URL: %r" % lu)
    lup = msg.get("List-Unsubscribe-Post")
    if lup is not None and str(lup) != "List-Unsubscribe=One-Click":
        p.add("List-Unsubscribe-Post is %r" % str(lup))
    if str(msg.get("MIME-Version", "")).strip() not in ("", "1.0"):
        p.add("MIME-Version is %r" % str(msg.get("MIME-Version")))
    for name in ("From", "To"):
        h = msg.get(name)
        if h is not None:
            try:
                if len(h.addresses) != 1 or "@" not in h.addresses[0].addr_spec:
                    p.add("%s does not hold exactly one address" % name)
            except (AttributeError, IndexError):
                p.add("%s is not an address header" % name)

    text = html = None
    if msg.get_content_type() != "multipart/alternative":
        p.add("content type %s, want multipart/alternative"
              % msg.get_content_type())
    else:
        parts = msg.get_payload()
        types = [q.get_content_type() for q in parts]
        if types != ["text/plain", "text/html"]:
            p.add("parts %s, want [text/plain, text/html]" % types)
        else:
            check_qp_lines(parts[0], p, "text/plain part")
            check_qp_lines(parts[1], p, "text/html part")
            text = decoded_part(parts[0], p, "text/plain part")
            html = decoded_part(parts[1], p, "text/html part")

    if text is not None and text_out:
        with open(text_out, "wb") as f:
            f.write(text)
    if html is not None and html_out:
        with open(html_out, "wb") as f:
            f.write(html)
    if want_json:
        out = {}
        for name, value in msg.items():
            v = str(value)
            if name in out:
                if not isinstance(out[name], list):
                    out[name] = [out[name]]
                out[name].append(v)
            else:
                out[name] = v
        print(json.dumps(out, ensure_ascii=False, indent=1))

    for prob in p.list:
        print("eml_check: %s: %s" % (path, prob), file=sys.stderr)
    return 1 if p.list else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
