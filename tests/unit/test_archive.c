/* Unit tests for the archive's text helpers (archive_text.c). */
#include "base/common.h"
#include "base/strbuf.h"
#include "archive/archive.h"
#include "archive/archive_images.h"
#include "core/issue.h"
#include "core/tmpl.h"
#include "tap.h"

static void xml(const char *in, size_t len, const char *want, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	archive_xml_clean(&sb, in, len);
	is_str(sb.buf, want, "%s", name);
	strbuf_release(&sb);
}

static void js(const char *in, const char *want, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_add_json_string(&sb, in, strlen(in));
	is_str(sb.buf, want, "%s", name);
	strbuf_release(&sb);
}

static void slug(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	issue_tag_slug(in, &sb);
	is_str(sb.buf, want, "tag slug '%s'", in);
	strbuf_release(&sb);
}

static void text(const char *in, const char *want, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	archive_html_text(&sb, in, strlen(in));
	is_str(sb.buf, want, "%s", name);
	ok(sb.len <= strlen(in), "  not longer than its input");
	strbuf_release(&sb);
}

/* archive_images_files() of md, joined by spaces. */
static void files(const char *md, const char *want, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	char **f;
	size_t n, i;

	archive_images_files(md, strlen(md), &f, &n);
	for (i = 0; i < n; i++)
		strbuf_addf(&sb, "%s%s", i ? " " : "", f[i]);
	is_str(sb.buf, want, "%s", name);
	archive_images_files_free(f, n);
	strbuf_release(&sb);
}

