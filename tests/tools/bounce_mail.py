#!/usr/bin/python3
"""Reports about captured messages, for the bounce tests (t72xx).

    bounce_mail.py verp-check DB SECRET ENV...
        Check that each captured envelope's MAIL FROM is LOCAL+TOKEN@DOMAIN
        and that TOKEN, decoded and its MAC checked here independently of
        newsbeat (HMAC-SHA256(secret, "verp\\0ISSUE\\0ROW"), 16 base32
        characters), names the journal row (in DB) of that envelope's
        recipient.  Prints "ok N"; exit 1 with the first mismatch.

    bounce_mail.py KIND ENV EML > report.eml
        A report about the captured message (ENV its envelope, EML its
        bytes), as a receiving system writes it, sent to the envelope
        sender (VERP) unless the kind goes elsewhere:
          hard       RFC 3464 DSN, Action: failed, Status: 5.1.1 (Postfix style)
          soft       RFC 3464 DSN, Action: failed, Status: 5.2.2 mailbox full
          delayed    RFC 3464 DSN, Action: delayed, Status: 4.4.7
          blocked    RFC 3464 DSN, Status: 5.7.1, rejected as spam (blames the sender)
          complaint  RFC 5965 ARF, Feedback-Type: abuse, the message attached,
                     to the From address (a feedback loop, no VERP)
          autoreply  RFC 3834 vacation reply to the From address
          unsubscribe  the mailto in List-Unsubscribe: Subject "unsubscribe TOKEN"
          forged     the same with one character of the token changed
"""
import base64, email, email.policy, hashlib, hmac, re, sqlite3, sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

B32 = "abcdefghijklmnopqrstuvwxyz234567"


def verp_mac(secret, issue, row):
    mac = hmac.new(secret.encode(), b"verp\0%d\0%d" % (issue, row), hashlib.sha256).digest()
    bits = int.from_bytes(mac[:11], "big")          # 88 bits, the first 80 used
    return "".join(B32[(bits >> (88 - 5 * (i + 1))) & 31] for i in range(16))


def read_env(path):
    mail_from, rcpts = None, []
    for line in open(path):
        if line.startswith("MAIL FROM "):
            mail_from = line[10:].strip()
        elif line.startswith("RCPT TO "):
            rcpts.append(line[8:].strip())
    return mail_from, rcpts


def verp_check(db, secret, envs):
    con = sqlite3.connect(db)
    n = 0
    for env in envs:
        mail_from, rcpts = read_env(env)
        m = re.fullmatch(r"([^+@]+)\+([0-9a-z]+)-([0-9a-z]+)-([a-z2-7]{16})@(.+)", mail_from or "")
        if not m:
            sys.exit("%s: MAIL FROM %r carries no VERP token" % (env, mail_from))
        if len(m.group(1)) + 1 + len(mail_from.split("@")[0].split("+", 1)[1]) > 64:
            sys.exit("%s: local part over 64 octets" % env)
        issue, row = int(m.group(2), 36), int(m.group(3), 36)
        if verp_mac(secret, issue, row) != m.group(4):
            sys.exit("%s: the token's MAC does not verify" % env)
        got = con.execute("SELECT email FROM delivery WHERE id = ? AND issue = ?", (row, issue)).fetchone()
        if not got or [got[0]] != rcpts:
            sys.exit("%s: token names row %d (%s), recipient is %s" % (env, row, got, rcpts))
        n += 1
    print("ok", n)


def original_headers(raw):
    return raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n").decode("ascii", "replace")


def dsn(kind, mail_from, rcpt, raw):
    action, status, diag = {
        "hard": ("failed", "5.1.1", "smtp; 550 5.1.1 <%s>: Recipient address rejected: User unknown in local recipient table"),
        "soft": ("failed", "5.2.2", "smtp; 552 5.2.2 <%s>: Mailbox full, quota exceeded"),
        "delayed": ("delayed", "4.4.7", "smtp; 451 4.4.7 <%s>: temporarily deferred"),
        "blocked": ("failed", "5.7.1", "smtp; 554 5.7.1 <%s>: message rejected as spam, sending IP blocked"),
    }[kind]
    diag = diag % rcpt
    boundary = "dsn-boundary-%d" % abs(hash(rcpt + kind))
    human = ("This is the mail system at host mx.example.net.\n\n"
             "I'm sorry to have to inform you that your message could not\n"
             "be delivered to one or more recipients.\n\n<%s>: %s\n" % (rcpt, diag[6:]))
    if action == "delayed":
        human = "Your message has been delayed and is still being tried.\n"
    status_block = ("Reporting-MTA: dns; mx.example.net\n"
                    "Arrival-Date: %s\n\n"
                    "Final-Recipient: rfc822; %s\n"
                    "Original-Recipient: rfc822;%s\n"
                    "Action: %s\nStatus: %s\nRemote-MTA: dns; mailbox.example.net\n"
                    "Diagnostic-Code: %s\n") % (formatdate(), rcpt, rcpt, action, status, diag)
    text = ("From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
            "To: %s\n"
            "Subject: %s\n"
            "Date: %s\n"
            "Message-ID: %s\n"
            "Auto-Submitted: auto-replied\n"
            "MIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=delivery-status;\n"
            "\tboundary=\"%s\"\n\n"
            "--%s\nContent-Type: text/plain; charset=us-ascii\n\n%s\n"
            "--%s\nContent-Type: message/delivery-status\n\n%s\n"
            "--%s\nContent-Type: text/rfc822-headers\n\n%s\n"
            "--%s--\n") % (
        mail_from, "Delayed Mail (still being retried)" if action == "delayed"
        else "Undelivered Mail Returned to Sender", formatdate(), make_msgid("dsn", "mx.example.net"),
        boundary, boundary, human, boundary, status_block, boundary, original_headers(raw), boundary)
    return text.encode()


