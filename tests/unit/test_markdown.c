/* Markdown → email HTML and → plain text: URL policy, XSS, template tags, wrapping. */
#include "base/common.h"
#include "core/markdown.h"
#include "base/strbuf.h"
#include "tap.h"

static char *html(const char *md)
{
	struct markdown *m = markdown_parse(md, strlen(md));
	struct strbuf sb = STRBUF_INIT;

	markdown_render_html(m, &sb);
	markdown_free(m);
	return strbuf_detach(&sb, NULL);
}

static char *text(const char *md, int width)
{
	struct markdown *m = markdown_parse(md, strlen(md));
	struct strbuf sb = STRBUF_INIT;

	markdown_render_text(m, width, &sb);
	markdown_free(m);
	return strbuf_detach(&sb, NULL);
}

static void html_has(const char *md, const char *want, const char *name)
{
	char *h = html(md);

	ok(strstr(h, want) != NULL, "html: %s", name);
	if (!strstr(h, want))
		diag("got: %s", h);
	free(h);
}

static void html_lacks(const char *md, const char *bad, const char *name)
{
	char *h = html(md);
	char *lower = xstrdup(h);
	size_t i;

	for (i = 0; lower[i]; i++)
		if (lower[i] >= 'A' && lower[i] <= 'Z')
			lower[i] |= 0x20;
	ok(!strstr(lower, bad), "html: %s", name);
	if (strstr(lower, bad))
		diag("got: %s", h);
	free(lower);
	free(h);
}

static void text_is(const char *md, int width, const char *want, const char *name)
{
	char *t = text(md, width);

	is_str(t, want, "text: %s", name);
	free(t);
}

