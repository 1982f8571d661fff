/*
 * Token verification, as `serve` runs it on the t= argument of every
 * /unsubscribe and /confirm request.  A token verifies only if it is
 * exactly the one token_make gives for the address and list it carries:
 * no second spelling of a valid token exists.  The seeds are valid tokens
 * made with the secret below, so mutations start from the accepted shape.
 * The same input is also tried as a VERP tag and as a bounce address, as
 * `bounces` reads them from mail anyone can send: a tag verifies only as
 * the one token_verp_make gives, and nothing aborts.
 */
#include "fuzz.h"
#include "base/strbuf.h"
#include "core/token.h"

#include <strings.h>

static const char secret[] = "fuzz-secret-0123456789abcdef0123456789abcdef";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum token_purpose purposes[] = { TOKEN_UNSUBSCRIBE, TOKEN_CONFIRM };
	char *tok, *email, *list;
	size_t i;

	fuzz_quiet();
	if (size > 8192)
		return 0;
	tok = fuzz_cstr(data, size);
	for (i = 0; i < 2; i++) {
		if (token_verify(secret, purposes[i], tok, &email, &list) == 0) {
			struct strbuf want = STRBUF_INIT;

			token_make(secret, purposes[i], email, list, &want);
			FUZZ_CHECK(!strcmp(want.buf, tok));
			strbuf_release(&want);
			free(email);
			free(list);
		} else {
			FUZZ_CHECK(!email && !list);
		}
	}
	{
		int issue = -1;
		long long row = -1;

		if (token_verp_verify(secret, tok, &issue, &row) == 0) {
			struct strbuf want = STRBUF_INIT;

			FUZZ_CHECK(issue >= 0 && row >= 0);
			token_verp_make(secret, issue, row, &want);
			FUZZ_CHECK(!strcasecmp(want.buf, tok));
			strbuf_release(&want);
		}
		(void)token_verp_find(secret, tok, &issue, &row);
	}
	free(tok);
	return 0;
}
