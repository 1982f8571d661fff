/*
 * The transport selector and the checks every backend shares.
 */
#include "base/common.h"
#include "base/config.h"
#include "base/strbuf.h"
#include "core/address.h"
#include "deliver/transport_internal.h"

struct transport *transport_open(const struct config *cfg)
{
	if (!*cfg->smtp_url)
		return transport_maildir_open(cfg);
	return transport_smtp_open(cfg);
}

void transport_send(struct transport *t, const char *from, const char *rcpt,
		    const char *msg, size_t len, struct transport_status *st)
{
	const char *why;

	memset(st, 0, sizeof(*st));
	if (transport_check_address(from, &why) < 0) {
		/* The envelope sender is the same for every message: fatal. */
		st->result = TRANSPORT_FATAL;
		transport_set_reply(st, "envelope sender refused before sending: %s", why);
		return;
	}
	if (transport_check_address(rcpt, &why) < 0) {
		st->result = TRANSPORT_PERMFAIL;
		transport_set_reply(st, "recipient refused before sending: %s", why);
		return;
	}
	if (transport_check_crlf(msg, len) < 0) {
		st->result = TRANSPORT_PERMFAIL;
		transport_set_reply(st, "message refused before sending: bare CR or LF");
		return;
	}
	t->ops->send(t, from, rcpt, msg, len, st);
}

const char *transport_describe(const struct transport *t)
{
	return t->describe;
}

int transport_is_local(const struct transport *t)
{
	return t->ops->local;
}

void transport_close(struct transport *t)
{
	if (t)
		t->ops->close(t);
}

int transport_check_address(const char *addr, const char **why)
{
	const unsigned char *p;

	if (!addr || !*addr) {
		*why = "empty address";
		return -1;
	}
	/* RFC 5321 4.5.3.1.3: a path is at most 256 octets including <>. */
	if (strlen(addr) > 254) {
		*why = "address longer than 254 octets";
		return -1;
	}
	for (p = (const unsigned char *)addr; *p; p++) {
		/*
		 * libcurl 7.88.1 copies MAIL FROM / RCPT TO verbatim: a CR or
		 * LF here would start a new SMTP command (a smuggled message).
		 */
		if (*p < 0x21 || *p == 0x7f) {
			*why = "control character or space in address";
			return -1;
		}
		if (*p == '<' || *p == '>') {
			*why = "angle bracket in address";
			return -1;
		}
	}
	if (!strchr(addr, '@')) {
		*why = "no '@' in address";
		return -1;
	}
	/*
	 * Then the one validator: what reaches the envelope is an address it
	 * accepts, already in its normalized form (so never an un-converted
	 * IDN domain, nor a quoted local part SMTP cannot carry safely).
	 */
	{
		struct strbuf norm = STRBUF_INIT;
		int r = address_validate(addr, &norm, why);

		if (r == 0 && strcmp(norm.buf, addr) != 0) {
			*why = "address not in normalized form (address_validate)";
			r = -1;
		}
		strbuf_release(&norm);
		return r;
	}
}

int transport_check_crlf(const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len, *q;

	/*
	 * libcurl dot-stuffs only after CRLF; a bare LF followed by "." would
	 * reach the server unstuffed (RFC 5321 4.5.2, SMTP smuggling).
	 */
	while (p < end && (q = memchr(p, '\n', (size_t)(end - p)))) {
		if (q == msg || q[-1] != '\r')
			return -1;
		p = q + 1;
	}
	for (p = msg; p < end && (q = memchr(p, '\r', (size_t)(end - p))); p = q + 1)
		if (q + 1 >= end || q[1] != '\n')
			return -1;
	return 0;
}

void transport_set_reply(struct transport_status *st, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(st->reply, sizeof(st->reply), fmt, ap);
	va_end(ap);
	for (p = st->reply; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}
