/*
 * The Markdown body through both renderers and the lint visitor, as
 * `render`, `check`, `send` and `archive` run it.  Inputs are bounded the
 * way issue_parse bounds them (ISSUE_MAX_BODY, valid UTF-8, no NUL, the
 * shapes markdown_shape_check lets through), so only what an issue file
 * can really hold is tried — and must render fast (a timeout is a finding).
 */
#include "fuzz.h"
#include "base/strbuf.h"
#include "base/utf8.h"
#include "core/issue.h"
#include "core/markdown.h"

static void on_image(void *data, const char *url, const char *alt, int line)
{
	(void)data; (void)alt; (void)line;
	(void)markdown_url_kind(url, 1);
}

static void on_link(void *data, const char *url, const char *text, int line)
{
	(void)data; (void)text; (void)line;
	(void)markdown_url_kind(url, 0);
}

static void on_text(void *data, const char *text, int line)
{
	(void)data; (void)line;
	FUZZ_CHECK(utf8_valid(text, strlen(text)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *md = (const char *)data;
	struct markdown *m;
	struct strbuf html = STRBUF_INIT, text = STRBUF_INIT;
	struct markdown_visitor v = { 0 };

	fuzz_quiet();
	if (size > ISSUE_MAX_BODY || memchr(md, '\0', size) || !utf8_valid(md, size))
		return 0;
	{
		struct strbuf why = STRBUF_INIT;
		int line, r = markdown_shape_check(md, size, &line, &why);

		strbuf_release(&why);
		if (r < 0)
			return 0;
	}
	m = markdown_parse(md, size);
	FUZZ_CHECK(m);
	markdown_render_html(m, &html);
	markdown_render_text(m, 72, &text);
	FUZZ_CHECK(utf8_valid(html.buf, html.len));
	FUZZ_CHECK(utf8_valid(text.buf, text.len));
	v.image = on_image;
	v.link = on_link;
	v.text = on_text;
	markdown_visit(m, &v);
	markdown_free(m);
	strbuf_release(&html);
	strbuf_release(&text);
	return 0;
}
