#!/usr/bin/python3
"""Drive headless Chromium through subscribe → confirm → unsubscribe.

  serve-browser.py BASE MAILDIR UNSUBSCRIBE_URL EMAIL STATUS_CMD...

MAILDIR holds the captured mail as *.eml (tests/tools/smtp_capture.py).

Drives Chromium with cdp.py (the DevTools protocol, nothing beyond Debian's
chromium and python3).  The browser fills and submits the real forms (a click on the real
button, no JavaScript in the pages).  After each step STATUS_CMD EMAIL is
run and must print the expected membership status.  Prints TAP lines.
"""
import email, email.policy, glob, os, re, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser, Tap  # noqa: E402

base, maildir, unsub_url, addr = sys.argv[1:5]
status_cmd = sys.argv[5:]
tap = Tap()


def status():
    out = subprocess.run(status_cmd + [addr], capture_output=True, text=True)
    return out.stdout.strip()


def confirmation_link(wait=10):
    """The confirm link in the captured mail to addr (waits for it to arrive)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        for f in sorted(glob.glob(os.path.join(maildir, "*.eml"))):
            m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
            if addr in str(m["To"]):
                found = re.findall(r"https?://\S+/confirm\?t=[A-Za-z0-9_.-]+",
                                   m.get_body(("plain",)).get_content())
                if found:
                    return found[0]
        time.sleep(0.1)
    return None


b = Browser()
try:
    b.goto(base + "/subscribe")
    tap(b.js("document.querySelector('form[method=post] #email') !== null"), "the subscribe form loads")
    tap(b.js("getComputedStyle(document.querySelector('button')).backgroundColor") == "rgb(179, 38, 30)",
        "…styled by serve.css despite the strict CSP")
    b.type_into("#email", addr)
    b.type_into("#name", "Erin Example")
    b.click("#subscribe")
    tap(b.js("document.getElementById('sent') !== null"), "submitting shows 'check your inbox'")
    tap(status() == "pending", "…the address is pending in the store (%s)" % status())

    link = confirmation_link()
    tap(link is not None, "the confirmation mail reached the SMTP server, with a link")
    b.goto(link)
    tap(b.js("document.getElementById('confirm') !== null"), "the link shows a confirm button")
    tap(status() == "pending", "…and following it changed nothing (%s)" % status())
    b.click("#confirm")
    tap(b.js("document.getElementById('done') !== null"), "pressing it shows the welcome page")
    tap(status() == "active", "…the address is active in the store (%s)" % status())

    b.goto(unsub_url)
    tap(b.js("document.getElementById('unsubscribe') !== null"), "the unsubscribe link shows a button")
    tap(status() == "active", "…and opening it changed nothing (%s)" % status())
    b.click("#unsubscribe")
    tap(b.js("document.getElementById('done') !== null"), "pressing it shows 'you are unsubscribed'")
    tap(status() == "unsubscribed", "…the address is unsubscribed in the store (%s)" % status())
except Exception as e:
    tap(False, "browser flow: %r" % e)
finally:
    b.close()
tap.done()
