/*
 * Reading an issue's local images (archive_images.h): the files, their
 * sizes, and the URL each is shown by.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "base/config.h"
#include "core/image.h"
#include "core/markdown.h"
#include "archive/archive_images.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

struct collect {
	const struct config *cfg;
	const char *preview_dir;
	struct image_map *out;
};

/* to (an existing file's real path) relative to from (a directory's), appended to out. */
static void relative_path(const char *from, const char *to, struct strbuf *out)
{
	size_t i = 0, common = 0;
	const char *p;

	/* The longest common prefix that ends at a '/' of both. */
	while (from[i] && from[i] == to[i]) {
		i++;
		if (to[i] == '/' && (from[i] == '/' || !from[i]))
			common = i;
	}
	if (!from[i] && to[i] == '/')
		common = i;
	for (p = from + common; *p; p++)
		if (*p == '/')
			strbuf_addstr(out, "../");
	strbuf_addstr(out, to + common + 1);
}

static void on_image(void *data, const char *url, const char *alt, int line)
{
	struct collect *c = data;
	struct strbuf file = STRBUF_INIT, published = STRBUF_INIT, path = STRBUF_INIT;
	struct strbuf bytes = STRBUF_INIT, src = STRBUF_INIT;
	struct image_ref r;
	struct stat st;
	char *real_file = NULL, *real_dir = NULL;

	(void)alt;
	(void)line;
	if (image_map_find(c->out, url) || !image_local(url, &file, &published))
		goto out;
	memset(&r, 0, sizeof(r));
	path_join(&path, c->cfg->issues_dir, file.buf);
	r.url = (char *)url;
	r.path = path.buf;
	if (stat(path.buf, &st) == 0 && S_ISREG(st.st_mode) && strbuf_read_file(&bytes, path.buf) == 0) {
		r.found = 1;
		r.bytes = bytes.len;
		image_dimensions((const unsigned char *)bytes.buf, bytes.len, &r.width, &r.height);
	}
	if (c->preview_dir && r.found && (real_file = realpath(path.buf, NULL)) &&
	    (real_dir = realpath(c->preview_dir, NULL)))
		relative_path(real_dir, real_file, &src);
	else
		strbuf_addf(&src, "%s%s", c->cfg->base_url, published.buf);
	r.src = src.buf;
	image_map_add(c->out, &r);
out:
	free(real_file);
	free(real_dir);
	strbuf_release(&file);
	strbuf_release(&published);
	strbuf_release(&path);
	strbuf_release(&bytes);
	strbuf_release(&src);
}

struct files {
	char **files;
	size_t n, alloc;
};

static void on_image_file(void *data, const char *url, const char *alt, int line)
{
	struct files *f = data;
	struct strbuf file = STRBUF_INIT, published = STRBUF_INIT;
	size_t i;

	(void)alt;
	(void)line;
	if (image_local(url, &file, &published)) {
		for (i = 0; i < f->n && strcmp(f->files[i], file.buf); i++)
			;
		if (i == f->n) {
			ALLOC_GROW(f->files, f->n + 1, f->alloc);
			f->files[f->n++] = strbuf_detach(&file, NULL);
		}
	}
	strbuf_release(&file);
	strbuf_release(&published);
}

void archive_images_files(const char *body, size_t len, char ***files, size_t *n)
{
	struct files f = { NULL, 0, 0 };
	struct markdown_visitor v;
	struct markdown *m;

	/*
	 * A local image's URL starts with "assets/" once cmark has read it,
	 * so a body with neither "assets" nor a character reference (which
	 * could spell it: "&#97;ssets/") has none: most bodies need no parse.
	 */
	if (!memmem(body, len, "assets", 6) && !memchr(body, '&', len)) {
		*files = NULL;
		*n = 0;
		return;
	}
	m = markdown_parse(body, len);
	memset(&v, 0, sizeof(v));
	v.image = on_image_file;
	v.data = &f;
	markdown_visit(m, &v);
	markdown_free(m);
	*files = f.files;
	*n = f.n;
}

void archive_images_files_free(char **files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(files[i]);
	free(files);
}

void archive_images_collect(const struct config *cfg, const struct markdown *m,
			    const char *preview_dir, struct image_map *out)
{
	struct collect c = { cfg, preview_dir, out };
	struct markdown_visitor v;

	memset(&v, 0, sizeof(v));
	v.image = on_image;
	v.data = &c;
	markdown_visit(m, &v);
}
