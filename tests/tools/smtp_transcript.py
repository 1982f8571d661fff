#!/usr/bin/python3
"""A minimal SMTP server that records the client's side of the dialogue.

    smtp_transcript.py PORT LOG [--delay MS] [--max-conns N] [--save DIR]

Listens on 127.0.0.1:PORT (plain TCP, no pipelining advertised, AUTH PLAIN
and LOGIN accepted with any credentials) and appends one line per command
to LOG: "<connection number> <VERB>" (MAIL, RCPT, DATA, the final dot as
".", QUIT, EHLO, AUTH, RSET, ...).  Messages are accepted and discarded.
For tests that count round trips: one EHLO per connection, one AUTH per
connection, one MAIL/RCPT/DATA per message, QUIT only at the end.

  --delay MS     wait MS milliseconds before each reply: a relay at a
                 distance, one round trip per command
  --max-conns N  a connection beyond N open at once is greeted with
                 "421 4.7.0 too many connections" and closed; LOG gets
                 "<connection number> REFUSED"
  --save DIR     write each message (dot-unstuffed) to DIR/<conn>-<k>.eml
"""
import argparse
import asyncio
import itertools
import os

counter = itertools.count(1)
open_now = 0


async def session(reader, writer, log, opts):
    global open_now
    conn = next(counter)

    def note(verb):
        log.write(f"{conn} {verb}\n")
        log.flush()

    async def reply(text):
        if opts.delay:
            await asyncio.sleep(opts.delay / 1000)
        writer.write(text.encode() + b"\r\n")
        await writer.drain()

    if opts.max_conns and open_now >= opts.max_conns:
        note("REFUSED")
        writer.write(b"421 4.7.0 too many connections from your host\r\n")
        await writer.drain()
        writer.close()
        return
    open_now += 1
    try:
        await session_commands(reader, writer, opts, note, reply, conn)
    finally:
        open_now -= 1
    writer.close()


async def session_commands(reader, writer, opts, note, reply, conn):
    saved = 0
    await reply("220 transcript ESMTP")
    try:
        while True:
            line = await reader.readline()
            if not line:
                note("EOF")
                break
            cmd = line.decode("latin-1").rstrip("\r\n")
            verb = cmd.split(" ", 1)[0].upper()
            note(verb)
            if verb in ("EHLO", "HELO"):
                await reply("250-transcript\r\n250-AUTH PLAIN LOGIN\r\n250-SIZE 10485760\r\n250 8BITMIME")
            elif verb == "AUTH":
                parts = cmd.split()
                if len(parts) >= 2 and parts[1].upper() == "LOGIN":
                    prompts = ["334 UGFzc3dvcmQ6"]
                    if len(parts) == 2:
                        prompts.insert(0, "334 VXNlcm5hbWU6")
                    for prompt in prompts:
                        await reply(prompt)
                        await reader.readline()
                elif len(parts) == 2:
                    await reply("334 ")
                    await reader.readline()
                await reply("235 2.7.0 authenticated")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                await reply("250 2.0.0 ok")
            elif verb == "DATA":
                await reply("354 go ahead")
                lines = []
                while True:
                    body = await reader.readline()
                    if not body or body in (b".\r\n", b".\n"):
                        break
                    lines.append(body[1:] if body.startswith(b".") else body)
                note(".")
                if opts.save:
                    saved += 1
                    with open(os.path.join(opts.save, f"{conn}-{saved}.eml"), "wb") as f:
                        f.write(b"".join(lines))
                await reply("250 2.0.0 queued")
            elif verb == "QUIT":
                await reply("221 2.0.0 bye")
                break
            else:
                await reply("502 5.5.2 not implemented")
    except (ConnectionError, asyncio.IncompleteReadError):
        note("RESET")


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("log")
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--max-conns", type=int, default=0)
    ap.add_argument("--save")
    opts = ap.parse_args()
    log = open(opts.log, "a", encoding="ascii")
    server = await asyncio.start_server(lambda r, w: session(r, w, log, opts), "127.0.0.1", opts.port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