static void test_url_kind(void)
{
	static const struct { const char *url; int image; enum markdown_url want; } cases[] = {
		{ "https://example.org/", 0, MARKDOWN_URL_ABSOLUTE },
		{ "HTTP://EXAMPLE.ORG", 0, MARKDOWN_URL_ABSOLUTE },
		{ "mailto:editor@example.org", 0, MARKDOWN_URL_ABSOLUTE },
		{ "/issues/issue-1.html", 0, MARKDOWN_URL_RELATIVE },
		{ "#section", 0, MARKDOWN_URL_RELATIVE },
		{ "issue-1.html", 0, MARKDOWN_URL_RELATIVE },
		{ "{{unsubscribe_url}}", 0, MARKDOWN_URL_RELATIVE },
		{ "./a:b", 0, MARKDOWN_URL_RELATIVE },
		{ "javascript:alert(1)", 0, MARKDOWN_URL_UNSAFE },
		{ "JavaScript:alert(1)", 0, MARKDOWN_URL_UNSAFE },
		{ " \x01javascript:alert(1)", 0, MARKDOWN_URL_UNSAFE },
		{ "java\tscript:alert(1)", 0, MARKDOWN_URL_UNSAFE },
		{ "java\nscript:alert(1)", 0, MARKDOWN_URL_UNSAFE },
		{ "vbscript:msgbox", 0, MARKDOWN_URL_UNSAFE },
		{ "file:///etc/passwd", 0, MARKDOWN_URL_UNSAFE },
		{ "data:text/html,<script>", 0, MARKDOWN_URL_UNSAFE },
		{ "data:image/png;base64,AAAA", 0, MARKDOWN_URL_UNSAFE },
		{ "data:image/png;base64,AAAA", 1, MARKDOWN_URL_ABSOLUTE },
		{ "DATA:image/JPEG;base64,AAAA", 1, MARKDOWN_URL_ABSOLUTE },
		{ "data:image/webp,AAAA", 1, MARKDOWN_URL_ABSOLUTE },
		{ "data:image/svg+xml,<svg onload=alert(1)>", 1, MARKDOWN_URL_UNSAFE },
		{ "data:image/pngx;base64,AAAA", 1, MARKDOWN_URL_UNSAFE },
		{ "javascript:alert(1)", 1, MARKDOWN_URL_UNSAFE },
		{ "ftp://example.org/", 0, MARKDOWN_URL_UNSAFE },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		is_int(markdown_url_kind(cases[i].url, cases[i].image), cases[i].want,
		       "url kind of '%s'%s", cases[i].url, cases[i].image ? " (image)" : "");
}

static void test_xss(void)
{
	static const char *const links[] = {
		"[x](javascript:alert(1))",
		"[x](JAVASCRIPT:alert(1))",
		"[x](<java\tscript:alert(1)>)",
		"[x](java&#9;script:alert(1))",
		"[x](&#106;avascript:alert(1))",
		"[x](javascript&colon;alert(1))",
		"[x](&#x20;javascript:alert(1))",
		"[x](&#1;javascript:alert(1))",
		"<javascript:alert(1)>",
		"[x](vbscript:msgbox(1))",
		"[x](file:///etc/passwd)",
		"[x](data:text/html;base64,PHNjcmlwdD4=)",
		"[x]\n\n[x]: javascript:alert(1)",
		"![x](javascript:alert(1))",
		"![x](data:image/svg+xml,<svg/onload=alert(1)>)",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(links); i++) {
		char *h = html(links[i]);
		char *t = text(links[i], 72);

		ok(!strstr(h, "href") && !strstr(h, "src="), "unsafe link/image dropped: %s", links[i]);
		ok(strstr(h, "x") != NULL, "its text kept: %s", links[i]);
		ok(!strstr(t, "Links:"), "no text reference either: %s", links[i]);
		free(h);
		free(t);
	}
	html_lacks("<script>alert(1)</script>\n\nafter", "<script", "raw <script> block dropped");
	html_lacks("<script>alert(1)</script>\n\nafter", "alert", "and its content");
	html_lacks("text <script>alert(1)</script> more", "<script", "inline <script> dropped");
	html_lacks("<img src=x onerror=alert(1)>", "onerror", "raw <img onerror> dropped");
	html_lacks("a <img src=x onerror=alert(1)> b", "onerror", "inline <img onerror> dropped");
	html_lacks("<div onmouseover=\"x\">\n*hi*\n</div>", "onmouseover", "raw div dropped");
	html_lacks("<!-- comment -->\n\ntext", "<!--", "HTML comment dropped");
	html_lacks("<a href=\"javascript:alert(1)\">x</a>", "javascript", "raw <a> dropped");
	html_lacks("[x](https://example.org/ \"t\\\" onmouseover=\\\"alert(1)\")", "\" onmouseover",
		   "title cannot break out of its attribute");
	html_has("[x](https://example.org/ \"t\\\" onmouseover=\\\"alert(1)\")",
		 "title=\"t&quot; onmouseover=&quot;alert(1)\"", "title is escaped");
	html_lacks("[x](https://x.org/\"onmouseover=\"alert(1))", "\"onmouseover",
		   "URL cannot break out of href");
	html_lacks("![a\" onerror=\"alert(1)](https://x.org/a.png)", "\" onerror", "alt cannot break out");
	html_has("a < b & c > d \"q\" 'x'", "a &lt; b &amp; c &gt; d", "text escaped");
	html_has("`<b>`", "&lt;b&gt;</code>", "code span escaped");
	html_has("    <script>\n", "&lt;script&gt;", "code block escaped");
	html_has("[x](https://example.org/?a=1&b=2)", "href=\"https://example.org/?a=1&amp;b=2\"",
		 "& in href escaped");
	html_has("[x](<https://example.org/a b>)", "href=\"https://example.org/a%20b\"",
		 "space in URL percent-encoded");
}

static void test_html(void)
{
	html_has("Dear {{subscriber.name}},", ">Dear {{subscriber.name}},</p>", "{{tag}} in text survives");
	html_has("Hi {{{subscriber.name}}}!", "Hi {{{subscriber.name}}}!", "{{{tag}}} survives");
	html_has("Hi {{ subscriber.first_name }}!", "Hi {{ subscriber.first_name }}!",
		 "tag with spaces and underscores survives");
	html_has("{{#subscriber.name}}x{{/subscriber.name}}", "{{#subscriber.name}}x{{/subscriber.name}}",
		 "section tags survive");
	html_has("[unsubscribe]({{unsubscribe_url}})", "href=\"{{unsubscribe_url}}\"",
		 "tag as a whole link URL");
	html_has("[me](https://x.org/p?e={{subscriber.email}}&l=1)",
		 "href=\"https://x.org/p?e={{subscriber.email}}&amp;l=1\"", "tag inside a link URL");
	html_has("[me](https://x.org/%7B%7Bsubscriber.email%7D%7D)",
		 "href=\"https://x.org/{{subscriber.email}}\"", "percent-encoded tag decoded in href");
	html_has("{{a<b}}", "{{a&lt;b}}", "tag-like text with markup characters is escaped");

	html_has("# Title", "<h1 style=\"", "h1 styled");
	html_has("### Small", "<h3 style=\"", "h3 styled");
	html_has("para", "<p style=\"font-family:", "p has font stack");
	html_has("para", "line-height:1.6", "p readable line height");
	html_has("[x](https://a.org)", "<a href=\"https://a.org\" style=\"color:#1a5fb4;text-decoration:underline;\">x</a>",
		 "link styled");
	html_has("![Alt text](https://a.org/i.png \"T\")",
		 "<img src=\"https://a.org/i.png\" alt=\"Alt text\" title=\"T\" width=\"536\" style=\"display:block;width:100%;max-width:100%;height:auto;",
		 "image styled, as wide as the column, also in Outlook");
	html_has("![](https://a.org/i.png)", "alt=\"\"", "image without alt gets empty alt");
	html_has("![*emph* alt](https://a.org/i.png)", "alt=\"emph alt\"", "alt is plain text");
	html_has("![x](data:image/png;base64,iVBOR)", "src=\"data:image/png;base64,iVBOR\"",
		 "data: PNG image allowed");
	html_has("- a\n- b\n", "<ul style=\"", "ul styled");
	html_has("- a\n- b\n", "<li style=\"margin:0 0 6px 0;\">a</li>", "tight list items without <p>");
	html_has("- a\n\n- b\n", "<li style=\"margin:0 0 6px 0;\"><p style=", "loose list items with <p>");
	html_has("3. a\n4. b\n", "<ol start=\"3\" style=\"", "ordered list start");
	html_has("> q", "<blockquote style=\"margin:0 0 16px 0;padding:4px 0 4px 16px;border-left:", "blockquote styled");
	html_has("> a\n>\n> b\n", "16px 0;\">a</p>", "first paragraph in a quote keeps its margin");
	html_has("> a\n>\n> b\n", "margin:0;\">b</p>\n</blockquote>", "last paragraph in a quote has none");
	html_has("```\ncode\n```\n", "<pre style=\"font-family:ui-monospace", "pre styled");
	html_has("`c`", "<code style=\"", "inline code styled");
	html_has("---\n", "<hr style=\"", "hr styled");
	html_has("a  \nb", "a<br>\nb", "hard break");
	html_has("*e* **s**", "<em>e</em> <strong>s</strong>", "emphasis");
	html_has("[*x*](https://a.org)", "underline;\"><em>x</em></a>", "link around emphasis");
	html_has("\"quoted\" -- ok...", "\xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x80\x93 ok\xe2\x80\xa6",
		 "smart punctuation");
	html_has("[x](javascript:a) [y](https://a.org)", "x <a href=\"https://a.org\"",
		 "after a dropped link, the next link still opens and closes");
	{
		char *h = html("[x](javascript:a) [y](https://a.org)");
		const char *p = h;
		int opens = 0, closes = 0;

		while ((p = strstr(p, "<a "))) { opens++; p++; }
		for (p = h; (p = strstr(p, "</a>")); p++)
			closes++;
		ok(opens == 1 && closes == 1, "balanced <a> after a dropped link");
		free(h);
	}
}

static void test_text(void)
{
	text_is("Hello *world* and **bold**.\n", 72, "Hello _world_ and *bold*.\n", "emphasis markers");
	text_is("# Title\n\n## Sub heading\n\n### Third\n", 72,
		"Title\n=====\n\nSub heading\n-----------\n\nThird\n-----\n", "headings underlined");
	text_is("# Ünïcödé\n", 72, "Ünïcödé\n=======\n", "underline counts characters, not bytes");
	text_is("one two three four five six seven eight nine ten eleven twelve thirteen\n", 30,
		"one two three four five six\nseven eight nine ten eleven\ntwelve thirteen\n", "wraps at width");
	text_is("ééééé ééééé ééééé\n", 11, "ééééé ééééé\nééééé\n", "wrap counts UTF-8 characters");
	text_is("a https://example.org/a/very/long/url/that/does/not/fit/anywhere b\n", 20,
		"a\nhttps://example.org/a/very/long/url/that/does/not/fit/anywhere\nb\n",
		"long word never broken");
	text_is("aaaa bbbb {{ subscriber.first_name }} cccc\n", 12,
		"aaaa bbbb\n{{ subscriber.first_name }}\ncccc\n", "never breaks inside a {{tag}}");
	text_is("{{#subscriber.name}}Dear {{subscriber.name}},{{/subscriber.name}}{{^subscriber.name}}Dear colleague,{{/subscriber.name}}\n", 50,
		"{{#subscriber.name}}Dear {{subscriber.name}},{{/subscriber.name}}{{^subscriber.name}}Dear colleague,{{/subscriber.name}}\n",
		"section tags take no width when wrapping");
	text_is("Dear {{subscriber.name}}, {{{raw}}} <b>x</b>\n", 72,
		"Dear {{subscriber.name}}, {{{raw}}} x\n", "tags unescaped, raw HTML dropped");
	text_is("See [the site](https://a.org/) and [again](https://a.org/) and [other](https://b.org/).\n", 72,
		"See the site [1] and again [1] and other [2].\n\nLinks:\n[1] https://a.org/\n[2] https://b.org/\n",
		"numbered link references, reused numbers");
	text_is("Visit <https://a.org/> or <ed@example.org>.\n", 72,
		"Visit https://a.org/ or ed@example.org.\n", "autolinks are not duplicated");
	text_is("[Unsubscribe]({{unsubscribe_url}})\n", 72,
		"Unsubscribe [1]\n\nLinks:\n[1] {{unsubscribe_url}}\n", "tag URL as a reference");
	text_is("![A heart](https://a.org/h.png) ![](https://a.org/x.png)\n", 72,
		"[image: A heart] [1] [image] [2]\n\nLinks:\n[1] https://a.org/h.png\n[2] https://a.org/x.png\n",
		"images");
	text_is("line one  \nline two\\\nline three\n", 72, "line one\nline two\nline three\n", "hard breaks kept");
	text_is("- one\n- two that is long enough to wrap around\n  - nested item that wraps as well\n- three\n", 24,
		"- one\n- two that is long\n  enough to wrap around\n  - nested item that\n    wraps as well\n- three\n",
		"bullet lists with hanging indent, nested");
	text_is("1. one\n2. two\n", 72, "1. one\n2. two\n", "ordered list");
	text_is("9. nine\n10. ten wraps here\n", 14, "9.  nine\n10. ten wraps\n    here\n",
		"ordered list markers padded to the widest");
	text_is("3) c\n4) d\n", 72, "3) c\n4) d\n", "paren delimiter and start");
	text_is("- a\n\n- b\n", 72, "- a\n\n- b\n", "loose list keeps blank lines");
	text_is("> quoted text that wraps at the width\n>\n> second\n", 20,
		"> quoted text that\n> wraps at the width\n>\n> second\n", "block quotes");
	text_is("> outer\n> > inner\n", 72, "> outer\n>\n> > inner\n", "nested quotes");
	text_is("- > quote in a list\n", 72, "- > quote in a list\n", "quote inside a list");
	text_is("Code:\n\n    int main(void) { return 0; } /* a long line that is not wrapped at all */\n\n        deeper\n", 30,
		"Code:\n\n    int main(void) { return 0; } /* a long line that is not wrapped at all */\n\n        deeper\n",
		"indented code block not wrapped");
	text_is("```c\nx = 1;\n\ny = 2;\n```\n", 72, "    x = 1;\n\n    y = 2;\n", "fenced code indented 4");
	text_is("a\n\n***\n\nb\n", 10, "a\n\n----------\n\nb\n", "thematic break as dashes");
	text_is("<div>\nraw\n</div>\n\npara\n", 72, "para\n", "HTML blocks dropped");
	text_is("[bad](javascript:alert(1)) text\n", 72, "bad text\n", "unsafe link: text only");
	text_is("x [link](https://a.org/%7B%7Bsubscriber.email%7D%7D)\n", 72,
		"x link [1]\n\nLinks:\n[1] https://a.org/{{subscriber.email}}\n", "encoded tag decoded in references");
	text_is("", 72, "", "empty document");
	{
		struct strbuf deep = STRBUF_INIT;
		char *t;

		strbuf_addchars(&deep, '>', 5000);
		strbuf_addstr(&deep, " deep\n");
		t = text(deep.buf, 72);
		ok(strstr(t, "deep") != NULL, "5000 nested quotes render without blowing the stack");
		free(t);
		strbuf_release(&deep);
	}
	{
		char *t = text("Para one with a fairly long sentence that will wrap at seventy two columns for sure, yes.\n"
			       "\n- item\n", 72);
		const char *p, *eol;
		int longest = 0;

		for (p = t; *p; p = eol + 1) {
			eol = strchr(p, '\n');
			if (eol - p > longest)
				longest = (int)(eol - p);
		}
		ok(longest <= 72, "no line over 72 columns (longest %d)", longest);
		free(t);
	}
}

struct seen {
	struct strbuf log;
};

static void v_image(void *data, const char *url, const char *alt, int line)
{
	strbuf_addf(&((struct seen *)data)->log, "image %d %s [%s]\n", line, url, alt);
}

static void v_link(void *data, const char *url, const char *txt, int line)
{
	strbuf_addf(&((struct seen *)data)->log, "link %d %s [%s]\n", line, url, txt);
}

static void v_text(void *data, const char *txt, int line)
{
	if (strchr(txt, '~'))
		strbuf_addf(&((struct seen *)data)->log, "text %d %s\n", line, txt);
}

static void v_html(void *data, int line)
{
	strbuf_addf(&((struct seen *)data)->log, "html %d\n", line);
}

static void v_code(void *data, int first, int last)
{
	strbuf_addf(&((struct seen *)data)->log, "code %d-%d\n", first, last);
}

static void test_visit(void)
{
	const char *md = "# Head\n"
			 "\n"
			 "Para [a](https://a.org) and\n"
			 "more ![Alt](b.png) and\n"
			 "last ~~x~~ [c](javascript:x)\n"
			 "\n"
			 "```\n~~not text~~\n```\n"
			 "\n"
			 "<div>\n"
			 "\n"
			 "- item <b>x</b>\n";
	struct seen s = { STRBUF_INIT };
	struct markdown_visitor v = { v_image, v_link, v_text, v_html, v_code, &s };
	struct markdown *m = markdown_parse(md, strlen(md));

	markdown_visit(m, &v);
	is_str(s.log.buf,
	       "link 3 https://a.org [a]\n"
	       "image 4 b.png [Alt]\n"
	       "text 5 last ~~x~~ \n"
	       "link 5 javascript:x [c]\n"
	       "code 7-9\n"
	       "html 11\n"
	       "html 13\n"
	       "html 13\n",
	       "visitor sees links, images, text, HTML and code with source lines");
	markdown_free(m);
	strbuf_release(&s.log);
}


/*
 * Random Markdown soup made of hostile pieces; whatever cmark makes of it,
 * the HTML must consist only of our tags with our attributes, and every
 * href/src must pass the URL policy.
 */
static unsigned long rng_state = 12345;

static unsigned rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)((rng_state >> 33) % n);
}

