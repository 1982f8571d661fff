#!/usr/bin/python3
"""A capturing SMTP server for end-to-end tests (Debian's python3-aiosmtpd).

    smtp_capture.py PORT DIR [--cert CERT --key KEY [--smtps]]
                    [--log FILE] [--no-save] [--fault SPEC]...

Listens on 127.0.0.1:PORT and writes every message it accepts to
DIR/NNNNNN.eml exactly as received (the DATA bytes, CRLF line endings), with
the envelope in DIR/NNNNNN.env ("MAIL FROM" line, then one "RCPT TO" line per
recipient).  Stops on SIGTERM.

  --cert/--key  offer STARTTLS (and require it before MAIL);
  --smtps       with --cert/--key: implicit TLS from the first byte instead
  --tls-optional  with --cert/--key: offer STARTTLS but accept mail without it
  --auth USER:PASSWORD  require AUTH (PLAIN or LOGIN, after TLS) with these
                credentials; each attempt is appended to DIR/auth.log as
                "USER ok" or "USER refused"
  --log FILE    append one line per accepted message: "RCPT<TAB>Message-ID"
                (written before the 250 goes out, so a client killed after
                the 250 finds its message logged)
  --no-save     do not write the .eml/.env files (with --log: fast capture)
  --fault SPEC  a scripted fault, SPEC = MATCH:STAGE:ACTION[:once]
                  MATCH   a substring of the recipient address ("" = all)
                  STAGE   rcpt (reply to RCPT TO) or dot (reply after the
                          final dot, once the whole message was received)
                  ACTION  a reply code: 4xx or 5xx ("451", "550"), with
                          its enhanced status after a slash if wanted
                          ("550/5.1.1": "550 5.1.1 fault injected"),
                          close   drop the connection without a reply,
                          hang    never reply (the client must time out),
                          keep-close  (dot only) accept and store the
                                  message, then drop the connection without
                                  the 250: the ambiguous case
                          late-keep-close  the same after a second
                  once    only the first time it matches that recipient
"""
import argparse, asyncio, os, signal, ssl, sys, threading, warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Fault:
    def __init__(self, spec):
        parts = spec.split(":")
        if len(parts) not in (3, 4) or parts[1] not in ("rcpt", "dot"):
            sys.exit("smtp_capture: bad --fault %r" % spec)
        self.match, self.stage, self.action = parts[0], parts[1], parts[2]
        self.once = len(parts) == 4 and parts[3] == "once"
        self.hit = set()

    def applies(self, stage, rcpt):
        if stage != self.stage or self.match not in rcpt:
            return False
        if self.once:
            if rcpt in self.hit:
                return False
            self.hit.add(rcpt)
        return True


class Capture:
    def __init__(self, directory, log, save, faults):
        self.dir = directory
        self.log = open(log, "a", buffering=1) if log else None
        self.save = save
        self.faults = faults
        self.n = 0
        self.lock = threading.Lock()

    def fault(self, stage, rcpt):
        for f in self.faults:
            if f.applies(stage, rcpt):
                return f.action
        return None

    async def act(self, server, action):
        """Carry out a fault action; returns the reply to send, if any."""
        if action in ("close", "keep-close"):
            server.transport.close()
            await asyncio.sleep(3600)	# cancelled by connection_lost
        if action == "hang":
            await asyncio.sleep(3600)
        code, _, status = action.partition("/")
        return "%s %s fault injected" % (code, status or ("4.0.0" if code[0] == "4" else "5.0.0"))

    async def handle_RCPT(self, server, session, envelope, address, options):
        action = self.fault("rcpt", address)
        if action:
            return await self.act(server, action)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def store(self, envelope):
        with self.lock:
            self.n += 1
            n = self.n
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        if self.log:
            msgid = ""
            for line in data.split(b"\r\n"):
                if not line:
                    break
                if line.lower().startswith(b"message-id:"):
                    msgid = line[11:].strip().decode("ascii", "replace")
            for r in envelope.rcpt_tos:
                self.log.write("%s\t%s\n" % (r, msgid))
        if self.save:
            base = os.path.join(self.dir, "%06d" % n)
            with open(base + ".tmp", "wb") as f:
                f.write(data)
            with open(base + ".env", "w") as f:
                f.write("MAIL FROM %s\n" % envelope.mail_from)
                for r in envelope.rcpt_tos:
                    f.write("RCPT TO %s\n" % r)
            os.rename(base + ".tmp", base + ".eml")
        return n

    async def handle_DATA(self, server, session, envelope):
        action = None
        for r in envelope.rcpt_tos:
            action = action or self.fault("dot", r)
        if action == "late-keep-close":
            await asyncio.sleep(1)
            action = "keep-close"
        if action == "keep-close":
            self.store(envelope)
        if action:
            return await self.act(server, action)
        n = self.store(envelope)
        return "250 OK queued as %06d" % n


class Authenticator:
    def __init__(self, spec, directory):
        self.user, _, self.password = spec.partition(":")
        self.log = os.path.join(directory, "auth.log")

    def __call__(self, server, session, envelope, mechanism, data):
        login = data.login.decode("utf-8", "replace")
        good = login == self.user and data.password.decode("utf-8", "replace") == self.password
        with open(self.log, "a") as f:
            f.write("%s %s\n" % (login, "ok" if good else "refused"))
        return AuthResult(success=good, handled=False)


def main():
    # aiosmtpd 1.4 warns about its own use of Session.login_data.
    warnings.simplefilter("ignore", DeprecationWarning)
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("dir")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--smtps", action="store_true")
    ap.add_argument("--tls-optional", action="store_true")
    ap.add_argument("--log")
    ap.add_argument("--no-save", action="store_true")
    ap.add_argument("--fault", action="append", default=[])
    ap.add_argument("--auth")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    kw = {}
    if a.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        if a.smtps:
            kw = {"ssl_context": ctx}
        else:
            kw = {"tls_context": ctx, "require_starttls": not a.tls_optional}
    if a.auth:
        kw.update(authenticator=Authenticator(a.auth, a.dir), auth_required=True)
    handler = Capture(a.dir, a.log, not a.no_save, [Fault(s) for s in a.fault])
    c = Controller(handler, hostname="127.0.0.1", port=a.port,
                   decode_data=False, **kw)
    c.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.2):
        pass
    c.stop()


if __name__ == "__main__":
    main()
