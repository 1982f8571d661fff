#ifndef BOUNCE_APPLY_H
#define BOUNCE_APPLY_H
/*
 * From a classified message (bounce.h) to the store: which delivery it is
 * about, and what the policy (store/store_bounce.h) does with it.
 *
 * Attribution, most exact first: a VERP token in the address the report
 * was delivered to (to[]); the returned message's Message-ID, or the
 * unsubscribe token of its List-Unsubscribe; the recipient address the
 * report names, against the latest delivery to it.  Only deliveries the
 * journal attempted count: a report about an address newsbeat never sent
 * to changes nothing.  A mailto unsubscribe changes the store only with a
 * token that verifies.  Tokens are trusted only with the secret.
 *
 * No transaction of its own: the caller (cmd_bounces.c) wraps each
 * message in one, so --dry-run rolls it back.
 */
#include <stddef.h>

#include "bounce/bounce.h"
#include "store/store_bounce.h"

struct store;

struct bounce_apply_opts {
	const char *secret;	/* NULL: VERP and unsubscribe tokens are not trusted */
	struct store_bounce_policy policy;
	/*
	 * 1 with VERP on: a report matched by nothing but the recipient
	 * address it names changes nothing, since anyone can write such a
	 * report about any member, and newsbeat's own bounces come back to
	 * the tagged envelope (or quote the signed Message-ID).
	 */
	int verp;
};

/* One change (or non-change) to one delivery or membership. */
struct bounce_action {
	char *email;		/* the subscriber's address */
	int issue;		/* 0 when not known (a mailto unsubscribe) */
	enum store_bounce_kind kind;	/* the event applied */
	enum store_bounce_result result;
	const char *how;	/* static: "verp", "message-id", "list-unsubscribe", "recipient", "token" */
	char *diagnostic;	/* NULL, or the report's, as one printable UTF-8 line */
};

struct bounce_outcome {
	enum bounce_kind kind;		/* the message's */
	struct bounce_action *act;
	size_t nact;
	/* One line when nothing could be applied (forged token, never sent to, ...); NULL */
	char *note;
	int blames_sender;	/* some recipient's rejection blames the sending set-up */
};
void bounce_outcome_release(struct bounce_outcome *o);

/*
 * Attribute m and apply the policy, filling *out.  0 (also when nothing
 * applies: out->note says why), or -1 after error() (the store).
 */
int bounce_apply(struct store *st, const struct bounce_message *m,
		 const struct bounce_apply_opts *o, struct bounce_outcome *out);

/*
 * The unsubscribe token in a List-Unsubscribe header value (https link
 * "...?t=TOKEN" or mailto "...?subject=unsubscribe%20TOKEN"), verified:
 * 0 with *email and *list (allocated), or -1.
 */
int bounce_apply_unsubscribe_token(const char *secret, const char *header,
				   char **email, char **list);

#endif
