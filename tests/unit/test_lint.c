/* The checks of `newsbeat check`: each finding with its file line and level. */
#include "base/common.h"
#include "core/issue.h"
#include "core/lint.h"
#include "core/markdown.h"
#include "base/strbuf.h"
#include "tap.h"

#define HEAD "---\ntitle: T\nissue: 1\ndate: 2026-01-01\n---\n"	/* body starts on line 6 */

/* Lint text (a whole issue file) and return the printed report (caller frees). */
static char *run(const char *file, size_t *errors, size_t *warnings)
{
	struct issue is;
	struct lint l = LINT_INIT;
	struct markdown *m;
	struct strbuf sb = STRBUF_INIT;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	if (issue_parse(&is, "i.md", file, strlen(file)) < 0) {
		issue_release(&is);
		return xstrdup("PARSE ERROR");
	}
	m = markdown_parse(is.body, is.body_len);
	lint_issue(&l, &is, m);
	lint_sort(&l);
	fp = open_memstream(&buf, &len);
	lint_print(&l, "i.md", fp);
	fclose(fp);
	strbuf_add(&sb, buf, len);
	free(buf);
	if (errors)
		*errors = lint_count(&l, LINT_ERROR);
	if (warnings)
		*warnings = lint_count(&l, LINT_WARNING);
	lint_release(&l);
	markdown_free(m);
	issue_release(&is);
	return strbuf_detach(&sb, NULL);
}

static void finds(const char *file, const char *want, const char *name)
{
	char *got = run(file, NULL, NULL);

	ok(strstr(got, want) != NULL, "finds %s", name);
	if (!strstr(got, want))
		diag("got:\n%s", got);
	free(got);
}

static void clean(const char *file, const char *name)
{
	char *got = run(file, NULL, NULL);

	is_str(got, "i.md: no problems found\n", "clean: %s", name);
	free(got);
}

static void test_checks(void)
{
	size_t e, w;
	char *got;

	clean(HEAD "Hello [site](https://example.org/) ![Logo](https://example.org/l.png)\n"
	      "[Unsubscribe]({{unsubscribe_url}}) <ed@example.org>\n", "a good issue");
	clean(HEAD "Talk to Tokyo, TKO, todo lists, TODOs, mTOR.\n", "placeholder words only as whole words");
	clean(HEAD "The XXX Annual Congress; venue TBD.\n", "Roman numerals and TBD are not placeholders");
	clean(HEAD "```\nTODO | a |\n|---|---|\n~~x~~ [^1]\n```\n\n    TK indented code\n",
	      "code blocks may contain anything");
	clean(HEAD "Use `~~x~~` in code spans.\n", "code spans are not text");
	clean(HEAD "Costs ~5 to ~~~ hmm and 1 | 2\n\n---\n", "stray tildes and pipes");

	finds(HEAD "Intro.\n\nTK: a quote from the president.\n",
	      "i.md:8: error: placeholder 'TK' left in the text (finish or remove it before sending)", "TK");
	finds(HEAD "x\nWe TODO.\n", "i.md:7: error: placeholder 'TODO' left in the text", "TODO");
	finds(HEAD "# FIXME heading\n", "i.md:6: error: placeholder 'FIXME'", "FIXME in a heading");
	finds(HEAD "- a\n- Lorem ipsum dolor sit amet\n", "i.md:7: error: 'lorem ipsum' filler text", "lorem ipsum");
	finds("---\ntitle: T\nissue: 1\ndate: 2026-01-01\npreheader: \"TODO\"\n---\nx\n",
	      "i.md:5: error: placeholder 'TODO' left in the preheader", "placeholder in the preheader");
	finds("---\nissue: 1\ntitle: \"TK\"\ndate: 2026-01-01\n---\nx\n",
	      "i.md:3: error: placeholder 'TK' left in the title", "placeholder in the title");
	finds("---\nissue: 1\ntitle: T\nsubject: \"NewsBeat: FIXME\"\ndate: 2026-01-01\n---\nx\n",
	      "i.md:4: error: placeholder 'FIXME' left in the subject", "placeholder in the subject");

	finds(HEAD "x\n\n![](https://example.org/a.png)\n",
	      "i.md:8: warning: image without alt text (describe it:", "image without alt");
	finds(HEAD "![ ](https://example.org/a.png)\n", "warning: image without alt text", "blank alt");
	finds(HEAD "![A](img/a.png)\n",
	      "i.md:6: error: relative image 'img/a.png' does not work in email", "relative image");
	finds(HEAD "See\n[the page](/about.html).\n",
	      "i.md:7: error: relative link '/about.html' does not work in email (there is no base URL) (write the full address",
	      "relative link, line inside a paragraph");
	finds(HEAD "[x](javascript:alert(1))\n",
	      "i.md:6: error: link 'javascript:alert(1)' has an unsafe or unsupported scheme and is removed from the email (use an https:// or mailto: address)",
	      "javascript: link");
	finds(HEAD "[x](<java\tscript:alert(1)>)\n", "error: link 'java?script:alert(1)' has an unsafe", "tab in scheme");
	finds(HEAD "[x](data:text/html,hi)\n", "error: link 'data:text/html,hi' has an unsafe", "data: link");
	finds(HEAD "![x](data:image/png;base64,AA)\n", "warning: data: image", "data: image");
	finds(HEAD "[x]()\n", "error: link has no address", "empty link");
	finds(HEAD "[x](#top)\n", "warning: anchor link '#top'", "anchor link");

	finds(HEAD "Intro\n\n| Date | Event |\n|------|-------|\n| 1 Dec | Deadline |\n",
	      "i.md:8: warning: pipe table will show as plain text with '|' characters: CommonMark has no tables (use a list, or an image of the table with alt text)",
	      "pipe table at its header line");
	finds(HEAD "a | b\n--- | :---:\n", "i.md:6: warning: pipe table", "table without outer pipes");
	finds(HEAD "Was ~~cancelled~~ moved.\n",
	      "i.md:6: warning: '~~' will show literally: CommonMark has no strikethrough (use *emphasis*, or remove the text",
	      "strikethrough");
	finds(HEAD "A claim[^1].\n",
	      "i.md:6: warning: footnote '[^1]' will show literally (CommonMark has no footnotes; write the note inline, in parentheses)",
	      "footnote reference");
	finds(HEAD "A claim[^note].\n\n[^note]: https://example.org/\n",
	      "i.md:6: warning: footnote '[^note]' will show as a link", "footnote that became a link");
	finds(HEAD "x\n\n<table><tr><td>x</td></tr></table>\n",
	      "i.md:8: warning: raw HTML is removed from the email", "raw HTML block");
	finds(HEAD "a <span>b</span>\n", "i.md:6: warning: raw HTML", "inline HTML");
	finds(HEAD "\n\n", "i.md:6: error: the issue has no text", "empty body");

	got = run(HEAD "TODO\n\n![](a.png)\n\n[x](https://a.org)\n", &e, &w);
	is_int(e, 2, "two errors (TODO, relative image)");
	is_int(w, 1, "one warning (alt)");
	ok(strstr(got, "i.md: 2 errors, 1 warning\n") != NULL, "summary line");
	ok(strstr(got, "i.md:6: error: placeholder") < strstr(got, "i.md:8: warning: image"),
	   "findings in line order");
	free(got);
}

