/*
 * The fields of a form posted to `serve` (/subscribe, /unsubscribe,
 * /confirm).  libmicrohttpd's post processor splits the body and calls us
 * with (key, chunk, offset) pieces — a long value in several pieces —
 * and serve_form_add keeps what the pages read.  The input is a list of
 * pieces, each "key \1 offset-byte chunk \2"; whatever order, repetition
 * or offsets the pieces come in, a field kept is exactly the
 * concatenation of its pieces, within SERVE_FIELD_MAX and without NUL,
 * or the form is invalid.
 */
#include "fuzz.h"
#include "serve/serve_internal.h"

static const char *const keys[] = { "List-Unsubscribe", "email", "name", "website" };

static char **field_of(struct serve_form *f, size_t i)
{
	char **fields[] = { &f->one_click, &f->email, &f->name, &f->website };

	return fields[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct serve_form f = { 0 };
	struct strbuf want[4] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
	int seen[4] = { 0 }, bad = 0;
	const char *p = (const char *)data, *end = p + size;
	size_t i;

	fuzz_quiet();
	if (size > 2 * SERVE_BODY_MAX)
		return 0;
	while (p < end) {
		const char *sep = memchr(p, '\1', (size_t)(end - p)), *stop;
		char *key;
		size_t off, k;

		if (!sep || sep + 1 >= end)
			break;
		key = fuzz_cstr((const uint8_t *)p, (size_t)(sep - p));
		off = (unsigned char)sep[1];
		p = sep + 2;
		stop = memchr(p, '\2', (size_t)(end - p));
		if (!stop)
			stop = end;
		/* The offset byte: 0 starts a value, anything else continues it. */
		for (k = 0; k < 4; k++)
			if (!strcmp(key, keys[k]))
				break;
		if (k < 4) {
			size_t at = off ? want[k].len : 0;

			if (off == 0 && seen[k])
				bad = 1;
			if (off != 0 && !seen[k])
				at = 1;	/* a continuation of nothing: the offset is wrong */
			seen[k] = 1;
			if (at != want[k].len || want[k].len + (size_t)(stop - p) > SERVE_FIELD_MAX ||
			    memchr(p, '\0', (size_t)(stop - p)))
				bad = 1;
			else
				strbuf_add(&want[k], p, (size_t)(stop - p));
			serve_form_add(&f, key, p, at, (size_t)(stop - p));
		} else {
			serve_form_add(&f, key, p, off, (size_t)(stop - p));
		}
		free(key);
		p = stop < end ? stop + 1 : end;
	}
	if (bad)
		FUZZ_CHECK(f.invalid);
	if (!f.invalid) {
		for (i = 0; i < 4; i++) {
			char *v = *field_of(&f, i);

			if (!seen[i])
				FUZZ_CHECK(!v);
			else if (v)
				FUZZ_CHECK(strlen(v) == want[i].len && !memcmp(v, want[i].buf, want[i].len));
			else
				FUZZ_CHECK(want[i].len == 0);
		}
	}
	for (i = 0; i < 4; i++)
		strbuf_release(&want[i]);
	serve_form_release(&f);
	return 0;
}
