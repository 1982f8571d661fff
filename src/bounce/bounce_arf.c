/*
 * RFC 5965 feedback reports (ARF).  The Feedback-Type decides the kind:
 * abuse, fraud, virus and other are complaints about a message we sent
 * (the subscriber is done with us); opt-out is an unsubscribe; auth-failure
 * (RFC 6591) is about the sending set-up, never the subscriber; not-spam
 * and unknown types change nothing.
 */
#include "base/common.h"
#include "bounce/bounce_internal.h"

#include <strings.h>

static const struct {
	const char *type;
	enum bounce_kind kind;
	int blames_sender;
} feedback_types[] = {
	{ "abuse", BOUNCE_COMPLAINT, 0 },
	{ "fraud", BOUNCE_COMPLAINT, 0 },
	{ "virus", BOUNCE_COMPLAINT, 0 },
	{ "other", BOUNCE_COMPLAINT, 0 },
	{ "opt-out", BOUNCE_UNSUBSCRIBE, 0 },
	{ "auth-failure", BOUNCE_REPORT, 1 },
	{ "dkim", BOUNCE_REPORT, 1 },
	{ "not-spam", BOUNCE_REPORT, 0 },
};

void bounce_arf_parse(const char *body, size_t len, struct bounce_message *m)
{
	struct bounce_fields f = { 0 };
	const char *type, *rcpt;
	struct bounce_recipient *r;
	char *t;

	bounce_fields_parse(body, len, &f);
	type = bounce_fields_get(&f, "Feedback-Type");
	t = type ? bounce_one_line(type, strlen(type)) : NULL;
	if (t)
		for (char *c = t; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	m->feedback_type = t;
	/* Who complained: the original recipient as the reporter knows it. */
	rcpt = bounce_fields_get(&f, "Original-Rcpt-To");
	if (!rcpt)
		rcpt = bounce_fields_get(&f, "Removal-Recipient");
	r = bounce_add_recipient(m);
	r->reason = "feedback";
	r->kind = BOUNCE_COMPLAINT;
	if (rcpt)
		r->address = bounce_address(rcpt, strlen(rcpt));
	else if (m->orig_to)
		r->address = xstrdup(m->orig_to);
	if (t) {
		r->kind = BOUNCE_REPORT;
		for (size_t i = 0; i < ARRAY_SIZE(feedback_types); i++)
			if (!strcmp(t, feedback_types[i].type)) {
				r->kind = feedback_types[i].kind;
				r->blames_sender = feedback_types[i].blames_sender;
			}
		r->diagnostic = xstrdup(t);
	}
	m->kind = r->kind;
	bounce_fields_release(&f);
}