static void test_size(void)
{
	struct lint l = LINT_INIT;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	lint_html_size(&l, LINT_HTML_WARN);
	is_int(l.n, 0, "90 KB exactly: fine");
	lint_html_size(&l, LINT_HTML_WARN + 1);
	ok(l.n == 1 && l.v[0].level == LINT_WARNING, "over 90 KB: warning");
	lint_html_size(&l, LINT_HTML_MAX);
	ok(l.n == 2 && l.v[1].level == LINT_WARNING, "102 KB exactly: still a warning");
	lint_html_size(&l, LINT_HTML_MAX + 1);
	ok(l.n == 3 && l.v[2].level == LINT_ERROR, "over 102 KB: error");
	fp = open_memstream(&buf, &len);
	lint_print(&l, "i.md", fp);
	fclose(fp);
	ok(strstr(buf, "i.md: error: the HTML part is 103 KB, over 102 KB: Gmail clips it and hides the unsubscribe link") != NULL,
	   "size error says why");
	free(buf);
	lint_release(&l);
}

static void test_unfilled(void)
{
	struct issue is;
	struct lint l = LINT_INIT;
	const char *f = HEAD "Hi\n\nDear {{ subscriber.nmae }},\n";

	issue_parse(&is, "i.md", f, strlen(f));
	lint_unfilled(&l, &is, "subscriber.nmae", "i.md", 3);
	lint_unfilled(&l, &is, "subscriber.nmae", "i.md", 5);
	lint_unfilled(&l, &is, "issue.foo", "templates/email.html", 12);
	lint_unfilled(&l, &is, "issue.foo", "templates/email.html", 12);
	ok(l.n == 2 && l.v[0].line == 8 && !l.v[0].file, "body variable reported once, at its Markdown line");
	ok(l.n == 2 && l.v[0].level == LINT_WARNING && strstr(l.v[0].hint, "imported with a 'nmae' column"),
	   "subscriber attribute: a warning (the store may fill it)");
	ok(l.n == 2 && l.v[1].level == LINT_ERROR, "other variables: an error");
	ok(l.n == 2 && l.v[1].line == 12 && l.v[1].file && !strcmp(l.v[1].file, "templates/email.html"),
	   "template variable reported in its template");
	lint_sort(&l);
	ok(!l.v[0].file, "issue findings sort before template findings");
	lint_release(&l);
	issue_release(&is);
}

/* Past LINT_MAX findings are counted, not kept: check stays linear and readable. */
static void test_cap(void)
{
	struct lint l = LINT_INIT;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	int i;

	for (i = 0; i < LINT_MAX + 50; i++)
		lint_add(&l, NULL, i + 1, i % 2 ? LINT_WARNING : LINT_ERROR, NULL, "finding %d", i);
	is_int((long long)l.n, LINT_MAX, "only LINT_MAX findings are kept");
	is_int((long long)lint_count(&l, LINT_ERROR), (LINT_MAX + 50) / 2, "errors past the cap still count");
	is_int((long long)lint_count(&l, LINT_WARNING), (LINT_MAX + 50) / 2, "so do warnings");
	fp = open_memstream(&buf, &len);
	lint_print(&l, "i.md", fp);
	fclose(fp);
	ok(strstr(buf, "i.md: 50 more findings not shown\ni.md: 125 errors, 125 warnings\n") != NULL,
	   "the report says how many are not shown");
	free(buf);
	lint_release(&l);
	is_int((long long)lint_count(&l, LINT_ERROR), 0, "release forgets the dropped ones too");
}

int main(void)
{
	test_checks();
	test_cap();
	test_size();
	test_unfilled();
	return tap_done();
}
