/*
 * Template files (core/templates.h): the fallback to the installed copies,
 * the name rules for templates and partials, the default extension, the
 * message for a missing template, partials of partials, the file report.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "base/error.h"
#include "core/templates.h"
#include "tap.h"

#include <sys/stat.h>

static struct strbuf reports = STRBUF_INIT;

static void capture(const char *level, const char *msg)
{
	strbuf_addf(&reports, "%s: %s\n", level, msg);
}

static void put(const char *dir, const char *name, const char *text)
{
	struct strbuf p = STRBUF_INIT;

	path_join(&p, dir, name);
	if (write_file(p.buf, text, strlen(text), 0644) < 0)
		printf("# cannot write %s\n", p.buf);
	strbuf_release(&p);
}

/* Render t with no data into a static buffer ("" when t is NULL). */
static const char *render(const struct tmpl *t)
{
	static struct strbuf out = STRBUF_INIT;

	strbuf_reset(&out);
	if (t)
		tmpl_render(t, NULL, 0, &out);
	return out.buf;
}

static void seen_file(void *data, const char *name, const char *src, size_t len)
{
	strbuf_addf(data, "%s=%.*s;", name, (int)len, src);
}

int main(void)
{
	char root[] = "/tmp/nb-templates-XXXXXX";
	struct strbuf own = STRBUF_INIT, inst = STRBUF_INIT, src = STRBUF_INIT;
	struct strbuf path = STRBUF_INIT, seen = STRBUF_INIT, want = STRBUF_INIT;
	struct templates *ts;
	struct tmpl *t;

	set_report_routine(capture);
	if (!mkdtemp(root)) {
		ok(0, "mkdtemp");
		return tap_done();
	}
	path_join(&own, root, "own");
	path_join(&inst, root, "installed");
	mkdir(own.buf, 0755);
	mkdir(inst.buf, 0755);
	/* The newsletter's directory overrides two files; the rest is installed. */
	put(own.buf, "page.html", "[{{> head}}|{{> nested/part}}]");
	put(own.buf, "head.html", "own head");
	put(inst.buf, "head.html", "installed head");
	put(inst.buf, "page.txt", "{{> head}}/{{> foot}}");
	put(inst.buf, "head.txt", "text head");
	put(inst.buf, "foot.txt", "text foot {{> deeper}}");
	put(inst.buf, "deeper.txt", "and deeper");
	path_join(&path, inst.buf, "nested");
	mkdir(path.buf, 0755);
	put(path.buf, "part.html", "nested part");
	put(inst.buf, "style.css", "body{}");
	put(root, "secret.html", "SECRET");
	put(root, "secret.txt", "SECRET");

	ts = templates_new_in(own.buf, inst.buf);
	templates_on_file(ts, seen_file, &seen);

	t = templates_compile(ts, "page.html", TMPL_ESCAPE_HTML);
	is_str(render(t), "[own head|nested part]",
	       "the newsletter's file wins; a partial in a subfolder falls back to the installed one");
	is_str(seen.buf, "page.html=[{{> head}}|{{> nested/part}}];head.html=own head;"
	       "nested/part.html=nested part;",
	       "every template and partial read is reported with its name and source");
	tmpl_free(t);

	strbuf_reset(&seen);
	t = templates_compile(ts, "page.txt", TMPL_ESCAPE_NONE);
	is_str(render(t), "text head/text foot and deeper",
	       "a template only installed is found; partials get its extension (.txt), "
	       "a partial of a partial too");
	ok(strstr(seen.buf, "deeper.txt=and deeper;") != NULL, "the partial of a partial is reported");
	tmpl_free(t);

	strbuf_reset(&reports);
	ok(templates_compile(ts, "nothing.html", TMPL_ESCAPE_HTML) == NULL, "a missing template fails");
	strbuf_addf(&want, "template 'nothing.html' not found in '%s' nor in '%s'", own.buf, inst.buf);
	ok(strstr(reports.buf, want.buf) != NULL, "the message names it and both directories");
	printf("# %s", reports.buf);

	{
		static const char *const bad[] = { "../secret.html", "/etc/passwd", "a/../../secret.html",
						   "..", "" };
		size_t i;

		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			strbuf_reset(&reports);
			t = templates_compile(ts, bad[i], TMPL_ESCAPE_HTML);
			ok(!t && strstr(reports.buf, "refused"), "template name '%s' refused", bad[i]);
			tmpl_free(t);
		}
	}
	{
		static const char *const bad[] = { "../secret", "../secret.txt", "/etc/passwd",
						   "nested/../../secret" };
		size_t i;

		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			strbuf_reset(&want);
			strbuf_addf(&want, "x{{> %s}}y", bad[i]);
			put(own.buf, "bad.txt", want.buf);
			strbuf_reset(&reports);
			t = templates_compile(ts, "bad.txt", TMPL_ESCAPE_NONE);
			ok(!t && strstr(reports.buf, "refused") && strstr(reports.buf, "bad.txt:1"),
			   "partial '%s' refused, the message names the tag's file:line", bad[i]);
			tmpl_free(t);
		}
	}
	strbuf_reset(&reports);
	put(own.buf, "gap.html", "{{> nowhere}}");
	ok(!templates_compile(ts, "gap.html", TMPL_ESCAPE_HTML) && strstr(reports.buf, "gap.html:1") &&
	   strstr(reports.buf, "nowhere"), "a missing partial names the file:line of its tag");

	/* A partial's name with a dot keeps its extension. */
	put(own.buf, "mixed.html", "{{> head.txt}}");
	t = templates_compile(ts, "mixed.html", TMPL_ESCAPE_HTML);
	is_str(render(t), "text head", "a partial named with an extension is read as named");
	tmpl_free(t);

	strbuf_reset(&seen);
	ok(templates_read(ts, "style.css", &src, &path) == 0 && !strcmp(src.buf, "body{}"),
	   "templates_read falls back to the installed file");
	ok(strstr(path.buf, "installed/style.css") != NULL, "  and says which path it read");
	ok(!seen.len, "  and does not report it as a template");
	strbuf_reset(&reports);
	ok(templates_read_optional(ts, "favicon.svg", &src, &path) == 1 && !reports.len,
	   "an optional file in neither directory: 1, nothing reported");
	ok(templates_read(ts, "favicon.svg", &src, &path) < 0 && strstr(reports.buf, "not found"),
	   "a required one is an error");
	strbuf_reset(&reports);
	ok(templates_read(ts, "../secret.html", &src, &path) < 0 && strstr(reports.buf, "refused"),
	   "templates_read refuses '..' too");

	templates_free(ts);
	remove_tree(root);
	strbuf_release(&own);
	strbuf_release(&inst);
	strbuf_release(&src);
	strbuf_release(&path);
	strbuf_release(&seen);
	strbuf_release(&want);
	return tap_done();
}
