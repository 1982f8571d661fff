#ifndef BOUNCE_H
#define BOUNCE_H
/*
 * What a message that came back says: a delivery-status notification
 * (RFC 3464, or one of the common non-standard formats), a complaint
 * (RFC 5965 ARF), an auto-reply (RFC 3834), or a mailto unsubscribe
 * request.  Parsing only: no store, no network, no policy.  The MIME
 * structure is read with libetpan (this folder owns libetpan).
 *
 * Classification is by structure first (multipart/report), then by
 * heuristics for the formats that have none: Postfix's own DSNs carry
 * Auto-Submitted: auto-replied, so a header alone never makes an
 * auto-reply.  The costly error is calling a reachable address hard:
 * when in doubt a recipient is soft or unknown, never hard.
 */
#include <stddef.h>

/*
 * Weakest first: a message's kind is the greatest of its recipients'
 * kinds (or its own, for messages without per-recipient reports).
 */
enum bounce_kind {
	BOUNCE_UNKNOWN,		/* not recognised: keep it for a person */
	BOUNCE_DELIVERED,	/* a success notice (Action: delivered/relayed/expanded) */
	BOUNCE_DELAYED,		/* Action: delayed: still being tried */
	BOUNCE_AUTOREPLY,	/* vacation / out-of-office (RFC 3834 and heuristics) */
	BOUNCE_REPORT,		/* about the sender, not a subscriber (ARF auth-failure) */
	BOUNCE_UNSUBSCRIBE,	/* mailto unsubscribe, or ARF opt-out */
	BOUNCE_SOFT,		/* temporary, or permanent but not the address's fault */
	BOUNCE_COMPLAINT,	/* ARF abuse / fraud / virus / other */
	BOUNCE_HARD,		/* the address is permanently undeliverable */
	BOUNCE_NKINDS
};

/* "unknown", "delivered", "delayed", "autoreply", "report", "unsubscribe", "soft", "complaint", "hard" */
const char *bounce_kind_name(enum bounce_kind k);

struct bounce_recipient {
	char *address;		/* Final-Recipient (or the best the format gives), lowercased domain; NULL if none */
	char *original;		/* Original-Recipient, NULL if none */
	char status[16];	/* RFC 3463 code "5.1.1"; "" if none found */
	int reply_code;		/* SMTP reply code (550), 0 if none */
	enum bounce_kind kind;
	const char *reason;	/* static; Sisimai's reason name where one fits ("userunknown") */
	/*
	 * 1 when the rejection blames the sending set-up, not the address
	 * (blocked, spam detected, policy, reputation, authentication, relaying
	 * denied, PTR): it must never count against the subscriber.
	 */
	int blames_sender;
	char *diagnostic;	/* Diagnostic-Code or the server's words, one line; NULL if none */
	char *remote_mta;	/* NULL if none */
};

struct bounce_message {
	enum bounce_kind kind;
	struct bounce_recipient *rcpt;
	size_t nrcpt;
	/*
	 * Where the report was delivered, best first (X-Original-To,
	 * Delivered-To, Envelope-To, To): a VERP address is among them.
	 */
	char **to;
	size_t nto;
	char *from;		/* the report's From address, NULL if none */
	char *subject;		/* decoded, unfolded; NULL if none */
	char *message_id;	/* the report's own Message-ID, without <>; NULL if none */
	/* From the returned message (message/rfc822 or text/rfc822-headers part): */
	char *orig_message_id;	/* without <>, NULL if not returned */
	char *orig_list_unsubscribe; /* its List-Unsubscribe, unfolded; NULL */
	char *orig_to;		/* its To address, NULL */
	/* A mailto unsubscribe request: the TOKEN of Subject "unsubscribe TOKEN" (unverified). */
	char *unsubscribe_token;
	char *feedback_type;	/* ARF Feedback-Type, lowercased; NULL */
};

/*
 * Parse and classify one raw message (any line endings).  Always fills
 * *out (kind BOUNCE_UNKNOWN when nothing is recognised) and returns 0;
 * returns -1 only when the bytes are not a message at all (empty, or no
 * header), with *out still valid to release.  Never reports via error().
 * Bounded work: linear in len whatever the input.
 */
int bounce_parse(const char *raw, size_t len, struct bounce_message *out);
void bounce_message_release(struct bounce_message *m);

#endif