static const char *check_tag(const char *p, char *why, size_t whylen)
{
	static const char *const tags[] = { "p", "h1", "h2", "h3", "h4", "h5", "h6", "a", "ul", "ol",
		"li", "blockquote", "pre", "code", "hr", "img", "em", "strong", "br" };
	static const char *const attrs[] = { "href", "src", "alt", "title", "style", "start", "width" };
	const char *q = p + 1;
	size_t n, i;
	int known = 0;

	if (*q == '/')
		q++;
	for (n = 0; q[n] >= 'a' && q[n] <= 'z'; n++)
		;
	if (q[n] >= '1' && q[n] <= '6')
		n++;
	for (i = 0; i < ARRAY_SIZE(tags); i++)
		known |= strlen(tags[i]) == n && !strncmp(q, tags[i], n);
	if (!known) {
		snprintf(why, whylen, "unknown tag at '%.20s'", p);
		return NULL;
	}
	q += n;
	while (*q == ' ') {
		const char *name = ++q, *val;
		int ok_attr = 0;

		while (*q >= 'a' && *q <= 'z')
			q++;
		for (i = 0; i < ARRAY_SIZE(attrs); i++)
			ok_attr |= strlen(attrs[i]) == (size_t)(q - name) && !strncmp(name, attrs[i], (size_t)(q - name));
		if (!ok_attr || q[0] != '=' || q[1] != '"') {
			snprintf(why, whylen, "bad attribute at '%.30s'", name);
			return NULL;
		}
		val = q + 2;
		q = strchr(val, '"');
		if (!q || memchr(val, '<', (size_t)(q - val))) {
			snprintf(why, whylen, "bad attribute value at '%.30s'", val);
			return NULL;
		}
		if (!strncmp(name, "href", 4) || !strncmp(name, "src", 3)) {
			struct strbuf u = STRBUF_INIT;
			const char *v;

			for (v = val; v < q; v++) {
				if (!strncmp(v, "&amp;", 5)) {
					strbuf_addch(&u, '&');
					v += 4;
				} else if (!strncmp(v, "&#x27;", 6)) {
					strbuf_addch(&u, '\'');
					v += 5;
				} else {
					strbuf_addch(&u, *v);
				}
			}
			if (strchr(u.buf, '&') && strchr(u.buf, ';') ) {
				/* an entity we did not write could hide a scheme */
				const char *a = strchr(u.buf, '&');

				if (a[1] == '#' || (a[1] >= 'a' && a[1] <= 'z' && strchr(a, ';') - a < 10)) {
					snprintf(why, whylen, "entity in URL '%s'", u.buf);
					strbuf_release(&u);
					return NULL;
				}
			}
			if (markdown_url_kind(u.buf, name[0] == 's') == MARKDOWN_URL_UNSAFE) {
				snprintf(why, whylen, "unsafe URL '%s'", u.buf);
				strbuf_release(&u);
				return NULL;
			}
			strbuf_release(&u);
		}
		q++;
	}
	if (*q != '>') {
		snprintf(why, whylen, "tag not closed at '%.20s'", q);
		return NULL;
	}
	return q + 1;
}

