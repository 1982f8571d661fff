#!/usr/bin/python3
"""Client-side helpers for the `newsbeat serve` tests (t60xx).

  token PURPOSE EMAIL LIST [TIME]   a token as token.h documents it (secret: $NEWSBEAT_SECRET);
                                    with TIME (unix seconds) a timed one (confirm: purpose C)
  forged N PORT EMAIL LIST          N forged/random/truncated tokens, each GET and POSTed
                                    (keep-alive); prints the count of non-400 answers
  gets N URL                        N GETs over one keep-alive connection; prints the
                                    status codes seen with counts
  raw PORT BYTES                    send BYTES (Python escapes: \r\n) on a new connection,
                                    print the status line of the answer ("closed" if none)
  slow PORT                         send half a request, then wait: print how many seconds
                                    until the server closes the connection
  concurrent N PORT                 open N connections at once (a third idle, a third with
                                    a request half sent, a third with a whole GET), then a fresh
                                    GET; prints its status line, then how the N ended
                                    ("200:a 4xx:b closed:c hung:d")
  slowloris N SECS PORT             N connections trickling header bytes (one every 0.5 s,
                                    never finishing) for SECS while fresh GETs are made;
                                    prints "served/made slowest-ms"
  hold PORT SECS                    keep an idle, a half-sent and a keep-alive connection
                                    open for up to SECS (until the server closes them)
"""
import asyncio, base64, hashlib, hmac, http.client, os, random, string, sys, urllib.parse


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token(purpose, email, lst, secret=None, issued=None):
    secret = (secret or os.environ["NEWSBEAT_SECRET"]).encode()
    data = purpose.encode() + b"\0" + email.encode() + b"\0" + lst.encode()
    if issued is not None:
        data += b"\0" + str(issued).encode()
    mac = hmac.new(secret, data, hashlib.sha256).digest()[:16]
    t = purpose + b64(email.encode()) + "." + b64(lst.encode()) + "."
    if issued is not None:
        t += str(issued) + "."
    return t + b64(mac)


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
        if i % 3 == 1:
            writer.write(b"GET /unsubscribe?t=x HTTP/1.1\r\nHost: a\r\n")  # never finished
        elif i % 3 == 2:
            writer.write(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        conns.append((reader, writer))
    # With all of them open, the server must still answer a new client.
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", int(port)), 10)
    writer.write(b"GET /subscribe HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()

    # Every one of the N ends cleanly: an answer, or closed by the server
    # (the inactivity timeout), never left hanging.
    async def outcome(reader):
        try:
            first = await asyncio.wait_for(reader.readline(), 20)
        except (asyncio.TimeoutError, TimeoutError):
            return "hung"
        except ConnectionError:
            return "closed"
        if not first:
            return "closed"
        code = first.split()[1].decode() if len(first.split()) > 1 else "?"
        return code if code == "200" else code[0] + "xx"
    seen = {}
    for o in await asyncio.gather(*(outcome(r) for r, _ in conns)):
        seen[o] = seen.get(o, 0) + 1
    for _, w in conns:
        w.close()
    print(line.decode().strip())
    print(" ".join("%s:%d" % kv for kv in sorted(seen.items())))


async def slowloris(n, secs, port):
    import time
    conns = []
    for _ in range(n):
        r, w = await asyncio.open_connection("127.0.0.1", int(port))
        w.write(b"GET / HTTP/1.1\r\nHost: a\r\n")
        conns.append((r, w))

    async def trickle(w):
        # One header byte every 0.5 s keeps each connection just active enough.
        end = time.monotonic() + secs
        try:
            while time.monotonic() < end:
                w.write(b"X")
                await w.drain()
                await asyncio.sleep(0.5)
        except ConnectionError:
            pass

    async def fresh():
        made = served = 0
        slowest = 0.0
        end = time.monotonic() + secs
        while time.monotonic() < end:
            made += 1
            t = time.monotonic()
            try:
                r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", int(port)), 5)
                w.write(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                line = await asyncio.wait_for(r.readline(), 5)
                w.close()
                if line.startswith(b"HTTP/1.1 200"):
                    served += 1
            except (OSError, asyncio.TimeoutError, TimeoutError):
                pass
            slowest = max(slowest, time.monotonic() - t)
            await asyncio.sleep(0.1)
        return made, served, slowest
    results = await asyncio.gather(fresh(), *(trickle(w) for _, w in conns))
    made, served, slowest = results[0]
    for _, w in conns:
        w.close()
    print("%d/%d %d" % (served, made, slowest * 1000))


def hold(port, secs):
    import socket, time
    idle = socket.create_connection(("127.0.0.1", int(port)))
    half = socket.create_connection(("127.0.0.1", int(port)))
    half.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n")
    ka = socket.create_connection(("127.0.0.1", int(port)))
    ka.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    end = time.monotonic() + float(secs)
    for s in (idle, half, ka):
        s.settimeout(max(0.1, end - time.monotonic()))
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass


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
    import resource
    # 1,000 sockets need more than a default soft limit of 1,024 descriptors leaves.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
        except (ValueError, OSError):
            pass
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "token":
        print(token(args[0], args[1], args[2], issued=int(args[3]) if len(args) > 3 else None))
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
    elif cmd == "slowloris":
        asyncio.run(slowloris(int(args[0]), float(args[1]), args[2]))
    elif cmd == "hold":
        hold(args[0], args[1])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
