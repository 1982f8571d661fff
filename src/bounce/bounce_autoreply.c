/*
 * RFC 3834 auto-replies and vacation notices.  Called only after the
 * structure said "no report": Postfix's own DSNs carry Auto-Submitted:
 * auto-replied, so the header alone never decides over a delivery-status.
 */
#include "base/common.h"
#include "bounce/bounce_internal.h"

#include <strings.h>

static const char *const subject_prefixes[] = {
	"auto:", "auto reply", "autoreply", "auto-reply", "automatic reply", "automatische antwort",
	"out of office", "out of the office", "away from", "vacation", "on vacation", "abwesenheit",
	"absence", "r\xc3\xa9ponse automatique", "respuesta autom", "risposta automatica",
	"autosvar", "automaattinen vastaus", "i am away", "i'm away",
};

int bounce_autoreply(const struct bounce_doc *d)
{
	const char *as = bounce_fields_get(&d->hdr, "Auto-Submitted");
	const char *subj = bounce_fields_get(&d->hdr, "Subject");
	const char *prec = bounce_fields_get(&d->hdr, "Precedence");

	/* RFC 3834 section 5: auto-replied is a reply; auto-generated is not. */
	if (as && !strncasecmp(as, "auto-replied", 12))
		return 1;
	if (bounce_fields_get(&d->hdr, "X-Autoreply") || bounce_fields_get(&d->hdr, "X-Autorespond") ||
	    bounce_fields_get(&d->hdr, "X-Autoresponder") || bounce_fields_get(&d->hdr, "X-Vacation"))
		return 1;
	if (prec && !strncasecmp(prec, "auto_reply", 10))
		return 1;
	if (bounce_fields_get(&d->hdr, "X-Apple-Criteria") || bounce_fields_get(&d->hdr, "X-MS-Exchange-Inbox-Rules-Loop"))
		if (subj && bounce_memcasemem(subj, strlen(subj), "reply"))
			return 1;
	if (subj) {
		for (size_t i = 0; i < ARRAY_SIZE(subject_prefixes); i++)
			if (bounce_memcasemem(subj, strlen(subj) < 64 ? strlen(subj) : 64, subject_prefixes[i]))
				return 1;
	}
	return 0;
}