static void test_fuzz(void)
{
	static const char *const pieces[] = {
		"javascript:alert(1)", "JaVaScRiPt:x", "java\tscript:x", "java&#9;script:x", "&#106;avascript:x",
		"vbscript:x", "file:///x", "data:text/html,x", "data:image/png,x", "data:image/svg+xml,x",
		"https://ok.example/", "mailto:a@b", "{{x}}", "{{{y}}}", "%7B%7Bz%7D%7D", "<script>", "</script>",
		"<img src=x onerror=alert(1)>", "<a href=\"javascript:x\">", "\" onmouseover=\"x", "'", "\"",
		"[", "]", "(", ")", "<", ">", "!", "*", "_", "`", "```", "\n", "\n\n", "> ", "- ", "1. ",
		"    ", "#", "&", "&amp;", "&colon;", "\\", " ", "x", "\t", "---", "|", "~~", "[^1]",
		"\xc3\xa9", "\xe2\x80\x8b", "<!--", "-->", "<div>", "](", "](<", ">)", " \"t\")",
	};
	int i, bad = 0;
	char why[200];

	for (i = 0; i < 3000 && !bad; i++) {
		struct strbuf md = STRBUF_INIT;
		char *h;
		const char *p;
		int k, n = 1 + (int)rnd(40);

		for (k = 0; k < n; k++)
			strbuf_addstr(&md, pieces[rnd(ARRAY_SIZE(pieces))]);
		h = html(md.buf);
		for (p = h; (p = strchr(p, '<'));) {
			p = check_tag(p, why, sizeof(why));
			if (!p) {
				bad = 1;
				diag("input: %s", md.buf);
				diag("html: %s", h);
				diag("%s", why);
				break;
			}
		}
		free(h);
		free(text(md.buf, 72));
		strbuf_release(&md);
	}
	ok(!bad, "3000 random hostile documents: only our tags, attributes and safe URLs");
}

