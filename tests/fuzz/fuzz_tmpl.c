/*
 * Mustache: compile any source (as templates/ and the issue body are
 * compiled), then render it against a small context with lists, objects,
 * strings and a template value, and walk its names as the archive cache
 * does.  The input is "main source" and, after the first NUL byte, the
 * source of partial "p" (which may include itself); the first byte picks
 * the escaping.  A render that blows up must say so (-1), never crash or
 * hang: the step bound keeps every render short.
 */
#include "fuzz.h"
#include "base/strbuf.h"
#include "core/tmpl.h"

struct partials {
	const char *src;
	size_t len;
};

static int load_partial(void *data, const char *name, struct strbuf *src, const char **display)
{
	const struct partials *p = data;

	if (strcmp(name, "p") != 0)
		return -1;
	strbuf_add(src, p->src, p->len);
	*display = "p.mustache";
	return 0;
}

static void on_name(void *data, const char *name, const char *const *sections, size_t n)
{
	(void)data; (void)name; (void)sections; (void)n;
}

static void on_missing(void *data, const char *name, const char *tmpl_name, int line)
{
	(void)data; (void)tmpl_name;
	FUZZ_CHECK(name != NULL);
	FUZZ_CHECK(line >= 1);
}

static struct tval *context(const struct tmpl *inner)
{
	struct tval *d = tval_object(), *list = tval_list(), *o = tval_object(), *sub;

	tval_set_str(d, "name", "A & <B> \"c\" 'd'");
	tval_set(d, "n", tval_number(1.5));
	tval_set(d, "t", tval_bool(1));
	tval_set(d, "f", tval_bool(0));
	tval_set(d, "z", tval_null());
	tval_set_str(d, "e", "");
	tval_set_str(o, "x", "1");
	tval_set(o, "y", tval_list());
	tval_push(list, o);
	tval_push(list, tval_string("two"));
	tval_push(list, tval_number(3));
	tval_set(d, "items", list);
	sub = tval_object();
	tval_set_str(sub, "name", "Ada");
	tval_set_str(sub, "email", "ada@example.org");
	tval_set(d, "subscriber", sub);
	if (inner)
		tval_set(d, "content", tval_template(inner));
	return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tmpl_options opts = { TMPL_ESCAPE_HTML, load_partial, NULL, 0 };
	struct partials parts = { "", 0 };
	const char *src, *nul;
	size_t len;
	struct tmpl *t, *inner;
	struct tval *ctx;
	const struct tval *stack[1];
	struct strbuf out = STRBUF_INIT;

	fuzz_quiet();
	if (size < 1 || size > 16384)
		return 0;
	opts.escape = (data[0] & 1) ? TMPL_ESCAPE_NONE : TMPL_ESCAPE_HTML;
	opts.missing_partial_ok = (data[0] & 2) != 0;
	src = (const char *)data + 1;
	len = size - 1;
	nul = memchr(src, '\0', len);
	if (nul) {
		parts.src = nul + 1;
		parts.len = len - (size_t)(nul + 1 - src);
		len = (size_t)(nul - src);
	}
	opts.partial_data = &parts;
	t = tmpl_compile("fuzz.mustache", src, len, &opts);
	if (!t)
		return 0;
	/* The same source as a template value too, as the issue body is. */
	inner = tmpl_compile("fuzz.md", src, len, &opts);
	FUZZ_CHECK(inner != NULL);
	ctx = context(inner);
	stack[0] = ctx;
	(void)tmpl_render_ex(t, stack, 1, &out, on_missing, NULL);
	tmpl_each_name(t, on_name, NULL);
	tval_free(ctx);
	tmpl_free(inner);
	tmpl_free(t);
	strbuf_release(&out);
	return 0;
}
