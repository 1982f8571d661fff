#!/usr/bin/python3
"""Drive headless Chromium through subscribe → confirm → unsubscribe.

  serve-browser.py BASE MAILDIR UNSUBSCRIBE_URL EMAIL STATUS_CMD...

MAILDIR holds the captured mail as *.eml (tests/tools/smtp_capture.py).

Talks the Chrome DevTools Protocol over --remote-debugging-pipe (fd 3/4,
NUL-separated JSON), so nothing beyond Debian's chromium and python3 is
needed.  The browser fills and submits the real forms (a click on the real
button, no JavaScript in the pages).  After each step STATUS_CMD EMAIL is
run and must print the expected membership status.  Prints TAP lines.
"""
import email, email.policy, glob, json, os, re, subprocess, sys, tempfile, time

base, maildir, unsub_url, addr = sys.argv[1:5]
status_cmd = sys.argv[5:]
n = 0
failed = 0


def tap(ok, what):
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, what), flush=True)


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="nb-chromium-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def child():
            # Move both ends out of the way first: either may already be
            # fd 3 or 4, and subprocess's own error pipe may sit there too.
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)
            r2, w2 = os.dup2(r, 100), os.dup2(w, 101)
            os.dup2(r2, 3)
            os.dup2(w2, 4)
        self.proc = subprocess.Popen(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-sync", "--mute-audio",
             "--user-data-dir=" + self.profile, "--remote-debugging-pipe", "about:blank"],
            preexec_fn=child, close_fds=False,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.profile, "..", os.path.basename(self.profile) + ".log"), "w"))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.id = 0
        self.events = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=True)

    def send(self, method, params=None, session=False):
        self.id += 1
        msg = {"id": self.id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        return self.id

    def read(self, deadline):
        while b"\0" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self.from_chrome, 65536)
            if not chunk:
                raise EOFError("chromium exited")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=False, timeout=30):
        mid = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            m = self.read(deadline)
            if m.get("id") == mid:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_load(self, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == "Page.loadEventFired":
                    del self.events[:i + 1]
                    return
            self.events = []
            self.events.append(self.read(deadline))

    def js(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=True)
        return r.get("result", {}).get("value")

    def goto(self, url):
        self.events = []
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_load()

    def click(self, selector):
        """A real mouse click in the middle of the element, then the next page."""
        box = self.js("(() => { const r = document.querySelector(%s).getBoundingClientRect();"
                      " return [r.x + r.width / 2, r.y + r.height / 2]; })()" % json.dumps(selector))
        self.events = []
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1}, session=True)
        self.wait_load()

    def type_into(self, selector, text):
        self.js("document.querySelector(%s).focus()" % json.dumps(selector))
        self.call("Input.insertText", {"text": text}, session=True)

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        subprocess.run(["rm", "-rf", self.profile])


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
print("1..%d" % n)
sys.exit(1 if failed else 0)