/* "![" × "]" per paragraph, summed, against MARKDOWN_SHAPE_MAX; quote depth. */
static int shape(const char *md, int *line, struct strbuf *why)
{
	strbuf_reset(why);
	*line = 0;
	return markdown_shape_check(md, strlen(md), line, why);
}

static void test_shape(void)
{
	struct strbuf md = STRBUF_INIT, why = STRBUF_INIT;
	int line, i;

	ok(shape("![a](b) and [c](d)\n\n![e](f)\n", &line, &why) == 0, "ordinary images and links pass");
	/* n x "![[]()" costs n * n: 4472 is just under 20,000,000, 4473 over. */
	for (i = 0; i < 4472; i++)
		strbuf_addstr(&md, "![[]()");
	ok(shape(md.buf, &line, &why) == 0, "4472 x '![[]()' (cost %d) passes", 4472 * 4472);
	strbuf_reset(&md);
	strbuf_addstr(&md, "intro\n\nsecond\n");
	for (i = 0; i < 4473; i++)
		strbuf_addstr(&md, "![[]()");
	ok(shape(md.buf, &line, &why) == -1, "4473 x '![[]()' in one paragraph is refused");
	is_int(line, 3, "  the paragraph's first line is named");
	ok(strstr(why.buf, "4473 images") && strstr(why.buf, "4473 ']' brackets"), "  with its counts: %s", why.buf);
	strbuf_reset(&md);
	for (i = 0; i < 8000; i++)
		strbuf_addstr(&md, i % 1000 == 999 ? "![[]()\n\n" : "![[]()");
	ok(shape(md.buf, &line, &why) == 0, "8000 split by blank lines every 1000 pass");
	strbuf_reset(&md);
	for (i = 0; i < 4473; i++)
		strbuf_addstr(&md, "![[]()\n");
	ok(shape(md.buf, &line, &why) == -1, "line breaks alone do not end a paragraph");
	ok(shape("> > > x\n", &line, &why) == 0, "a quote 3 deep passes");
	strbuf_reset(&md);
	strbuf_addstr(&md, "a\n\n");
	for (i = 0; i < 32; i++)
		strbuf_addstr(&md, "> ");
	strbuf_addstr(&md, "x > > >\n");
	ok(shape(md.buf, &line, &why) == 0, "32 deep passes ('>' later in the line do not count)");
	strbuf_reset(&md);
	strbuf_addstr(&md, "a\n\n");
	for (i = 0; i < 33; i++)
		strbuf_addstr(&md, ">");
	ok(shape(md.buf, &line, &why) == -1, "33 deep is refused");
	is_int(line, 3, "  on its line");
	strbuf_release(&md);
	strbuf_release(&why);
}

int main(void)
{
	test_fuzz();
	test_shape();
	test_url_kind();
	test_xss();
	test_html();
	test_text();
	test_visit();
	return tap_done();
}
