/*
 * Template files: lookup with the fallback to the installed copies, the
 * name rules, compiling with partials.  See templates.h.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "core/templates.h"

struct templates {
	char *dir, *fallback;
	templates_file_fn on_file;
	void *on_file_data;
	/* paths of the partials read: compiled templates refer to them */
	char **names;
	size_t nnames, names_alloc;
};

/* The template being compiled, for its partials. */
struct compile_ctx {
	struct templates *ts;
	const char *ext;	/* its extension (".html"), or NULL */
};

struct templates *templates_new_in(const char *dir, const char *fallback)
{
	struct templates *ts = xcalloc(1, sizeof(*ts));

	ts->dir = xstrdup(dir ? dir : "");
	ts->fallback = xstrdup(fallback);
	return ts;
}

struct templates *templates_new(const char *dir)
{
	return templates_new_in(dir, NEWSBEAT_DATADIR "/templates");
}

void templates_on_file(struct templates *ts, templates_file_fn fn, void *data)
{
	ts->on_file = fn;
	ts->on_file_data = data;
}

void templates_free(struct templates *ts)
{
	if (!ts)
		return;
	while (ts->nnames)
		free(ts->names[--ts->nnames]);
	free(ts->names);
	free(ts->dir);
	free(ts->fallback);
	free(ts);
}

/* Relative and without a ".." component: it stays inside the directories. */
static int name_allowed(const char *name)
{
	const char *p = name;

	if (!*name || *name == '/')
		return 0;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += n;
		if (*p == '/')
			p++;
	}
	return 1;
}

/* The extension of the last component of name (".html"), or NULL. */
static const char *extension(const char *name)
{
	const char *slash = strrchr(name, '/');

	return strrchr(slash ? slash + 1 : name, '.');
}

/*
 * Read name from the newsletter's directory, else from the fallback.
 * Returns 0, 1 when it is in neither (reporting nothing), or -1 after
 * error().  path gets the path read, or the one tried last.
 */
static int find_and_read(struct templates *ts, const char *name, struct strbuf *src,
			 struct strbuf *path)
{
	size_t len = src->len;

	if (!name_allowed(name))
		return error("template name '%s' refused: it must be a file under "
			     "[paths] templates (not absolute, no '..')", name);
	path_join(path, ts->dir, name);
	if (!strbuf_read_file(src, path->buf))
		return 0;
	strbuf_setlen(src, len);
	if (errno == ENOENT) {
		path_join(path, ts->fallback, name);
		if (!strbuf_read_file(src, path->buf))
			return 0;
		strbuf_setlen(src, len);
		if (errno == ENOENT)
			return 1;
	}
	return error("cannot read template '%s': %s", path->buf, strerror(errno));
}

int templates_read(struct templates *ts, const char *name, struct strbuf *src,
		   struct strbuf *path)
{
	int r = find_and_read(ts, name, src, path);

	if (r > 0)
		r = error("template '%s' not found in '%s' nor in '%s' "
			  "(is [paths] templates right?)", name, ts->dir, ts->fallback);
	return r;
}

int templates_read_optional(struct templates *ts, const char *name, struct strbuf *src,
			    struct strbuf *path)
{
	return find_and_read(ts, name, src, path);
}

static void report_file(const struct templates *ts, const char *name, const struct strbuf *src)
{
	if (ts->on_file)
		ts->on_file(ts->on_file_data, name, src->buf, src->len);
}

/*
 * tmpl's partial loader.  A partial in neither directory is left to tmpl,
 * which names the tag's file and line; a refused name or an unreadable
 * file is reported here first.
 */
static int load_partial(void *data, const char *name, struct strbuf *src,
			const char **display_name)
{
	struct compile_ctx *cc = data;
	struct templates *ts = cc->ts;
	struct strbuf file = STRBUF_INIT, path = STRBUF_INIT;
	int r;

	strbuf_addstr(&file, name);
	if (!extension(name) && cc->ext)
		strbuf_addstr(&file, cc->ext);
	r = find_and_read(ts, file.buf, src, &path);
	if (!r) {
		report_file(ts, file.buf, src);
		ALLOC_GROW(ts->names, ts->nnames + 1, ts->names_alloc);
		ts->names[ts->nnames++] = strbuf_detach(&path, NULL);
		*display_name = ts->names[ts->nnames - 1];
	}
	strbuf_release(&file);
	strbuf_release(&path);
	return r ? -1 : 0;
}

struct tmpl *templates_compile(struct templates *ts, const char *name, enum tmpl_escape esc)
{
	struct strbuf src = STRBUF_INIT, path = STRBUF_INIT;
	struct compile_ctx cc = { ts, extension(name) };
	struct tmpl_options opts = { esc, load_partial, &cc, 0 };
	struct tmpl *t = NULL;

	if (!templates_read(ts, name, &src, &path)) {
		report_file(ts, name, &src);
		t = tmpl_compile(path.buf, src.buf, src.len, &opts);
	}
	strbuf_release(&src);
	strbuf_release(&path);
	return t;
}
