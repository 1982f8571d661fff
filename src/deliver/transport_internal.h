#ifndef TRANSPORT_INTERNAL_H
#define TRANSPORT_INTERNAL_H
/*
 * The backend table behind transport.h, used by transport.c and the
 * transport_*.c backends only.
 */
#include "deliver/transport.h"

struct transport_ops {
	void (*send)(struct transport *t, const char *from, const char *rcpt,
		     const char *msg, size_t len, struct transport_status *st);
	void (*close)(struct transport *t);
	int local;
};

/* Every backend's handle starts with this. */
struct transport {
	const struct transport_ops *ops;
	char describe[256];
};

struct transport *transport_maildir_open(const struct config *cfg);
struct transport *transport_smtp_open(const struct config *cfg);

/* Format into st->reply (one line: CR/LF/control bytes become spaces). */
void transport_set_reply(struct transport_status *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
