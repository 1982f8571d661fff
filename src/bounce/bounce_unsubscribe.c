/*
 * mailto unsubscribe requests (the mailto: in List-Unsubscribe, RFC 2369):
 * Subject "unsubscribe TOKEN".  The token is only read here; whether it is
 * genuine is decided by whoever holds the secret.
 */
#include "base/common.h"
#include "bounce/bounce_internal.h"

#include <strings.h>

/* Tokens are short; anything longer is not one of ours. */
#define TOKEN_MAX 256

char *bounce_unsubscribe_token(const char *subject)
{
	const char *s = subject, *e;

	if (!s)
		return NULL;
	while (*s == ' ')
		s++;
	if (strncasecmp(s, "unsubscribe", 11) || (s[11] != ' ' && s[11] != '\t'))
		return NULL;
	s += 11;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s;
	while (*e && *e != ' ' && *e != '\t')
		e++;
	if (e == s || (size_t)(e - s) > TOKEN_MAX)
		return NULL;
	/* Exactly one word after "unsubscribe". */
	for (const char *c = e; *c; c++)
		if (*c != ' ' && *c != '\t')
			return NULL;
	return xstrndup(s, (size_t)(e - s));
}
