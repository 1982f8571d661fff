#!/usr/bin/python3
"""Client-side helpers for the `newsbeat serve` tests (t60xx).

  token PURPOSE EMAIL LIST          a token as token.h documents it (secret: $NEWSBEAT_SECRET)
  forged N PORT EMAIL LIST          N forged/random/truncated tokens, each GET and POSTed
                                    (keep-alive); prints the count of non-400 answers
  gets N URL                        N GETs over one keep-alive connection; prints the
                                    status codes seen with counts
  raw PORT BYTES                    send BYTES (Python escapes: \r\n) on a new connection,
                                    print the status line of the answer ("closed" if none)
  slow PORT                         send half a request, then wait: print how many seconds
                                    until the server closes the connection
  concurrent N PORT                 open N connections at once (half idle, half sending a
                                    request slowly), then prints the answer to a fresh GET
"""
import asyncio, base64, hashlib, hmac, http.client, os, random, string, sys, urllib.parse


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token(purpose, email, lst, secret=None):
    secret = (secret or os.environ["NEWSBEAT_SECRET"]).encode()
    mac = hmac.new(secret, purpose.encode() + b"\0" + email.encode() + b"\0" + lst.encode(),
                   hashlib.sha256).digest()[:16]
    return purpose + b64(email.encode()) + "." + b64(lst.encode()) + "." + b64(mac)


def forged_tokens(n, email, lst):
    """Random strings, well-formed tokens with random MACs for a real address,
    truncations and one-character changes of the real token, other purposes,
    other secrets."""
    rnd = random.Random(6010)
    real = token("u", email, lst)
    alphabet = string.ascii_letters + string.digits + "-_."
    out = []
    for i in range(n):
        kind = i % 6
        if kind == 0:
            t = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 80)))
        elif kind == 1:
            t = "u" + b64(email.encode()) + "." + b64(lst.encode()) + "." + b64(rnd.randbytes(16))
        elif kind == 2:
            t = real[:rnd.randint(0, len(real) - 1)]
        elif kind == 3:
            p = rnd.randrange(len(real))
            c = rnd.choice([ch for ch in alphabet if ch != real[p]])
            t = real[:p] + c + real[p + 1:]
        elif kind == 4:
            t = token("c", email, lst)[:-1] + rnd.choice("AQgw") if i % 2 else token("c", email, lst)
        else:
            t = token("u", email, lst, secret="not-the-secret-%d" % i)
        if t == real:
            t = real + "x"
        out.append(t)
    return out


def forged(n, port, email, lst):
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
    accepted = 0
    for i, t in enumerate(forged_tokens(n, email, lst)):
        q = urllib.parse.quote(t, safe="")
        if i % 2:
            conn.request("POST", "/unsubscribe?t=" + q, body="List-Unsubscribe=One-Click",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        else:
            conn.request("GET", "/unsubscribe?t=" + q)
        r = conn.getresponse()
        r.read()
        if r.status != 400:
            accepted += 1
            print("accepted: %d %s" % (r.status, t), file=sys.stderr)
    print(accepted)


def gets(n, url):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    path = u.path + ("?" + u.query if u.query else "")
    seen = {}
    for _ in range(n):
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        seen[r.status] = seen.get(r.status, 0) + 1
    print(" ".join("%d:%d" % kv for kv in sorted(seen.items())))


async def concurrent(n, port):
    conns = []
    for i in range(n):
        reader, writer = await asyncio.open_connection("127.0.0.1", int(port))
        if i % 2:
            writer.write(b"GET /unsubscribe?t=x HTTP/1.1\r\nHost: a\r\n")  # never finished
        conns.append((reader, writer))
    # With all of them open, the server must still answer a new client.
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", int(port)), 10)
    writer.write(b"GET /subscribe HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    line = await asyncio.wait_for(reader.readline(), 10)
    print(line.decode().strip())
    writer.close()
    for _, w in conns:
        w.close()


def raw(port, data):
    import socket
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    s.sendall(data.encode("latin-1").decode("unicode_escape").encode("latin-1"))
    buf = b""
    try:
        while b"\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    line = buf.split(b"\r\n", 1)[0].decode("latin-1")
    print(line if line else "closed")


def slow(port):
    import socket, time
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=60)
    s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n")
    t0 = time.monotonic()
    try:
        while s.recv(4096):
            pass
    except ConnectionResetError:
        pass
    print(int(time.monotonic() - t0 + 0.5))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "token":
        print(token(args[0], args[1], args[2]))
    elif cmd == "forged":
        forged(int(args[0]), args[1], args[2], args[3])
    elif cmd == "gets":
        gets(int(args[0]), args[1])
    elif cmd == "raw":
        raw(args[0], args[1])
    elif cmd == "slow":
        slow(args[0])
    elif cmd == "concurrent":
        asyncio.run(concurrent(int(args[0]), args[1]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
