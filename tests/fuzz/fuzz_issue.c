/*
 * The issue file parser (YAML front matter, then the body): any bytes,
 * as `render`, `check` and `send` read them from disk.  What it accepts
 * must honour its contract: valid UTF-8, no control characters in the
 * fields that become headers, a body within ISSUE_MAX_BODY, a slug that
 * fits in a file name.  An accepted issue then goes through the checks
 * of `check` (lint_issue), which scan the text themselves.
 */
#include "fuzz.h"
#include "base/strbuf.h"
#include "base/utf8.h"
#include "core/issue.h"
#include "core/mime.h"
#include "core/markdown.h"
#include "core/lint.h"

static void check_header_field(const char *s)
{
	if (!s)
		return;
	FUZZ_CHECK(utf8_valid(s, strlen(s)));
	FUZZ_CHECK(!mime_has_line_break(s, strlen(s)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct issue is = { 0 };
	struct strbuf slug = STRBUF_INIT;
	size_t i;

	fuzz_quiet();
	if (issue_parse(&is, "fuzz.md", (const char *)data, size) == 0) {
		FUZZ_CHECK(is.title && *is.title);
		FUZZ_CHECK(is.number >= 1);
		FUZZ_CHECK(is.body && is.body_len <= ISSUE_MAX_BODY);
		FUZZ_CHECK(strlen(is.body) == is.body_len);
		FUZZ_CHECK(utf8_valid(is.body, is.body_len));
		check_header_field(is.title);
		check_header_field(is.subject);
		check_header_field(is.preheader);
		check_header_field(is.list);
		for (i = 0; i < is.ntags; i++)
			FUZZ_CHECK(utf8_valid(is.tags[i], strlen(is.tags[i])));
		issue_slug(&is, &slug);
		FUZZ_CHECK(slug.len > 0 && slug.len < 256);
		FUZZ_CHECK(!strchr(slug.buf, '/'));
		for (i = 0; i < is.ntags; i++) {
			strbuf_reset(&slug);
			(void)issue_tag_slug(is.tags[i], &slug);
			FUZZ_CHECK(slug.len > 0 && slug.len <= ISSUE_TAG_SLUG_MAX);
			FUZZ_CHECK(strspn(slug.buf, "abcdefghijklmnopqrstuvwxyz0123456789-") == slug.len);
		}
		{
			struct markdown *m = markdown_parse(is.body, is.body_len);
			struct lint l = LINT_INIT;

			lint_issue(&l, &is, m);
			lint_release(&l);
			markdown_free(m);
		}
	}
	strbuf_release(&slug);
	issue_release(&is);
	return 0;
}