int main(void)
{
	struct strbuf sb = STRBUF_INIT;

	xml("plain & <b>", 11, "plain & <b>", "xml: text untouched (escaping is the template's job)");
	xml("a\x01" "b\x1f" "c\x7f", 6, "abc\x7f", "xml: C0 controls dropped, DEL kept");
	xml("t\tl\nr\r", 6, "t\tl\nr\r", "xml: tab, LF, CR kept");
	xml("a\0b", 3, "ab", "xml: NUL dropped");
	xml("\xef\xbf\xbe" "x\xef\xbf\xbf", 7, "x", "xml: U+FFFE and U+FFFF dropped");
	xml("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "xml: valid UTF-8 kept");
	xml("a\xc3(b\xff" "c\xed\xa0\x80" "d\xc0\xaf", 13, "a(bcd", "xml: invalid UTF-8, surrogates, overlong dropped");

	js("plain", "\"plain\"", "js: plain");
	js("\"><script>alert(1)</script>", "\"\\\"\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\"",
	   "js: quotes and angle brackets");
	js("a\\b\nc\x01&", "\"a\\\\b\\nc\\u0001\\u0026\"", "js: backslash, newline, control, ampersand");
	js("x\xe2\x80\xa8y\xe2\x80\xa9", "\"x\\u2028y\\u2029\"", "js: line and paragraph separators");
	js("\xc3\xa9", "\"\xc3\xa9\"", "js: UTF-8 passes");

	slug("research", "research");
	slug("Heart & Lungs", "heart-lungs");
	slug("  --a--b  ", "a-b");
	slug("!!!", "tag");
	slug("\xc3\x84rzte", "c384rzte");
	slug("../../etc/passwd", "etc-passwd");
	{
		/* A tag longer than a file name can be: cut, with a hash of the whole tag. */
		char a[301], b[301];
		struct strbuf sa = STRBUF_INIT, sb2 = STRBUF_INIT;

		memset(a, 'a', 300);
		a[300] = '\0';
		memcpy(b, a, sizeof(a));
		b[299] = 'b';
		is_int(issue_tag_slug(a, &sa), 1, "a 300-character tag's slug is shortened");
		is_int(issue_tag_slug(b, &sb2), 1, "so is another one");
		ok(sa.len <= ISSUE_TAG_SLUG_MAX, "to at most %d bytes (got %zu)", ISSUE_TAG_SLUG_MAX, sa.len);
		ok(strcmp(sa.buf, sb2.buf) != 0, "two long tags that differ at the end keep distinct slugs");
		ok(!strncmp(sa.buf, a, 100), "the slug starts with the tag");
		strbuf_reset(&sa);
		memset(a, 'a', ISSUE_TAG_SLUG_MAX);
		a[ISSUE_TAG_SLUG_MAX] = '\0';
		is_int(issue_tag_slug(a, &sa), 0, "a slug of exactly the limit is kept");
		is_str(sa.buf, a, "  whole");
		strbuf_reset(&sa);
		is_int(issue_tag_slug("research", &sa), 0, "a short tag is not shortened");
		strbuf_release(&sa);
		strbuf_release(&sb2);
	}

	text("<h2 style=\"font-family:x\">Title</h2><p>Hello <strong>world</strong>, see "
	     "<a href=\"https://x.org/a\">the site</a>.</p>",
	     "Title Hello world, see the site.", "html text: tags gone, blocks are word breaks");
	text("<p>Dear colleague,</p>\n<p>line one<br />\nline two</p>",
	     "Dear colleague, line one line two", "html text: a hard break is a space, not a backslash");
	text("<p>caf&#233; &amp; Z&#xFC;rich &lt;tag&gt; &quot;q&quot; &#39;s&#39; a&nbsp;b</p>",
	     "caf\xc3\xa9 & Z\xc3\xbcrich <tag> \"q\" 's' a b", "html text: character references decoded");
	text("AT&T &bogus; &#; &#x; &#12345678901; x", "AT&T &bogus; &#; &#x; &#12345678901; x",
	     "html text: what is no reference stays text");
	text("&#x1F600; &#128512;", "\xf0\x9f\x98\x80 \xf0\x9f\x98\x80", "html text: a reference past the BMP");
	text("&#0;&#xD800;&#x110000;", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	     "html text: NUL, surrogates, past U+10FFFF are U+FFFD");
	text("a<em>b</em>c<code>d</code>e", "abcde", "html text: inline elements join their words");
	text("  <p>  spaced \t\n out  </p>  ", "spaced out", "html text: white space collapsed and trimmed");
	text("x<!-- a <p> comment -->y<script>var s = '</p>';</script>z<style>p{}</style>w",
	     "xyzw", "html text: comments, scripts and styles are no text");
	text("x &amp; &nbsp;\n", "x &", "html text: a space reference at the end is trimmed too");
	text("&nbsp;&#32; a&#9;&#10;b &#160;", "a b", "html text: space references collapse like spaces");
	text("a <p unfinished", "a", "html text: an unfinished tag is dropped");
	text("a<!-- unfinished", "a", "html text: an unfinished comment is dropped");

	{
		/* Issue numbers and years in templates (tval_number): 40, not 4e+01. */
		static const double nums[] = { 40, 100, 2026, 1e6, 0, -3, 1.21, 0.5 };
		static const char *const want[] = { "40", "100", "2026", "1000000", "0", "-3", "1.21", "0.5" };
		size_t k;

		for (k = 0; k < ARRAY_SIZE(nums); k++) {
			struct tval *root = tval_object();
			const struct tval *stack[1] = { root };
			struct tmpl *t = tmpl_compile("t", "{{n}}", 5, NULL);

			tval_set(root, "n", tval_number(nums[k]));
			strbuf_reset(&sb);
			tmpl_render(t, stack, 1, &sb);
			is_str(sb.buf, want[k], "number %s renders as such", want[k]);
			tmpl_free(t);
			tval_free(root);
		}
		strbuf_reset(&sb);
	}
	archive_issue_url("https://news.example.org/", "issue-42", &sb);
	is_str(sb.buf, "https://news.example.org/issues/issue-42.html", "issue URL = compose_web_url scheme");
	strbuf_release(&sb);
	files("Dear colleague,\n\nno images, [a link](https://x.org/a.png)\n", "",
	      "image files: none");
	files("![a](assets/lge.png) ![b](./assets/scan%20one.jpg) ![again](assets/lge.png)",
	      "assets/lge.png assets/scan one.jpg", "image files: each once, decoded, in order");
	files("![a][fig]\n\n[fig]: assets/ref.png\n", "assets/ref.png",
	      "image files: a reference-style image");
	files("![a](&#97;ssets/ent.png) ![b](https://x.org/assets/remote.png) ![c](assets/../x.png)",
	      "assets/ent.png", "image files: spelt with a character reference; not remote or outside");
	files("![a](assets\\/esc.png)", "assets/esc.png", "image files: with a backslash escape");
	return tap_done();
}
