#!/usr/bin/python3
"""A capturing SMTP server for end-to-end tests (Debian's python3-aiosmtpd).

    smtp_capture.py PORT DIR [--cert CERT --key KEY]

Listens on 127.0.0.1:PORT and writes every message it accepts to
DIR/NNNNNN.eml exactly as received (the DATA bytes, CRLF line endings), with
the envelope in DIR/NNNNNN.env ("MAIL FROM" line, then one "RCPT TO" line per
recipient).  With --cert/--key it offers STARTTLS.  Stops on SIGTERM.
"""
import argparse, asyncio, os, signal, ssl, sys, threading

from aiosmtpd.controller import Controller


class Capture:
    def __init__(self, directory):
        self.dir = directory
        self.n = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            base = os.path.join(self.dir, "%06d" % self.n)
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        with open(base + ".tmp", "wb") as f:
            f.write(data)
        with open(base + ".env", "w") as f:
            f.write("MAIL FROM %s\n" % envelope.mail_from)
            for r in envelope.rcpt_tos:
                f.write("RCPT TO %s\n" % r)
        os.rename(base + ".tmp", base + ".eml")
        return "250 OK queued as %06d" % self.n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("dir")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    kw = {}
    if a.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        kw = {"tls_context": ctx, "require_starttls": True}
    c = Controller(Capture(a.dir), hostname="127.0.0.1", port=a.port,
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
