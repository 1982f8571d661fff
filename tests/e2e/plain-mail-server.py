#!/usr/bin/python3
"""A loopback IMAP or POP3 server that offers no STARTTLS / STLS.

    plain-mail-server.py imap|pop3 PORT LOG

It answers CAPABILITY / CAPA without STARTTLS / STLS and writes every
command it receives to LOG, one line each (passwords included), so a test
can tell whether a client sent credentials over plain text.  It refuses
every login.
"""
import socketserver
import sys

PROTO, PORT, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class Handler(socketserver.StreamRequestHandler):
    def say(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        self.say("* OK fake IMAP ready" if PROTO == "imap" else "+OK fake POP3 ready")
        for raw in self.rfile:
            line = raw.decode("latin-1").rstrip("\r\n")
            with open(LOG, "a") as f:
                f.write(line + "\n")
            if PROTO == "imap":
                tag, _, rest = line.partition(" ")
                cmd = rest.split(" ")[0].upper()
                if cmd == "CAPABILITY":
                    self.say("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
                    self.say(tag + " OK done")
                elif cmd == "LOGOUT":
                    self.say("* BYE")
                    self.say(tag + " OK bye")
                    return
                else:
                    self.say(tag + " NO refused")
            else:
                cmd = line.split(" ")[0].upper()
                if cmd == "CAPA":
                    self.say("+OK")
                    self.say("USER")
                    self.say(".")
                elif cmd == "QUIT":
                    self.say("+OK bye")
                    return
                else:
                    self.say("-ERR refused")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(("127.0.0.1", PORT), Handler).serve_forever()
