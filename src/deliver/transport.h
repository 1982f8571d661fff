#ifndef TRANSPORT_H
#define TRANSPORT_H
/*
 * Where messages go: one interface, one file per backend, after
 * OpenSMTPD's queue backends (transport.c selects; transport_smtp.c over
 * libcurl — the only file that includes curl.h — and transport_maildir.c).
 * A transport handle is used by one thread; the sender opens one per
 * worker.  An SMTP handle keeps its connection between messages (one EHLO,
 * QUIT at close).
 */
#include <stddef.h>

struct config;
struct transport;

enum transport_result {
	TRANSPORT_SENT,		/* server said 2xx after the final dot / file renamed into new/ */
	TRANSPORT_TEMPFAIL,	/* 4xx, timeout or connection dropped at RCPT TO, DATA or
				 * the message: retry this recipient later */
	TRANSPORT_PERMFAIL,	/* 5xx for this recipient or this message: do not retry */
	TRANSPORT_AMBIGUOUS,	/* connection lost after the final dot: may or may not be queued */
	TRANSPORT_FATAL,	/* nothing can be sent with this configuration (authentication
				 * refused, certificate not trusted, envelope sender or greeting
				 * refused with 5xx, outbox not writable): stop, leave the
				 * recipient pending */
	TRANSPORT_UNAVAILABLE,	/* the relay is down or busy: connection refused, no
				 * reply, or 4xx or no reply to the greeting, EHLO,
				 * STARTTLS, AUTH or MAIL FROM.  Nothing about this
				 * recipient was asked: no attempt of theirs is spent,
				 * the sender waits and tries again */
};

struct transport_status {
	enum transport_result result;
	int code;		/* SMTP reply code, 0 if none */
	char reply[512];	/* the server's reply text or the local error, one line */
	int slow_down;		/* 1 if the server asked us to slow down (421/451/452/454) */
	double rtt;		/* seconds from EHLO to the first line of its reply, when
				 * this send opened the connection; else 0 */
};

/*
 * Open a transport per the config: [smtp] url empty → Maildir at
 * [paths] outbox; smtp:// (STARTTLS required unless the host is loopback or
 * tls = none) or smtps://.  Password from the environment variable named by
 * [smtp] password_env.  Returns NULL after error() (bad URL, TLS policy,
 * username without password).  Opening does not connect; the first send does.
 * Call transport_open once from the main thread before starting workers
 * (it initialises libcurl, which is not thread-safe to initialise).
 */
struct transport *transport_open(const struct config *cfg);

/*
 * Submit one message for one recipient.  `from` (envelope sender) and `rcpt`
 * MUST already be validated addresses (address_validate); this function
 * refuses any byte < 0x21, 0x7f, '<' or '>' in them as a second line of
 * defence, and a message containing a bare CR or LF (libcurl would pass a
 * bare LF through undotted: the SMTP smuggling shape).  msg is a complete
 * CRLF message (compose_message output).  Never reports via error():
 * everything is in *st.
 */
void transport_send(struct transport *t, const char *from, const char *rcpt,
		    const char *msg, size_t len, struct transport_status *st);

/* A short human description: "Maildir outbox/" or "smtp://host:587 (STARTTLS)". */
const char *transport_describe(const struct transport *t);

/* 1 for the Maildir outbox (no real mail leaves the machine). */
int transport_is_local(const struct transport *t);

/* Close the connection politely (QUIT) and free. NULL is fine. */
void transport_close(struct transport *t);

/*
 * Shared by the backends (transport.c): 0 if addr is safe to put in an
 * SMTP envelope — no byte below 0x21, no DEL or <>, and accepted by
 * address_validate() unchanged (already normalized) — else -1 with a
 * static reason in *why.
 */
int transport_check_address(const char *addr, const char **why);
/* 0 if msg has only CRLF line endings (no bare CR, no bare LF), else -1. */
int transport_check_crlf(const char *msg, size_t len);

#endif
