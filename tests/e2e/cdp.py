"""Headless Chromium over the DevTools protocol, for the browser tests.

Talks the Chrome DevTools Protocol over --remote-debugging-pipe (fd 3/4,
NUL-separated JSON), so nothing beyond Debian's chromium and python3 is
needed.  Tap prints the checks as TAP lines.  Console messages, uncaught exceptions and failed loads of the
page are collected in Browser.problems.
"""
import base64, json, os, subprocess, sys, tempfile, time


class Tap:
    """TAP output: tap(ok, what) for each check, tap.done() prints the plan and exits."""

    def __init__(self):
        self.n = self.failed = 0

    def __call__(self, ok, what):
        self.n += 1
        if not ok:
            self.failed += 1
        print(("ok %d - %s" if ok else "not ok %d - %s") % (self.n, what), flush=True)

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)


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
        self.problems = []
        self.call("Page.enable", session=True)
        self.call("Runtime.enable", session=True)
        self.call("Log.enable", session=True)

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
            self.note(m)
            self.events.append(m)

    def note(self, m):
        """Keep what a page should never produce: console output, exceptions, log errors."""
        method, p = m.get("method"), m.get("params", {})
        if method == "Runtime.consoleAPICalled":
            self.problems.append("console.%s: %s" % (p.get("type"), " ".join(
                str(a.get("value", a.get("description", ""))) for a in p.get("args", []))))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.problems.append("exception: %s" % d.get("exception", {}).get("description", d.get("text")))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            self.problems.append("log: %s %s" % (p["entry"].get("text"), p["entry"].get("url", "")))

    def emulate(self, width, scheme):
        """A viewport WIDTH px wide, prefers-color-scheme SCHEME (light or dark)."""
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": 900,
                  "deviceScaleFactor": 1, "mobile": width < 600}, session=True)
        self.call("Emulation.setEmulatedMedia", {"features": [
            {"name": "prefers-color-scheme", "value": scheme}]}, session=True)

    def wait_load(self, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == "Page.loadEventFired":
                    del self.events[:i + 1]
                    return
            self.events = []
            m = self.read(deadline)
            self.note(m)
            self.events.append(m)

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

    def run_and_wait(self, code):
        """Run JavaScript that leaves the page (a form's submit()), then the next page."""
        self.events = []
        self.js(code)
        self.wait_load()

    def color_scheme(self, scheme):
        """Emulate prefers-color-scheme ("light" or "dark"); the page follows at once."""
        self.call("Emulation.setEmulatedMedia",
                  {"features": [{"name": "prefers-color-scheme", "value": scheme}]}, session=True)

    def viewport(self, width, height=900):
        """A window of width × height CSS pixels (a desktop one: no mobile zoom)."""
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                  session=True)

    def screenshot(self, path):
        """The whole page as a PNG."""
        shot = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                         session=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