def complaint(rcpt, raw):
    orig = email.message_from_bytes(raw, policy=email.policy.default)
    boundary = "arf-boundary-%d" % abs(hash(rcpt))
    text = ("From: feedback@fbl.example.net\n"
            "To: %s\n"
            "Subject: FW: %s\n"
            "Date: %s\n"
            "Message-ID: %s\n"
            "MIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=feedback-report;\n"
            "\tboundary=\"%s\"\n\n"
            "--%s\nContent-Type: text/plain; charset=us-ascii\n\n"
            "This is an email abuse report for an email message received from IP\n"
            "192.0.2.1 on %s.\n\n"
            "--%s\nContent-Type: message/feedback-report\n\n"
            "Feedback-Type: abuse\nUser-Agent: ExampleFBL/1.0\nVersion: 1\n"
            "Original-Mail-From: <%s>\nOriginal-Rcpt-To: <%s>\n"
            "Arrival-Date: %s\nSource-IP: 192.0.2.1\nReported-Domain: example.org\n\n"
            "--%s\nContent-Type: message/rfc822\nContent-Disposition: inline\n\n") % (
        orig["From"].addresses[0].addr_spec, orig["Subject"], formatdate(),
        make_msgid("arf", "fbl.example.net"), boundary, boundary, formatdate(), boundary,
        "newsbeat@example.org", rcpt, formatdate(), boundary)
    return text.encode() + raw.replace(b"\r\n", b"\n") + ("\n--%s--\n" % boundary).encode()


def autoreply(rcpt, raw):
    orig = email.message_from_bytes(raw, policy=email.policy.default)
    m = EmailMessage()
    m["From"] = rcpt
    m["To"] = orig["From"].addresses[0].addr_spec
    m["Subject"] = "Out of office: " + str(orig["Subject"])
    m["Date"] = formatdate()
    m["Message-ID"] = make_msgid("ooo", "example.org")
    m["In-Reply-To"] = orig["Message-ID"]
    m["Auto-Submitted"] = "auto-replied"
    m.set_content("I am away until Monday and will read your message when I am back.\n")
    return m.as_bytes(policy=email.policy.SMTP.clone(linesep="\n"))


def unsubscribe(rcpt, raw, forge):
    orig = email.message_from_bytes(raw, policy=email.policy.default)
    lu = str(orig["List-Unsubscribe"])
    m = re.search(r"<mailto:([^?>]+)\?subject=unsubscribe%20([^>&]+)>", lu)
    if not m:
        sys.exit("no mailto in List-Unsubscribe: %r" % lu)
    to, token = m.group(1), m.group(2)
    if forge:
        i = len(token) - 3
        token = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
    msg = EmailMessage()
    msg["From"] = rcpt
    msg["To"] = to
    msg["Subject"] = "unsubscribe " + token
    msg["Date"] = formatdate()
    msg["Message-ID"] = make_msgid("unsub", "example.org")
    msg.set_content("This message was sent by a mail client's unsubscribe button.\n")
    return msg.as_bytes(policy=email.policy.SMTP.clone(linesep="\n"))


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "verp-check":
        return verp_check(sys.argv[2], sys.argv[3], sys.argv[4:])
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    kind, env, eml = sys.argv[1:]
    mail_from, rcpts = read_env(env)
    raw = open(eml, "rb").read()
    if kind in ("hard", "soft", "delayed", "blocked"):
        out = dsn(kind, mail_from, rcpts[0], raw)
    elif kind == "complaint":
        out = complaint(rcpts[0], raw)
    elif kind == "autoreply":
        out = autoreply(rcpts[0], raw)
    elif kind in ("unsubscribe", "forged"):
        out = unsubscribe(rcpts[0], raw, kind == "forged")
    else:
        sys.exit("unknown kind %r" % kind)
    sys.stdout.buffer.write(out)


if __name__ == "__main__":
    main()
