/*
 * The archive's text helpers, on issue text as `archive` feeds them: the
 * text of a rendered body for search (must stay linear: a timeout is a
 * finding; never longer than its input), the
 * XML cleaning of titles for the feed, the JSON string literals of the
 * search index, and tag slugs.
 */
#include "fuzz.h"
#include "base/strbuf.h"
#include "base/utf8.h"
#include "archive/archive.h"
#include "core/issue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct strbuf out = STRBUF_INIT;
	char *tag;
	size_t i;

	fuzz_quiet();
	if (size > 65536)
		return 0;
	archive_html_text(&out, s, size);
	FUZZ_CHECK(out.len <= size);
	FUZZ_CHECK(!out.len || (out.buf[0] != ' ' && out.buf[out.len - 1] != ' '));
	strbuf_reset(&out);
	archive_xml_clean(&out, s, size);
	FUZZ_CHECK(utf8_valid(out.buf, out.len));
	for (i = 0; i < out.len; i++)
		FUZZ_CHECK((unsigned char)out.buf[i] >= 0x20 || strchr("\t\n\r", out.buf[i]));
	strbuf_reset(&out);
	if (utf8_valid(s, size)) {
		strbuf_add_json_string(&out, s, size);
		FUZZ_CHECK(out.len >= 2 && out.buf[0] == '"' && out.buf[out.len - 1] == '"');
		FUZZ_CHECK(!memchr(out.buf, '<', out.len) && !memchr(out.buf, '>', out.len));
		strbuf_reset(&out);
	}
	tag = fuzz_cstr(data, size);
	(void)issue_tag_slug(tag, &out);
	FUZZ_CHECK(out.len > 0 && out.len <= ISSUE_TAG_SLUG_MAX);
	free(tag);
	strbuf_release(&out);
	return 0;
}
