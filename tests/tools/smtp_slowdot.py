#!/usr/bin/python3
"""An SMTP server whose reply to the final dot comes late (end-to-end tests).

    smtp_slowdot.py PORT LOG DELAY [SLOW]

Listens on 127.0.0.1:PORT.  The first SLOW messages (default 1) get their
"250" to the final dot DELAY seconds late, as from a relay busy scanning:
the message is taken all the same (a real server would have queued it).
Every other reply comes at once.  No PIPELINING is offered, so a client
must wait for each reply before its next command.  Appends to LOG, one
line per event:

    connect N           connection N opened
    accept N RCPT       connection N took a message for RCPT
    early N COMMAND     COMMAND arrived on connection N while the reply to
                        the dot was still owed: the client will take that
                        late 250 as the reply to COMMAND (out of step)
    close N             connection N closed

Stops on SIGTERM.  Written with asyncio streams rather than aiosmtpd:
aiosmtpd cannot hold back one reply while it watches for the next command.
"""
import asyncio, signal, sys, time

port, logname, delay = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
slow_left = int(sys.argv[4]) if len(sys.argv) > 4 else 1
conns = 0
logf = open(logname, "a", buffering=1)


def log(*words):
    logf.write(" ".join(str(w) for w in words) + "\n")


async def session(reader, writer):
    global conns, slow_left
    conns += 1
    n = conns
    log("connect", n)

    async def reply(text):
        writer.write(text.encode("ascii") + b"\r\n")
        await writer.drain()

    next_line = None	# a readline already under way
    rcpt = "?"
    try:
        await reply("220 127.0.0.1 ESMTP slowdot")
        while True:
            line = await (next_line or reader.readline())
            next_line = None
            if not line:
                break
            cmd = line.decode("ascii", "replace").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb == "EHLO":
                await reply("250-127.0.0.1")
                await reply("250 8BITMIME")
            elif verb in ("HELO", "NOOP", "RSET"):
                await reply("250 2.0.0 Ok")
            elif verb == "MAIL":
                await reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                rcpt = cmd[8:].strip().strip("<>")
                await reply("250 2.1.5 Ok")
            elif verb == "DATA":
                await reply("354 End data with <CR><LF>.<CR><LF>")
                while True:
                    body = await reader.readline()
                    if not body:
                        return
                    if body == b".\r\n":
                        break
                log("accept", n, rcpt)
                if slow_left > 0:
                    slow_left -= 1
                    until = time.monotonic() + delay
                    next_line = asyncio.ensure_future(reader.readline())
                    done, _ = await asyncio.wait({next_line}, timeout=delay)
                    if next_line in done and next_line.result():
                        log("early", n, next_line.result().decode("ascii", "replace").strip())
                    await asyncio.sleep(max(0, until - time.monotonic()))
                try:
                    await reply("250 2.0.0 Ok: queued")
                except (ConnectionError, OSError):
                    break
            elif verb == "QUIT":
                await reply("221 2.0.0 Bye")
                break
            else:
                await reply("502 5.5.2 Error: command not recognized")
    except (ConnectionError, OSError):
        pass
    finally:
        log("close", n)
        writer.close()


async def main():
    server = await asyncio.start_server(session, "127.0.0.1", port)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()


asyncio.run(main())
