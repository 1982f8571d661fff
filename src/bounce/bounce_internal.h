#ifndef BOUNCE_INTERNAL_H
#define BOUNCE_INTERNAL_H
/*
 * Shared between the files of the bounce parser (bounce_*.c); nothing
 * outside src/bounce/ includes this.  One file per concept:
 *   bounce.c            entry point, message assembly, small string helpers
 *   bounce_fields.c     header blocks (libetpan mailimf), unfolded
 *   bounce_mime.c       the MIME walk (libetpan mailmime)
 *   bounce_dsn.c        RFC 3464 delivery-status
 *   bounce_arf.c        RFC 5965 feedback-report
 *   bounce_reason.c     status / server words -> reason -> kind (the one rule)
 *   bounce_heuristics.c bounces without a delivery-status part
 *   bounce_ses.c        Amazon SES notifications (JSON)
 *   bounce_autoreply.c  RFC 3834 auto-replies and vacation notices
 *   bounce_unsubscribe.c mailto unsubscribe requests
 */
#include "bounce/bounce.h"
#include "base/strbuf.h"

/* A header field: name as written, value unfolded and trimmed. */
struct bounce_field {
	char *name;
	char *value;
};

struct bounce_fields {
	struct bounce_field *v;
	size_t n, alloc;
};

/*
 * Append the fields of the header block p[0..len) (parsing stops at the
 * first blank line).  Bounded: at most BOUNCE_MAX_FIELDS fields are kept.
 */
#define BOUNCE_MAX_FIELDS 512
void bounce_fields_parse(const char *p, size_t len, struct bounce_fields *f);
/* The first field called name (case-insensitive), or NULL. */
const char *bounce_fields_get(const struct bounce_fields *f, const char *name);
void bounce_fields_release(struct bounce_fields *f);

/* Human-readable text kept for the heuristics: enough for any real bounce. */
#define BOUNCE_TEXT_MAX (64 * 1024)

/* What the MIME walk found in a message. */
struct bounce_doc {
	struct bounce_fields hdr;	/* the report's own header */
	char ctype[64];			/* top-level "type/subtype", lowercase */
	char report_type[32];		/* its report-type parameter, lowercase */
	struct strbuf text;		/* text/plain parts outside the returned message, decoded */
	struct strbuf status;		/* the message/delivery-status part, decoded */
	struct strbuf feedback;		/* the message/feedback-report part, decoded */
	int has_status, has_feedback;
	struct bounce_fields orig;	/* the returned message's header */
	int has_orig;
	const char *raw;		/* the whole message, for the headerless-MIME fallback */
	size_t len;
};

/* 0, or -1 when there is no header at all.  *d is always releasable. */
int bounce_mime_read(const char *raw, size_t len, struct bounce_doc *d);
void bounce_doc_release(struct bounce_doc *d);

/* bounce.c helpers */
struct bounce_recipient *bounce_add_recipient(struct bounce_message *m);
/* The address in s[0..n) ("rfc822; <A@B>" or "A@B"), domain lowercased; NULL if none. */
char *bounce_address(const char *s, size_t n);
/* s[0..n) on one line, whitespace runs collapsed, trimmed; NULL if empty. */
char *bounce_one_line(const char *s, size_t n);
/* Case-insensitive substring search. */
const char *bounce_memcasemem(const char *h, size_t hn, const char *needle);
/* ASCII lowercase copy of s[0..n) into sb (replacing its contents). */
void bounce_lower(struct strbuf *sb, const char *s, size_t n);

/* bounce_dsn.c: the recipients of a delivery-status body. */
/* Recipients get status, diagnostic, addresses and r->kind from Action (see bounce_reason_classify). */
void bounce_dsn_parse(const char *body, size_t len, struct bounce_message *m);

/* bounce_arf.c: a feedback-report body; sets feedback_type, kind, a recipient. */
void bounce_arf_parse(const char *body, size_t len, struct bounce_message *m);

/* bounce_reason.c */
/* The first RFC 3463 code in s[0..n) ("5.1.1") into out; 0 if none. */
int bounce_find_status(const char *s, size_t n, char out[16]);
/* The SMTP reply code in s[0..n) (a 2xx/4xx/5xx at a word start), or 0. */
int bounce_find_reply_code(const char *s, size_t n);
/*
 * Decide r->reason, r->kind and r->blames_sender from r->status,
 * r->reply_code and r->diagnostic (and extra, the surrounding text, used
 * only when the diagnostic says nothing).  On entry r->kind is what the
 * report itself says: BOUNCE_DELIVERED, BOUNCE_DELAYED, BOUNCE_SOFT
 * (failed) or BOUNCE_UNKNOWN (not said).  This is the one place that
 * decides hard: see the comment there.
 */
void bounce_reason_classify(struct bounce_recipient *r, const char *extra, size_t extralen);

/* bounce_heuristics.c: recipients from a bounce with no delivery-status; 1 if it is one. */
int bounce_heuristics(const struct bounce_doc *d, struct bounce_message *m);
/* 1 when the report's From / Subject say it comes from a mail system. */
int bounce_from_mailer(const struct bounce_doc *d);

/* bounce_ses.c: an Amazon SES notification (JSON in the text); 1 if it is one. */
int bounce_ses(const struct bounce_doc *d, struct bounce_message *m);

/* bounce_autoreply.c: 1 when the message is an RFC 3834 auto-reply or a vacation notice. */
int bounce_autoreply(const struct bounce_doc *d);

/* bounce_unsubscribe.c: TOKEN of Subject "unsubscribe TOKEN" (malloc'd), or NULL. */
char *bounce_unsubscribe_token(const char *subject);

#endif
